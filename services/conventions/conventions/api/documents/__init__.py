"""Documents over HTTP, one module per resource on one blueprint: the convention and avenant documents
(`generated`), the final statement and the recovery orders (`closing`), the download log (`downloads`),
the countersigned copies (`signed_copies`) and the template versions (`templates`). The batches have
their own blueprint (api/batches.py)."""

from __future__ import annotations

from cnum_shared.framework.web import Blueprint
from conventions.api.context import adapters, read_upload, reader, settings, today, unit_of_work

blp = Blueprint("documents", __name__, url_prefix="", description="Documents et modèles")


# The routes, in the order of the API's documentation.
from conventions.api.documents import (  # noqa: E402
    closing,
    downloads,
    generated,
    signed_copies,
    templates,
    verification,
)

__all__ = [
    "adapters",
    "blp",
    "closing",
    "downloads",
    "generated",
    "read_upload",
    "reader",
    "settings",
    "signed_copies",
    "templates",
    "today",
    "unit_of_work",
    "verification",
]
