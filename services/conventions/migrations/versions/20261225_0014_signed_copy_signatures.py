"""signed copies: their signatures, checked at upload, and the state of the agency's seal in them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-25 02:00:00

Issue 17: every generated convention PDF carries the agency's electronic seal (decision 0023). A
countersigned copy has each of its signatures validated at upload (intact, trusted, ours) and kept as
JSON, with whether our seal is still intact in it. The copies stored before carry no result: their
signatures were never checked (`[]`, seal `absent`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A PDF someone asks about is found by its SHA-256 (POST /documents/verify).
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_generated_documents_sha256"), ["sha256"], unique=False)
    with op.batch_alter_table("signed_copies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signatures", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("agency_seal", sa.String(length=16), nullable=False, server_default="absent")
        )
        batch_op.create_check_constraint(
            op.f("ck_signed_copies_agency_seal"), "agency_seal IN ('intact', 'altered', 'absent')"
        )


def downgrade() -> None:
    with op.batch_alter_table("signed_copies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_signed_copies_agency_seal"), type_="check")
        batch_op.drop_column("agency_seal")
        batch_op.drop_column("signatures")
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generated_documents_sha256"))
