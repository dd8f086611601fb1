"""Alembic environment of the conventions service: SQLite (batch mode for ALTER) and PostgreSQL."""

from alembic import context

from cnum_shared.db import create_database_engine
from conventions.adapters.orm import Base
from conventions.config import settings_from_environment

url = context.config.get_main_option("sqlalchemy.url") or settings_from_environment().database_url
engine = create_database_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
