"""the unmatched lines of the bank's files as an officer's work list, each bank fact listed once

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-16 10:00:00

`bank_file_lines` gains:
- `identity`: what makes a line the same bank fact in another file (the bank's reference of the
  transaction, its end-to-end id…), unique among the lines that first brought it;
- `repeats_line_id`: the earlier line a repeated line brought again (it applies nothing, is not listed);
- `resolution` (open, received, dismissed), `dismissed_reason` (not_ours, refund, other),
  `resolution_comment`, `resolved_by`, `resolved_at`: what an officer made of an unmatched line
  (decision 0027, "Unmatched lines across files").

The unmatched lines already imported that an officer is to deal with (a booked entry, or a status
report's line) are opened. Their `identity` stays empty: a later file that repeats one of them is read
as before (its `applied_key` still keeps anything from being applied twice).

Downgrade: the columns are dropped, with what officers resolved (the recoveries they received stay
received, with their history rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_file_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("repeats_line_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "resolution",
                sa.Enum("open", "received", "dismissed", name="lineresolution", native_enum=False, length=10),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "dismissed_reason",
                sa.Enum("not_ours", "refund", "other", name="dismissalreason", native_enum=False, length=10),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("resolution_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_bank_file_lines_repeats_line_id_bank_file_lines"),
            "bank_file_lines",
            ["repeats_line_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bank_file_lines_resolution"), "resolution IN ('open', 'received', 'dismissed')"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bank_file_lines_dismissed_reason"),
            "dismissed_reason IN ('not_ours', 'refund', 'other')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bank_file_lines_dismissed_with_reason"),
            "(resolution = 'dismissed') = (dismissed_reason IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bank_file_lines_resolved_when"),
            "(resolution IS NULL OR resolution = 'open') = (resolved_at IS NULL)",
        )
        batch_op.create_index("ix_bank_file_lines_resolution", ["resolution", "booking_date"], unique=False)
        batch_op.create_index(
            "uq_bank_file_lines_identity_first",
            ["identity"],
            unique=True,
            sqlite_where=sa.text("repeats_line_id IS NULL"),
            postgresql_where=sa.text("repeats_line_id IS NULL"),
        )
    op.execute(
        "UPDATE bank_file_lines SET resolution = 'open' WHERE outcome = 'unmatched' AND (status = 'BOOK' "
        "OR bank_file_id IN (SELECT id FROM bank_files WHERE kind = 'pain.002'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("bank_file_lines", schema=None) as batch_op:
        batch_op.drop_index("uq_bank_file_lines_identity_first")
        batch_op.drop_index("ix_bank_file_lines_resolution")
        batch_op.drop_constraint(batch_op.f("ck_bank_file_lines_resolved_when"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bank_file_lines_dismissed_with_reason"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bank_file_lines_dismissed_reason"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bank_file_lines_resolution"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_bank_file_lines_repeats_line_id_bank_file_lines"), type_="foreignkey"
        )
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolution_comment")
        batch_op.drop_column("dismissed_reason")
        batch_op.drop_column("resolution")
        batch_op.drop_column("repeats_line_id")
        batch_op.drop_column("identity")
