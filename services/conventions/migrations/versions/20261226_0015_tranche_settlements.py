"""tranche settlements and what an avenant states about money

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-25 09:00:00

Issue 17 (decision 0025): the conventions service keeps what payments settled of each tranche (from
`tranche.approved`, `tranche.paid`, `tranche.returned`), so that an avenant states the amounts already
paid and the amount to recover; the avenant also states when it was requested and the contract break
that causes it. Avenants drawn up before keep None: nothing was known of payments then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "tranche_settlements",
        sa.Column("tranche_id", sa.Uuid(), nullable=False),
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("regularises", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('approved', 'paid')", name=op.f("ck_tranche_settlements_status")),
        sa.ForeignKeyConstraint(
            ["convention_id"],
            ["conventions.id"],
            name=op.f("fk_tranche_settlements_convention_id_conventions"),
        ),
        sa.PrimaryKeyConstraint("tranche_id", name=op.f("pk_tranche_settlements")),
    )
    with op.batch_alter_table("tranche_settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tranche_settlements_convention_id"), ["convention_id"], unique=False
        )
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("contract_ended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paid_as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paid_to_date", MONEY, nullable=True))
        batch_op.add_column(sa.Column("amount_to_recover", MONEY, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.drop_column("amount_to_recover")
        batch_op.drop_column("paid_to_date")
        batch_op.drop_column("paid_as_of")
        batch_op.drop_column("contract_ended_on")
        batch_op.drop_column("requested_on")
    with op.batch_alter_table("tranche_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tranche_settlements_convention_id"))
    op.drop_table("tranche_settlements")
