"""The payments service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]
DESCRIPTION = (
    "Tranche schedules, SMIC checks, approval and idempotent payment of tranches, SEPA payment runs,"
    " clawback."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    # Imported here, not at the top: `python -m payments.jobs` imports this package and needs neither
    # Flask nor the API modules (openpyxl, pypdf…), which took most of a job process's start.
    from cnum_shared.framework.audit import audit_blueprint, install_audit
    from cnum_shared.framework.web import build_app
    from payments.adapters.orm import audit_table, event_tables
    from payments.api import blueprints
    from payments.bootstrap import bootstrap

    context = bootstrap(config)
    app = build_app(
        __name__,
        context=context,
        title="cnum — payments",
        description=DESCRIPTION,
        blueprints=[*blueprints(event_tables), audit_blueprint(audit_table)],
    )
    install_audit(app, context, audit_table)
    return app
