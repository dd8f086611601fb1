"""HTTP API of the payments service, mounted under /api/v1."""

from __future__ import annotations

import flask_smorest

from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
from payments.adapters.orm import event_tables
from payments.api import payment_runs, tranches
from payments.service_layer.event_handlers import EVENT_HANDLERS


def blueprints() -> list[flask_smorest.Blueprint]:
    return [
        tranches.blp,
        payment_runs.blp,
        event_consumer_blueprint(event_tables, EVENT_HANDLERS),
        outbox_blueprint(event_tables),
    ]
