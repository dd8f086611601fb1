"""events ordered by their producer's sequence, never by occurred_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00

- `structures.last_sequence`: the conventions outbox sequence of the event the copy reflects;
- `standings.last_sequence`: the compliance outbox sequence of the standing the copy reflects.

Both are empty for the rows written before: the producer's next event applies, and from then on an
older sequence is ignored (DESIGN §2). `last_event_at` stays, informative.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("structures", "standings")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("last_sequence", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("last_sequence")
