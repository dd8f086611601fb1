"""Each service's migrations build exactly its models' schema, and undo it, on SQLite and PostgreSQL."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cnum_shared.framework.db import create_database_engine, downgrade_database, upgrade_database

SERVICES = ("conventions", "payments", "compliance")


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_and_downgrade_cleanly(service, db_backend, test_databases):
    migrations_dir = importlib.import_module(f"{service}.manage").MIGRATIONS_DIR
    metadata = importlib.import_module(f"{service}.adapters.orm").Base.metadata
    url = test_databases.fresh(service, db_backend, migrations_dir)
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), metadata
            )
        assert differences == [], f"models and migrations of {service} disagree: {differences}"

        downgrade_database(url, migrations_dir, "base")
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade_database(url, migrations_dir)
        engine.dispose()
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
