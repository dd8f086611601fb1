"""Alembic environment of the conventions service (SQLite and PostgreSQL)."""

from cnum_shared.framework.db import run_migrations_online
from conventions.adapters.orm import Base
from conventions.config import settings_from_environment

run_migrations_online(Base.metadata, lambda: settings_from_environment().database_url)
