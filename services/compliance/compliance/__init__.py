"""The compliance service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from cnum_shared.framework.audit import audit_blueprint, install_audit
from cnum_shared.framework.web import build_app
from compliance.adapters.orm import audit_table, event_tables
from compliance.api import blueprints
from compliance.bootstrap import SERVICE_NAME, bootstrap

__all__ = ["SERVICE_NAME", "create_app"]
DESCRIPTION = (
    "Obligations of host structures, evidence, training records, activity reports, deadline alerts "
    "by e-mail, payment standing."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    context = bootstrap(config)
    app = build_app(
        __name__,
        context=context,
        title="cnum — compliance",
        description=DESCRIPTION,
        blueprints=[*blueprints(event_tables), audit_blueprint(audit_table)],
    )
    install_audit(app, context, audit_table)
    return app
