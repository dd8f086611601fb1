"""personal data purge: anonymised advisors, purged documents and the purge log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-15 02:00:00

DESIGN §5: how long an advisor's personal data is kept after a convention closes is a parameter
(`personal_data.retention_years_after_closing`). The `purge_personal_data` job anonymises the people
whose every convention is past it and deletes their employment-contract avenants; it records each run in
`personal_data_purges` (who, when, how many) and marks what it touched, never copying the data itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data_purges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("ran_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("advisors_anonymised", sa.Integer(), nullable=False),
        sa.Column("documents_deleted", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "advisors_anonymised >= 0 AND documents_deleted >= 0", name=op.f("ck_personal_data_purges_counts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_purges")),
    )
    for table in ("advisors", "generated_documents"):
        dated = "anonymised_on" if table == "advisors" else "purged_on"
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(dated, sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("purge_id", sa.Uuid(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_purge_id"), ["purge_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_purge_id_personal_data_purges"),
                "personal_data_purges",
                ["purge_id"],
                ["id"],
            )


def downgrade() -> None:
    for table in ("generated_documents", "advisors"):
        dated = "anonymised_on" if table == "advisors" else "purged_on"
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_purge_id_personal_data_purges"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_purge_id"))
            batch_op.drop_column("purge_id")
            batch_op.drop_column(dated)
    op.drop_table("personal_data_purges")
