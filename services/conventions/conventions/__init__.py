"""The conventions service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from cnum_shared.framework.audit import audit_blueprint, install_audit
from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
from cnum_shared.framework.web import build_app
from conventions.adapters.orm import audit_table, event_tables
from conventions.api import blueprints
from conventions.bootstrap import SERVICE_NAME, bootstrap
from conventions.service_layer.event_handlers import EVENT_HANDLERS

__all__ = ["SERVICE_NAME", "create_app"]
DESCRIPTION = (
    "Subsidy conventions, their avenants and the employment-contract avenants of the Conseiller "
    "numérique programme: structures, conventions, advisors, contracts, documents."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    context = bootstrap(config)
    app = build_app(
        __name__,
        context=context,
        title="cnum — conventions",
        description=DESCRIPTION,
        blueprints=[
            *blueprints(),
            # What payments settled of each tranche: the figures an avenant states (decision 0025).
            event_consumer_blueprint(event_tables, EVENT_HANDLERS),
            outbox_blueprint(event_tables),
            audit_blueprint(audit_table),
        ],
    )
    install_audit(app, context, audit_table)
    return app
