"""Documents over HTTP, one module per resource on one blueprint: the convention and avenant documents
(`generated`), the download log (`downloads`), the countersigned copies (`signed_copies`) and the
template versions (`templates`). The batches have their own blueprint (api/batches.py)."""

from __future__ import annotations

from typing import Any, cast

from flask import request

from cnum_shared.framework.uploads import safe_file_name
from cnum_shared.framework.web import Blueprint, abort, client_address, current_principal, service_context
from conventions.config import ConventionsSettings
from conventions.service_layer.documents import DocumentAdapters, DocumentsUnitOfWork, Reader

blp = Blueprint("documents", __name__, url_prefix="", description="Documents et modèles")


def settings() -> ConventionsSettings:
    found = service_context().settings
    assert isinstance(found, ConventionsSettings)
    return found


def adapters() -> DocumentAdapters:
    """The document adapters the composition root built (converter, renderer, PDF tools, file store)."""
    return cast(DocumentAdapters, service_context().adapters)


def unit_of_work(*, read_only: bool = False) -> DocumentsUnitOfWork:
    return cast(DocumentsUnitOfWork, service_context().unit_of_work(read_only=read_only))


def reader() -> Reader:
    """The caller, as the download log records her."""
    return Reader(current_principal(), client_address())


def read_upload(limit: int) -> tuple[bytes, str]:
    """The uploaded file's bytes and the name given, refusing what is too large with a 413."""
    storage = request.files.get("file")
    if storage is None:
        abort(422, "Fichier manquant.", errors={"files": {"file": ["Champ « file » obligatoire."]}})
    assert storage is not None
    content = storage.stream.read(limit + 1)
    if len(content) > limit:
        abort(413, f"Fichier trop volumineux : {limit // (1024 * 1024)} Mo au plus.")
    # The name is kept as text only: it is never used as a path.
    return content, safe_file_name(storage.filename, "document")


def today() -> Any:
    return service_context().today()


# The routes, in the order of the API's documentation.
from conventions.api.documents import downloads, generated, signed_copies, templates  # noqa: E402

__all__ = ["blp", "downloads", "generated", "read_upload", "signed_copies", "templates"]
