"""The compliance service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from cnum_shared.audit import audit_blueprint, install_audit
from cnum_shared.config import load_settings
from cnum_shared.db import Database
from cnum_shared.web import ServiceContext, build_app
from compliance.adapters.orm import audit_table
from compliance.api import blueprints
from compliance.config import ComplianceSettings

SERVICE_NAME = "compliance"
DESCRIPTION = (
    "Obligations of host structures, evidence, training records, activity reports, deadline alerts "
    "by e-mail, payment standing."
)


def make_context(config: Mapping[str, Any] | None = None) -> ServiceContext:
    """Settings (validated now, so that a bad environment stops the start) and the database."""
    settings = load_settings(ComplianceSettings, config)
    return ServiceContext(SERVICE_NAME, settings, Database(settings.database_url))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    context = make_context(config)
    app = build_app(
        __name__,
        context=context,
        title="cnum — compliance",
        description=DESCRIPTION,
        blueprints=[*blueprints(), audit_blueprint(audit_table)],
    )
    install_audit(app, context, audit_table)
    return app
