"""activity reports: external ids unique per structure

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:00:00

A CRA's external id was unique over the whole programme, so one structure's id kept another structure's
report out (counted as "already known") and told it that the id existed elsewhere (issue 15). Each report
now carries its contract's structure, and the external id is unique within that structure: two structures
may use the same id, and a repeat within one structure stays idempotent.

The downgrade gives back the programme-wide uniqueness: where structures share an external id, the
earliest report keeps it and the others are deleted (the earlier code could not have stored them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("structure_id", sa.Uuid(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE activity_reports SET structure_id = "
            "(SELECT contracts.structure_id FROM contracts "
            "WHERE contracts.contract_id = activity_reports.contract_id)"
        )
    )
    # Nothing points at activity_reports: SQLite may rebuild it in batch mode.
    with op.batch_alter_table("activity_reports", schema=None) as batch_op:
        batch_op.alter_column("structure_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_constraint(op.f("uq_activity_reports_external_id"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_activity_reports_structure_id_external_id"), ["structure_id", "external_id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_activity_reports_structure_id_structures"),
            "structures",
            ["structure_id"],
            ["structure_id"],
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, external_id FROM activity_reports ORDER BY external_id, created_at, id")
    ).all()
    kept: set[str] = set()
    later = []
    for report_id, external_id in rows:
        if external_id in kept:
            later.append(report_id)
        kept.add(external_id)
    for report_id in later:
        connection.execute(sa.text("DELETE FROM activity_reports WHERE id = :id"), {"id": report_id})
    with op.batch_alter_table("activity_reports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_activity_reports_structure_id_structures"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_activity_reports_structure_id_external_id"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_activity_reports_external_id"), ["external_id"])
        batch_op.drop_column("structure_id")
