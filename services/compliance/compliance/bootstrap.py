"""The composition root of the compliance service: settings, database and adapters, built once.

The app factory (`create_app`) and the jobs (`python -m compliance.jobs`) both start here, so that a view, a
job and an event handler run the same use cases on the same adapters. Nothing else builds an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnum_shared.framework.config import load_settings
from cnum_shared.framework.db import Database
from cnum_shared.framework.web import ServiceContext
from compliance.config import ComplianceSettings

SERVICE_NAME = "compliance"


def bootstrap(config: Mapping[str, Any] | None = None) -> ServiceContext:
    """Settings (validated now, so that a bad environment stops the start), the database, the adapters."""
    settings = load_settings(ComplianceSettings, config)
    return ServiceContext(SERVICE_NAME, settings, Database(settings.database_url))
