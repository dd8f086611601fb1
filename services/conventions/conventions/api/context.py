"""What the views of the conventions service take from the running service: its unit of work, its day."""

from __future__ import annotations

from datetime import date
from typing import cast

from cnum_shared.framework.web import service_context
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


def unit_of_work(*, read_only: bool = False) -> ConventionsUnitOfWork:
    """A new unit of work of this service (the bootstrap's factory); `read_only` for lookups and lists."""
    return cast(ConventionsUnitOfWork, service_context().unit_of_work(read_only=read_only))


def today() -> date:
    """Today in Europe/Paris, on the service's clock."""
    return service_context().today()
