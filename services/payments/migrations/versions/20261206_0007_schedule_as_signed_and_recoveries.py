"""the schedule as the conventions state it: funded periods, regularisation lines, recoveries' computation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:00:00

- `conventions.funding_periods`: the funded periods `convention.*` events carry (article 6's rates).
- `tranches.kind`: `instalment` (one of the convention's tranches) or `regularisation` (a supplementary
  payable line booked when an avenant raises a tranche already approved or paid); `regularises` names
  the instalment's number and `amendment_number` the avenant. No check constraint on `kind`: on SQLite
  it would mean rebuilding `tranches`, which three tables reference (the application writes only these two).
- `recoveries`: a recovery is either a post that ended (`post_ended`, with its contract) or the part of
  an avenant's reduction that was already paid (`regularisation`, no contract); each keeps its
  computation (months occupied per period, rates, earned, paid for the post).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_periods", sa.JSON(), nullable=True))
    with op.batch_alter_table("tranches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="instalment")
        )
        batch_op.add_column(sa.Column("regularises", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amendment_number", sa.Integer(), nullable=True))
    with op.batch_alter_table("recoveries", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="post_ended")
        )
        batch_op.add_column(sa.Column("tranche_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amendment_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("earned", cnum_shared.db.MONEY, nullable=True))
        batch_op.add_column(sa.Column("paid_per_post", cnum_shared.db.MONEY, nullable=True))
        batch_op.add_column(sa.Column("computation", sa.JSON(), nullable=True))
        batch_op.create_check_constraint("kind", "kind IN ('post_ended', 'regularisation')")
        batch_op.create_check_constraint(
            "contract_of_a_post",
            "(kind = 'post_ended' AND contract_id IS NOT NULL) "
            "OR (kind = 'regularisation' AND contract_id IS NULL)",
        )


def downgrade() -> None:
    op.execute("DELETE FROM recoveries WHERE kind = 'regularisation'")
    with op.batch_alter_table("recoveries", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("contract_of_a_post", type_="check")
        batch_op.drop_constraint("kind", type_="check")
        batch_op.drop_column("computation")
        batch_op.drop_column("paid_per_post")
        batch_op.drop_column("earned")
        batch_op.drop_column("amendment_number")
        batch_op.drop_column("tranche_number")
        batch_op.drop_column("kind")
        batch_op.alter_column("contract_id", existing_type=sa.Uuid(), nullable=False)
    op.execute(
        "DELETE FROM tranche_history WHERE tranche_id IN (SELECT id FROM tranches WHERE kind = 'regularisation')"
    )
    with op.batch_alter_table("tranches", schema=None) as batch_op:
        batch_op.drop_column("amendment_number")
        batch_op.drop_column("regularises")
        batch_op.drop_column("kind")
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_column("funding_periods")
