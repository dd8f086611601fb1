"""funding periods of a convention and the schedule an avenant states

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00

The funded periods (one for the initial wave, one per convention year for the renewal) are what
article 6 of the convention states and the clawback applies: they are computed once, at the
convention's creation, from the parameters in force at its start date, and carried by its events.
Existing conventions get theirs from the same parameters here.
"""

import uuid
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from cnum_shared import legal
from cnum_shared.legal import StructureKind, Wave
from cnum_shared.territories import territory

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
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT c.id, c.wave, c.start_date, c.duration_months, s.kind, s.department, s.qpv_zrr "
            "FROM conventions c JOIN structures s ON s.id = c.structure_id"
        )
    ).all()
    conventions = sa.table("conventions", sa.column("id", sa.Uuid()), sa.column("funding_periods", sa.JSON()))
    for row in rows:
        start = row.start_date if isinstance(row.start_date, date) else date.fromisoformat(row.start_date)
        try:
            periods = legal.funding_periods(
                Wave(row.wave),
                StructureKind(row.kind),
                territory(row.department),
                row.duration_months,
                bool(row.qpv_zrr),
                start,
            )
        except ValueError:
            continue  # terms the parameters no longer allow: left without periods, shown as unknown
        connection.execute(
            conventions.update()
            .where(conventions.c.id == sa.bindparam("row_id"))
            .values(funding_periods=sa.bindparam("periods")),
            {
                "row_id": row.id if not isinstance(row.id, str) else uuid.UUID(row.id),
                "periods": [
                    {
                        "number": period.number,
                        "offset_months": period.offset_months,
                        "months": period.months,
                        "amount_per_post": str(period.amount_per_post),
                    }
                    for period in periods
                ],
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.drop_column("tranches")
    with op.batch_alter_table("conventions", schema=None) as batch_op:
        batch_op.drop_column("funding_periods")
