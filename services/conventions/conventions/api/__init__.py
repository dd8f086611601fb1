"""HTTP API of the conventions service, mounted under /api/v1."""

from __future__ import annotations

import flask_smorest

from cnum_shared.framework.events.api import outbox_blueprint
from conventions.adapters.orm import event_tables
from conventions.api import (
    bank_details,
    batches,
    contracts,
    conventions,
    documents,
    personal_data,
    structures,
)


def blueprints() -> list[flask_smorest.Blueprint]:
    return [
        structures.blp,
        bank_details.blp,
        conventions.blp,
        contracts.blp,
        personal_data.blp,
        documents.blp,
        batches.blp,
        outbox_blueprint(event_tables),
    ]
