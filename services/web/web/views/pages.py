"""Pages every visitor may read, signed in or not: the accessibility statement the law requires of a public
service's website (loi n° 2005-102, art. 47; décret n° 2019-768)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

blp = Blueprint("pages", __name__)


@blp.get("/accessibilite")
def accessibility() -> Any:
    return render_template("pages/accessibility.html")
