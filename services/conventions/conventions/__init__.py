"""The conventions service of cnum (see DESCRIPTION below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from cnum_shared.framework.audit import audit_blueprint, install_audit
from cnum_shared.framework.web import build_app
from conventions.adapters.document_adapters import install_document_adapters
from conventions.adapters.orm import audit_table
from conventions.api import blueprints
from conventions.bootstrap import SERVICE_NAME, bootstrap

__all__ = ["SERVICE_NAME", "create_app"]
DESCRIPTION = (
    "Subsidy conventions, their avenants and the employment-contract avenants of the Conseiller "
    "numérique programme: structures, conventions, advisors, contracts, documents."
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The WSGI app; `config` overrides environment settings by field name (tests pass a mapping)."""
    context = bootstrap(config)
    install_document_adapters(context)  # moves into bootstrap() when it builds every adapter
    app = build_app(
        __name__,
        context=context,
        title="cnum — conventions",
        description=DESCRIPTION,
        blueprints=[*blueprints(), audit_blueprint(audit_table)],
    )
    install_audit(app, context, audit_table)
    return app
