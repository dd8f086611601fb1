"""The composition root of the payments service: settings, database and adapters, built once.

The app factory (`create_app`) and the jobs (`python -m payments.jobs`) both start here, so that a view, a
job and an event handler run the same use cases on the same adapters. Nothing else builds an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnum_shared.core.parameters import ParameterNode, parameters
from cnum_shared.framework.config import load_settings
from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.db import Database
from payments.adapters.sepa import Debtor, SepaFiles
from payments.adapters.unit_of_work import SqlUnitOfWork
from payments.config import PaymentsSettings
from payments.domain.transfers import Account

SERVICE_NAME = "payments"


@dataclass(frozen=True)
class Adapters:
    """What bootstrap builds once for the whole service (`context.adapters`)."""

    #: The account SEPA payment runs are paid from (settings), and the files written from it.
    debtor: Debtor
    #: The same account, as the rules see it: structures pay their recoveries back to it.
    agency_account: Account
    transfers: SepaFiles
    #: The legal parameters, loaded once: the use cases read them through their unit of work.
    parameters: ParameterNode


def bootstrap(config: Mapping[str, Any] | None = None) -> ServiceContext:
    """Settings (validated now, so that a bad environment stops the start), the database, the adapters."""
    settings = load_settings(PaymentsSettings, config)
    database = Database(settings.database_url)
    debtor = Debtor(settings.debtor_name, settings.debtor_iban, settings.debtor_bic)
    adapters = Adapters(
        debtor=debtor,
        agency_account=Account(debtor.name, debtor.iban, debtor.bic),
        transfers=SepaFiles(debtor),
        parameters=parameters(),
    )

    def unit_of_work(*, read_only: bool = False) -> SqlUnitOfWork:
        factory = database.read_session_factory if read_only else database.session_factory
        return SqlUnitOfWork(factory, adapters.parameters, adapters.transfers, adapters.agency_account)

    return ServiceContext(
        SERVICE_NAME, settings, database, unit_of_work_factory=unit_of_work, adapters=adapters
    )
