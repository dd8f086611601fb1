"""Pages of the finance officers (to be written)."""

from __future__ import annotations

from flask import Blueprint

blp = Blueprint("finance", __name__)
