"""The composition root of the compliance service: settings, database and adapters, built once.

The app factory (`create_app`) and the jobs (`python -m compliance.jobs`) both start here, so that a view, a
job and an event handler run the same use cases on the same adapters. Nothing else builds an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnum_shared.core.parameters import parameters
from cnum_shared.framework.config import load_settings
from cnum_shared.framework.context import ServiceContext
from cnum_shared.framework.db import Database
from compliance.adapters.files import LocalFiles
from compliance.adapters.mail import SmtpMailer
from compliance.adapters.unit_of_work import SqlUnitOfWork
from compliance.config import ComplianceSettings

SERVICE_NAME = "compliance"


@dataclass(frozen=True)
class Adapters:
    """What the use cases reach outside the database: the digests' mail, the uploaded files."""

    mailer: SmtpMailer
    files: LocalFiles


def bootstrap(config: Mapping[str, Any] | None = None) -> ServiceContext:
    """Settings (validated now, so that a bad environment stops the start), the database, the adapters."""
    settings = load_settings(ComplianceSettings, config)
    database = Database(settings.database_url)
    tree = parameters()

    def unit_of_work(*, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(database.read_session_factory if read_only else database.session_factory, tree)

    adapters = Adapters(
        mailer=SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            officer_email=settings.compliance_officer_email,
        ),
        files=LocalFiles(settings.var_dir),
    )
    return ServiceContext(
        SERVICE_NAME, settings, database, unit_of_work_factory=unit_of_work, adapters=adapters
    )
