"""funding periods of a convention and the schedule an avenant states

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00

The funded periods (one for the initial wave, one per convention year for the renewal) are what
article 6 of the convention states and the clawback applies: they are computed once, at the
convention's creation, from the parameters in force at its start date, and carried by its events.

A convention that exists before this change was signed under the earlier article 6, which prorated the
amount per post over the funded months, whatever the wave: it keeps that rule, as one period of its
funded months at its amount per post (payments' migration 0007 does the same with its copy).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_periods", sa.JSON(), nullable=True))
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        # The schedule the avenant states (number, due date, amount of every tranche).
        batch_op.add_column(sa.Column("tranches", sa.JSON(), nullable=True))
    conventions = sa.table(
        "conventions",
        sa.column("id", sa.Uuid()),
        sa.column("funded_months", sa.Integer()),
        sa.column("amount_per_post", sa.Numeric(12, 2)),
        sa.column("funding_periods", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(conventions.c.id, conventions.c.funded_months, conventions.c.amount_per_post)
    ).all()
    for row in rows:
        connection.execute(
            conventions.update()
            .where(conventions.c.id == row.id)
            .values(
                funding_periods=[
                    {
                        "number": 1,
                        "offset_months": 0,
                        "months": row.funded_months,
                        "amount_per_post": str(row.amount_per_post),
                    }
                ]
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.drop_column("tranches")
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_column("funding_periods")
