"""the officers' directory

Revision ID: 0021
Revises: 0020
Create Date: 2027-01-10 10:00:00

`officers` (decision 0042): the agency's officers who may sign in to the web front through the identity
provider, found by their e-mail address (stored in lower case); their id is the `sub` of their tokens.
Nothing to carry over: `make run` seeds the demo officers with the account ids the web front used before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "officers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'legal', 'finance', 'compliance', 'auditor')", name=op.f("ck_officers_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("email", name=op.f("uq_officers_email")),
    )


def downgrade() -> None:
    op.drop_table("officers")
