"""document batches on a broker: where a batch's pending items were last published (decision 0036)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-31 09:00:00

The items stay the truth of a batch (pending, done, failed); `published_to` names the queue their messages
were last sent to, so that the job publishes a running batch again only when that queue is not the one it
sends to now (the embedded queue of a scheduler that restarted has lost its messages).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batches queued or running before this revision have none: the job publishes their pending items.
    with op.batch_alter_table("document_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_to", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_batches", schema=None) as batch_op:
        batch_op.drop_column("published_to")
