"""The conventions service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]
DESCRIPTION = (
    "Subsidy conventions, their avenants and the employment-contract avenants of the Conseiller "
    "numérique programme: structures, conventions, advisors, contracts, documents."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    # Imported here, not at the top: `python -m conventions.jobs` imports this package and needs neither
    # Flask nor the API modules (openpyxl, pypdf…), which took most of a job process's start.
    from cnum_shared.framework.audit import audit_blueprint, install_audit
    from cnum_shared.framework.events.api import event_consumer_blueprint, outbox_blueprint
    from cnum_shared.framework.web import build_app
    from conventions.adapters.orm import audit_table, event_tables
    from conventions.api import blueprints
    from conventions.bootstrap import bootstrap
    from conventions.service_layer.event_handlers import EVENT_HANDLERS

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
