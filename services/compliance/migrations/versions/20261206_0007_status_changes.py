"""status changes: the history of the alerts' statuses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:00:00

Alerts now move through a state machine (pending → sent) whose transitions, failed attempts included,
are kept in `status_changes` (obligations keep theirs in `obligation_history`). The statuses stay
VARCHAR columns of the same lengths, typed by their enums in Python only: nothing else to migrate.

The downgrade drops the table and its history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("machine", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    op.create_index(
        "ix_status_changes_machine_entity_id", "status_changes", ["machine", "entity_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_status_changes_machine_entity_id", table_name="status_changes")
    op.drop_table("status_changes")
