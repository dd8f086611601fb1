"""the bank's return files: status reports and statements, each line and what it came to

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:13:00

- `bank_files`: each pain.002, camt.053 or camt.054 imported, kept whole, unique by its SHA-256 (the same
  file imported again applies nothing);
- `bank_file_lines`: each transaction of a file, its outcome (applied, already applied, matched, unmatched)
  and what it matched; `applied_key` (unique) names what a line changed, so that no return, booking or
  receipt is applied twice (decision 0027).

Downgrade: both tables are dropped; what the lines applied (returned payments, confirmed runs, received
recoveries) stays, with its history rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("pain.002", "camt.053", "camt.054", name="bankfilekind", native_enum=False),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("payment_run_id", sa.Uuid(), nullable=True),
        sa.Column("account_iban", sa.String(length=34), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('pain.002', 'camt.053', 'camt.054')", name=op.f("ck_bank_files_kind")),
        sa.ForeignKeyConstraint(
            ["payment_run_id"], ["payment_runs.id"], name=op.f("fk_bank_files_payment_run_id_payment_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_bank_files_sha256")),
    )
    with op.batch_alter_table("bank_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_files_payment_run_id"), ["payment_run_id"], unique=False)

    op.create_table(
        "bank_file_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bank_file_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Boolean(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column("remittance", sa.Text(), nullable=True),
        sa.Column("bank_reference", sa.String(length=35), nullable=True),
        sa.Column("status", sa.String(length=4), nullable=True),
        sa.Column("reason_code", sa.String(length=35), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "applied",
                "already_applied",
                "matched",
                "unmatched",
                name="lineoutcome",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("payment_run_id", sa.Uuid(), nullable=True),
        sa.Column("tranche_id", sa.Uuid(), nullable=True),
        sa.Column("recovery_id", sa.Uuid(), nullable=True),
        sa.Column("applied_key", sa.String(length=80), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('applied', 'already_applied', 'matched', 'unmatched')",
            name=op.f("ck_bank_file_lines_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_file_id"], ["bank_files.id"], name=op.f("fk_bank_file_lines_bank_file_id_bank_files")
        ),
        sa.ForeignKeyConstraint(
            ["payment_run_id"],
            ["payment_runs.id"],
            name=op.f("fk_bank_file_lines_payment_run_id_payment_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["recovery_id"], ["recoveries.id"], name=op.f("fk_bank_file_lines_recovery_id_recoveries")
        ),
        sa.ForeignKeyConstraint(
            ["tranche_id"], ["tranches.id"], name=op.f("fk_bank_file_lines_tranche_id_tranches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_file_lines")),
        sa.UniqueConstraint("applied_key", name=op.f("uq_bank_file_lines_applied_key")),
        sa.UniqueConstraint(
            "bank_file_id", "position", name=op.f("uq_bank_file_lines_bank_file_id_position")
        ),
    )
    with op.batch_alter_table("bank_file_lines", schema=None) as batch_op:
        batch_op.create_index("ix_bank_file_lines_unmatched", ["outcome", "bank_file_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_file_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_file_lines_unmatched")

    op.drop_table("bank_file_lines")
    with op.batch_alter_table("bank_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_files_payment_run_id"))

    op.drop_table("bank_files")
