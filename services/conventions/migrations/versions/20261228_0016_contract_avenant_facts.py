"""contract avenant facts: the original contract's start, the place of work, the line manager, the
classification, the collective agreement and a public employer's agent's status (decision 0026)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Moves recorded before these facts were asked for keep them empty: their avenant leaves them blank.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_contract_start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("place_of_work", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("line_manager", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("classification", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("collective_agreement", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("public_status", sa.String(length=20), nullable=True))
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_contracts_public_status"),
            "public_status IS NULL OR public_status IN ('contractuel', 'titulaire')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_contracts_original_contract_before_start"),
            "original_contract_start_date IS NULL OR original_contract_start_date < start_date",
        )


def downgrade() -> None:
    # The older schema has no place for what the avenant states: the facts go with the columns.
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_contracts_original_contract_before_start"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_contracts_public_status"), type_="check")
        batch_op.drop_column("public_status")
        batch_op.drop_column("collective_agreement")
        batch_op.drop_column("classification")
        batch_op.drop_column("line_manager")
        batch_op.drop_column("place_of_work")
        batch_op.drop_column("original_contract_start_date")
