"""HTTP API of the payments service, mounted under /api/v1: thin views on the service layer."""

from __future__ import annotations

import flask_smorest

from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
from cnum_shared.framework.events.tables import EventTables
from payments.api import (
    balances,
    bank_returns,
    final_statements,
    holds,
    ledger,
    payment_runs,
    schedules,
    smic_checks,
    statistics,
    tranches,
)
from payments.service_layer.event_handlers import EVENT_HANDLERS


def blueprints(event_tables: EventTables) -> list[flask_smorest.Blueprint]:
    return [
        schedules.blp,
        tranches.blp,
        holds.blp,
        smic_checks.blp,
        balances.blp,
        final_statements.blp,
        payment_runs.blp,
        bank_returns.blp,
        ledger.blp,
        statistics.blp,
        event_consumer_blueprint(event_tables, EVENT_HANDLERS),
        outbox_blueprint(event_tables),
    ]
