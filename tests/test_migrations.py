"""Each service's migrations build exactly its models' schema, and undo it, on SQLite and PostgreSQL."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def _read_model_triggers(engine):
    """The names of the triggers that move the read models' versions (decision 0040), and of their
    PostgreSQL functions."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            triggers = connection.scalars(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'read_model_%'")
            )
            functions = connection.scalars(
                text(
                    "SELECT proname FROM pg_proc "
                    "WHERE proname IN ('bump_read_model_version', 'note_read_model_change')"
                )
            )
            return set(triggers) | set(functions)
        return set(
            connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'read_model_%'")
            )
        )


def test_the_tranche_list_triggers_come_and_go_with_their_migration(db_backend, test_databases):
    migrations_dir = importlib.import_module("payments.manage").MIGRATIONS_DIR
    url = test_databases.fresh("payments", db_backend, migrations_dir)
    engine = create_database_engine(url)
    try:
        expected = {
            f"read_model_tranches_{table}_{event}"
            for table in ("tranches", "conventions", "structures")
            for event in ("insert", "update", "delete")
        }
        if db_backend == "postgresql":
            expected |= {
                f"read_model_tranches_{table}_truncate" for table in ("tranches", "conventions", "structures")
            }
            # Statement-level notes of a change, and the commit-time move of the version they ask for.
            expected |= {"read_model_changes_commit", "bump_read_model_version", "note_read_model_change"}
        assert _read_model_triggers(engine) == expected

        downgrade_database(url, migrations_dir, "0014")
        engine.dispose()
        assert _read_model_triggers(engine) == set()
        assert not {"read_model_versions", "read_model_changes"} & set(inspect(engine).get_table_names())

        upgrade_database(url, migrations_dir)
        engine.dispose()
        assert _read_model_triggers(engine) == expected
        with engine.connect() as connection:
            assert (
                connection.scalar(text("SELECT version FROM read_model_versions WHERE name = 'tranches'")) > 0
            )
    finally:
        engine.dispose()
