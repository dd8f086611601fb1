"""tranche list order index; the convention_id index, redundant with the unique (convention_id, number)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tranches_list_order", "tranches", ["due_on", "convention_id", "number"])
    op.drop_index("ix_tranches_convention_id", table_name="tranches")


def downgrade() -> None:
    op.create_index("ix_tranches_convention_id", "tranches", ["convention_id"])
    op.drop_index("ix_tranches_list_order", table_name="tranches")
