"""recovery orders: the day a recovery is to be paid back by, and the tranche it is offset against

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-16 10:00:00

- `recoveries.pay_by`: the day the money must have reached the agency's account, set when the recovery
  is issued (the day it was issued + the convention's repayment delay); NULL while provisional, and for
  the recoveries issued before this migration (their orders were never sent);
- `recoveries.offset_tranche_id`: for a recovery `offset`, the later tranche of its convention paid net
  of it (decision 0031);
- `conventions.settled_on`: the closing date a convention's final statement was settled as of, so that
  `final_statement.settled` is published once (NULL before; a convention settled earlier still has its
  settlement's line or recovery, which `settle` also reads).

Downgrade: the three columns are dropped (an offset recovery no longer says against which tranche).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_FK = "fk_recoveries_offset_tranche_id_tranches"
_INDEX = "ix_recoveries_offset_tranche_id"


def upgrade() -> None:
    op.add_column("conventions", sa.Column("settled_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a foreign key only by copying the table: Alembic's batch mode.
        with op.batch_alter_table("recoveries", schema=None, recreate="always") as batch_op:
            batch_op.add_column(sa.Column("pay_by", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("offset_tranche_id", sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(_FK), "tranches", ["offset_tranche_id"], ["id"])
            batch_op.create_index(batch_op.f(_INDEX), ["offset_tranche_id"], unique=False)
        return
    # PostgreSQL adds them in place: copying the table would break the foreign keys that point at it
    # (bank_file_lines.recovery_id, migration 0010).
    op.add_column("recoveries", sa.Column("pay_by", sa.Date(), nullable=True))
    op.add_column("recoveries", sa.Column("offset_tranche_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f(_FK), "recoveries", "tranches", ["offset_tranche_id"], ["id"])
    op.create_index(op.f(_INDEX), "recoveries", ["offset_tranche_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_column("settled_on")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("recoveries", schema=None, recreate="always") as batch_op:
            batch_op.drop_index(batch_op.f(_INDEX))
            batch_op.drop_constraint(batch_op.f(_FK), type_="foreignkey")
            batch_op.drop_column("offset_tranche_id")
            batch_op.drop_column("pay_by")
        return
    op.drop_index(op.f(_INDEX), table_name="recoveries")
    op.drop_constraint(op.f(_FK), "recoveries", type_="foreignkey")
    op.drop_column("recoveries", "offset_tranche_id")
    op.drop_column("recoveries", "pay_by")
