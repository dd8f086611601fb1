"""closing runs: the closing of every convention whose funding ends in a period (decision 0035)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-30 09:00:00

One run per period (unique), one item per convention of the run, each with what became of it and, once
the statements have arrived, the PDF of its statement put in the archive. It touches none of 0017's
tables (written beside it, then chained after it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closing_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("funding_ends_from", sa.Date(), nullable=False),
        sa.Column("funding_ends_to", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("archive_path", sa.String(length=300), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("funding_ends_from <= funding_ends_to", name=op.f("ck_closing_runs_period")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_closing_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_runs")),
        sa.UniqueConstraint(
            "funding_ends_from",
            "funding_ends_to",
            name=op.f("uq_closing_runs_funding_ends_from_funding_ends_to"),
        ),
    )
    with op.batch_alter_table("closing_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closing_runs_status"), ["status"], unique=False)

    op.create_table(
        "closing_run_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("document_error", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "(status = 'done') = (outcome IS NOT NULL)", name=op.f("ck_closing_run_items_outcome_when_done")
        ),
        sa.CheckConstraint(
            "outcome IN ('closed', 'already_closed', 'not_ended')", name=op.f("ck_closing_run_items_outcome")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name=op.f("ck_closing_run_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["convention_id"],
            ["conventions.id"],
            name=op.f("fk_closing_run_items_convention_id_conventions"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["generated_documents.id"],
            name=op.f("fk_closing_run_items_document_id_generated_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["closing_runs.id"],
            name=op.f("fk_closing_run_items_run_id_closing_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_run_items")),
        sa.UniqueConstraint(
            "run_id", "convention_id", name=op.f("uq_closing_run_items_run_id_convention_id")
        ),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_closing_run_items_run_id_position")),
    )
    with op.batch_alter_table("closing_run_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_closing_run_items_convention_id"), ["convention_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("closing_run_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closing_run_items_convention_id"))
    op.drop_table("closing_run_items")
    with op.batch_alter_table("closing_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closing_runs_status"))
    op.drop_table("closing_runs")
