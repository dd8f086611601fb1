"""Alembic environment of the compliance service (SQLite and PostgreSQL)."""

from cnum_shared.framework.db import run_migrations_online
from compliance.adapters.orm import Base
from compliance.config import settings_from_environment

run_migrations_online(Base.metadata, lambda: settings_from_environment().database_url)
