"""HTTP API of the conventions service, mounted under /api/v1."""

from __future__ import annotations

import flask_smorest

from conventions.api import (
    bank_details,
    batches,
    closing_runs,
    contracts,
    conventions,
    directory,
    documents,
    officers,
    open_data,
    personal_data,
    statistics,
    structures,
)


def blueprints() -> list[flask_smorest.Blueprint]:
    """The service's own resources (the app factory adds the outbox and the audit log's)."""
    return [
        structures.blp,
        bank_details.blp,
        conventions.blp,
        directory.blp,
        contracts.blp,
        personal_data.blp,
        documents.blp,
        batches.blp,
        closing_runs.blp,
        open_data.blp,
        officers.blp,
        statistics.blp,
    ]
