"""Pages of the structure officers (to be written)."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("structure", __name__)
