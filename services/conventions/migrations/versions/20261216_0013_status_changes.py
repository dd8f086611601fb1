"""status changes: the history of the statuses that have no history table of their own

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-16 06:00:00

cnum_shared.framework.status_history: every move of a state machine (document batches first) is a row:
which machine, which thing, from and to which status, by which event, who, why, when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0013"
down_revision: str | None = "0012"
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
        sa.Column("at", cnum_shared.framework.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_changes_machine_entity_id", ["machine", "entity_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_changes_machine_entity_id")
    op.drop_table("status_changes")
