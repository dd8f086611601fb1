"""status history of payments, runs and recoveries; a returned payment is kept, not deleted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00

- `status_changes`: every change of status of payments, payment runs and their lines, and recoveries
  (who, why, when); the tranches keep theirs in `tranche_history`;
- `payments.status` (`paid` or `returned`): a line the bank rejects returns its payment instead of
  deleting it. At most one `paid` payment per tranche (a partial unique index replaces the unique
  constraint), so that a returned tranche may be paid again.

Downgrade: the returned payments are deleted (what the service did before), then the old constraint is
put back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAID = sa.text("status = 'paid'")


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("machine", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    op.create_index(
        "ix_status_changes_machine_entity_id", "status_changes", ["machine", "entity_id", "at"], unique=False
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=12), server_default="paid", nullable=False))
        batch_op.create_check_constraint(batch_op.f("ck_payments_status"), "status IN ('paid', 'returned')")
        batch_op.drop_constraint(batch_op.f("uq_payments_tranche_id"), type_="unique")
        batch_op.create_index("ix_payments_tranche_id", ["tranche_id"], unique=False)
        batch_op.create_index(
            "uq_payments_tranche_id_paid",
            ["tranche_id"],
            unique=True,
            sqlite_where=PAID,
            postgresql_where=PAID,
        )


def downgrade() -> None:
    op.execute("DELETE FROM payments WHERE status <> 'paid'")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("uq_payments_tranche_id_paid", sqlite_where=PAID, postgresql_where=PAID)
        batch_op.drop_index("ix_payments_tranche_id")
        batch_op.create_unique_constraint(batch_op.f("uq_payments_tranche_id"), ["tranche_id"])
        batch_op.drop_constraint(batch_op.f("ck_payments_status"), type_="check")
        batch_op.drop_column("status")
    op.drop_index("ix_status_changes_machine_entity_id", table_name="status_changes")
    op.drop_table("status_changes")
