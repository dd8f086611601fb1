"""the scheduler's ledger: one row per job and due time

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-05 10:00:00

`job_runs` (decision 0038): a scheduler claims the (job, due time) row before it runs a job, so that a
standby that takes over, or a second scheduler, never runs the same due time again. Nothing to carry
over: the first scheduler after the upgrade runs the latest due time of each job once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("due_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("legal_date", sa.Date(), nullable=False),
        sa.Column("scheduler", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("started_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.CheckConstraint("outcome IN ('done', 'failed')", name=op.f("ck_job_runs_outcome")),
        sa.PrimaryKeyConstraint("job", "due_at", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
