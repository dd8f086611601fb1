"""The payments unit of work of the running service, for the views."""

from __future__ import annotations

from typing import cast

from cnum_shared.framework.web import service_context
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def unit_of_work(*, read_only: bool = False) -> PaymentsUnitOfWork:
    """A new unit of work of the payments service (bootstrap's SqlUnitOfWork)."""
    return cast(PaymentsUnitOfWork, service_context().unit_of_work(read_only=read_only))
