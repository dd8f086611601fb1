"""events ordered by their producer's sequence, never by occurred_at

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 12:00:00

- `structures.last_sequence`: the conventions outbox sequence of the event the contact reflects. Empty
  for the rows written before: conventions' next event applies, and from then on an older sequence is
  ignored (DESIGN §2). `last_event_at` stays, informative.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_sequence", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.drop_column("last_sequence")
