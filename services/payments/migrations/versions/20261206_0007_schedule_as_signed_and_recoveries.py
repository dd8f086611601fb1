"""the schedule as the conventions state it: funded periods, regularisation lines, recoveries' computation

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:00:00

- `conventions.funding_periods`: the funded periods `convention.*` events carry (article 6's rates). A
  convention scheduled before this change was signed under the earlier article 6, which prorated the
  amount per post over the funded months whatever the wave: it keeps that rule, as one period (the
  conventions service's migration 0010 records the same period).
- `tranches.kind`: `instalment` (one of the convention's tranches) or `regularisation` (a supplementary
  payable line booked when an avenant raises a tranche already approved or paid); `regularises` names
  the instalment's number and `amendment_number` the avenant. No check constraint on `kind`: on SQLite
  it would mean rebuilding `tranches`, which three tables reference (the application writes only these two).
- `recoveries`: a recovery is either a post that ended (`post_ended`, with its contract) or the part of
  an avenant's reduction that was already paid (`regularisation`, no contract); each keeps its
  computation (months occupied per period, rates, earned, paid for the post).
"""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db
from cnum_shared.core.dates import add_months
from cnum_shared.core.money import quantize_cents

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_periods", sa.JSON(), nullable=True))
    _earlier_conventions_keep_their_article_6()
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
        batch_op.add_column(sa.Column("earned", cnum_shared.framework.db.MONEY, nullable=True))
        batch_op.add_column(sa.Column("paid_per_post", cnum_shared.framework.db.MONEY, nullable=True))
        batch_op.add_column(sa.Column("computation", sa.JSON(), nullable=True))
        batch_op.create_check_constraint("kind", "kind IN ('post_ended', 'regularisation')")
        batch_op.create_check_constraint(
            "contract_of_a_post",
            "(kind = 'post_ended' AND contract_id IS NOT NULL) "
            "OR (kind = 'regularisation' AND contract_id IS NULL)",
        )


def _earlier_conventions_keep_their_article_6() -> None:
    conventions = sa.table(
        "conventions",
        sa.column("convention_id", sa.Uuid()),
        sa.column("start_date", sa.Date()),
        sa.column("funded_months", sa.Integer()),
        sa.column("amount_per_post", sa.Numeric(12, 2)),
        sa.column("funding_periods", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            conventions.c.convention_id,
            conventions.c.start_date,
            conventions.c.funded_months,
            conventions.c.amount_per_post,
        )
    ).all()
    for row in rows:
        amount = Decimal(row.amount_per_post)
        period = {
            "number": 1,
            "starts_on": row.start_date.isoformat(),
            "ends_on": (add_months(row.start_date, row.funded_months) - timedelta(days=1)).isoformat(),
            "months": row.funded_months,
            "amount_per_post": str(amount),
            "monthly_rate": str(quantize_cents(amount / row.funded_months)),
        }
        connection.execute(
            conventions.update()
            .where(conventions.c.convention_id == row.convention_id)
            .values(funding_periods=[period])
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
