"""Alembic environment of the payments service (SQLite and PostgreSQL)."""

from cnum_shared.framework.db import run_migrations_online
from payments.adapters.orm import Base
from payments.config import settings_from_environment

run_migrations_online(Base.metadata, lambda: settings_from_environment().database_url)
