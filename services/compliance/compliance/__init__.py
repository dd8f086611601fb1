"""The compliance service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]
DESCRIPTION = (
    "Obligations of host structures, evidence, training records, activity reports, deadline alerts "
    "by e-mail, payment standing."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    # Imported here, not at the top: `python -m compliance.jobs` imports this package and needs neither
    # Flask nor the API modules (openpyxl, pypdf…), which took most of a job process's start.
    from cnum_shared.framework.audit import audit_blueprint, install_audit
    from cnum_shared.framework.web import build_app
    from compliance.adapters.orm import audit_table, event_tables
    from compliance.api import blueprints
    from compliance.bootstrap import bootstrap

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
