"""HTTP API of the compliance service, mounted under /api/v1."""

from __future__ import annotations

import flask_smorest

from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
from compliance.adapters.orm import event_tables
from compliance.api import obligations
from compliance.service_layer.event_handlers import EVENT_HANDLERS


def blueprints() -> list[flask_smorest.Blueprint]:
    return [
        obligations.blp,
        event_consumer_blueprint(event_tables, EVENT_HANDLERS),
        outbox_blueprint(event_tables),
    ]
