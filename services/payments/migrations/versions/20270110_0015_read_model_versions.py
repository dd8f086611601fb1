"""the tranche list's data version, moved by triggers on every write it reads

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-10 10:00:00

`read_model_versions` (decision 0040): one row per cached read model, whose `version` database triggers
move forward in the writer's own transaction, so that no code path can write what a cached list shows
without the processes seeing it at their next request. The tranche list (`GET /tranches`) reads
`tranches` (every column), and the reference of its convention and the name of its structure from the
copies: any write of `tranches`, and inserts, deletes and updates of those columns of the copies.

The version goes to max(version + 1, the clock in microseconds): never back, and a table created again
(a downgrade then an upgrade under running processes) or a restored database starts from numbers no
process has kept a page under.

SQLite: row-level triggers (it has no other), each a primary-key update of one row. PostgreSQL:
statement-level triggers (a bulk insert of 12,000 rows calls one function, not 12,000), of which only the
first in a transaction does anything (a transaction-local setting remembers it): it notes the change in
`read_model_changes`, whose deferred constraint trigger moves the version at COMMIT, so that the row lock
writers queue on is held for the commit only. The note has no unique key (two writers never wait on each
other's) and is deleted by the same trigger.

The triggers are written out here rather than generated from the read model's code, so that this
revision stays what it was when it ran.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ_MODEL = "tranches"
#: The tables the list reads and, for the copies, the columns it shows or joins on (None: every write).
SOURCES: dict[str, tuple[str, ...] | None] = {
    "tranches": None,
    "conventions": ("convention_id", "reference"),
    "structures": ("structure_id", "name"),
}
_SQLITE_NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
_POSTGRES_NOW_US = "CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT)"


def _events(columns: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """(name suffix, event clause) of a table's triggers."""
    update = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
    return [("insert", "INSERT"), ("update", update), ("delete", "DELETE")]


def upgrade() -> None:
    op.create_table(
        "read_model_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_read_model_versions")),
    )
    # PostgreSQL's notes of a change until the commit (no unique key: two writers never wait on each other).
    op.create_table(
        "read_model_changes",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"INSERT INTO read_model_versions (name, version) VALUES ('{READ_MODEL}', {_POSTGRES_NOW_US})"  # noqa: S608 (constants)
        )
        # A note lives only until its transaction commits: nothing to recover after a crash.
        op.execute("ALTER TABLE read_model_changes SET UNLOGGED")
        op.execute(
            """
            CREATE FUNCTION note_read_model_change() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                flag text := 'cnum.read_model_changed_' || TG_ARGV[0];
            BEGIN
                IF coalesce(current_setting(flag, true), '') <> 'on' THEN
                    INSERT INTO read_model_changes (name, txid) VALUES (TG_ARGV[0], txid_current());
                    PERFORM set_config(flag, 'on', true);
                END IF;
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"""
            CREATE FUNCTION bump_read_model_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE read_model_versions SET version = GREATEST(version + 1, {_POSTGRES_NOW_US})
                WHERE name = NEW.name;
                DELETE FROM read_model_changes WHERE txid = NEW.txid AND name = NEW.name;
                RETURN NULL;
            END $$
            """  # noqa: S608 (constants)
        )
        op.execute(
            "CREATE CONSTRAINT TRIGGER read_model_changes_commit AFTER INSERT ON read_model_changes "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_read_model_version()"
        )
        for table, columns in SOURCES.items():
            for suffix, event in [*_events(columns), ("truncate", "TRUNCATE")]:
                op.execute(
                    f"CREATE TRIGGER read_model_{READ_MODEL}_{table}_{suffix} AFTER {event} ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION note_read_model_change('{READ_MODEL}')"
                )
    else:
        op.execute(
            f"INSERT INTO read_model_versions (name, version) VALUES ('{READ_MODEL}', {_SQLITE_NOW_US})"  # noqa: S608 (constants)
        )
        for table, columns in SOURCES.items():
            for suffix, event in _events(columns):
                op.execute(
                    f"CREATE TRIGGER read_model_{READ_MODEL}_{table}_{suffix} AFTER {event} ON {table} "  # noqa: S608
                    f"BEGIN UPDATE read_model_versions SET version = MAX(version + 1, {_SQLITE_NOW_US}) "
                    f"WHERE name = '{READ_MODEL}'; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in SOURCES.items():
        suffixes = [suffix for suffix, _ in _events(columns)] + (["truncate"] if postgres else [])
        for suffix in suffixes:
            name = f"read_model_{READ_MODEL}_{table}_{suffix}"
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    op.drop_table("read_model_changes")
    if postgres:
        op.execute("DROP FUNCTION bump_read_model_version()")
        op.execute("DROP FUNCTION note_read_model_change()")
    op.drop_table("read_model_versions")
