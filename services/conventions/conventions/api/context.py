"""What the views of the conventions service take from the running service: its unit of work, its day,
its settings, the document adapters its bootstrap built, the caller, an uploaded file."""

from __future__ import annotations

from datetime import date
from typing import cast

from flask import request

from cnum_shared.framework.uploads import safe_file_name
from cnum_shared.framework.web import abort, client_address, current_principal, service_context
from conventions.config import ConventionsSettings
from conventions.service_layer.documents import DocumentAdapters, Reader
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


def unit_of_work(*, read_only: bool = False) -> ConventionsUnitOfWork:
    """A new unit of work of this service (the bootstrap's factory); `read_only` for lookups and lists."""
    return cast(ConventionsUnitOfWork, service_context().unit_of_work(read_only=read_only))


def today() -> date:
    """Today in Europe/Paris, on the service's clock."""
    return service_context().today()


def settings() -> ConventionsSettings:
    found = service_context().settings
    assert isinstance(found, ConventionsSettings)
    return found


def adapters() -> DocumentAdapters:
    """The document adapters the composition root built (converter, renderer, PDF tools, file store)."""
    return cast(DocumentAdapters, service_context().adapters)


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
