"""mediator in post: a contract records whether the person was already a digital mediator, and the case

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contracts recorded before the rule existed are recorded as not concerning a mediator in post.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("already_digital_mediator", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("mediator_case", sa.String(length=30), nullable=True))
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.alter_column("already_digital_mediator", existing_type=sa.Boolean(), server_default=None)
        batch_op.create_check_constraint(
            batch_op.f("ck_contracts_mediator_case"),
            "mediator_case IS NULL OR mediator_case IN ('part_time', 'experimental_scheme', 'contract_ending')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_contracts_mediator_in_post"),
            "(mediator_case IS NOT NULL) = already_digital_mediator",
        )


def downgrade() -> None:
    # The older schema has no place for the mediator facts: they go with the columns.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_contracts_mediator_in_post"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_contracts_mediator_case"), type_="check")
        batch_op.drop_column("mediator_case")
        batch_op.drop_column("already_digital_mediator")
