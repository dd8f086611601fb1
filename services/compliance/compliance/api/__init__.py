"""HTTP API of the compliance service, mounted under /api/v1: one blueprint, its views by resource."""

from __future__ import annotations

import flask_smorest

from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
from cnum_shared.framework.events.tables import EventTables

# isort: off
# Each module registers its views on the one blueprint, in the order of the API's documentation.
from compliance.api import obligations, evidence, training, activity_reports, standings, alerts  # noqa: F401
from compliance.api import statistics  # noqa: F401

# isort: on
from compliance.api.blueprint import blp
from compliance.service_layer.event_handlers import EVENT_HANDLERS

__all__ = ["blueprints"]


def blueprints(event_tables: EventTables) -> list[flask_smorest.Blueprint]:
    return [blp, event_consumer_blueprint(event_tables, EVENT_HANDLERS), outbox_blueprint(event_tables)]
