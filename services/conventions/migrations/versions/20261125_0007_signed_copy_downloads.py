"""signed copy downloads: the download log also records the countersigned copies read back

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_downloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_copy_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("document_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column("template_sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_document_downloads_signed_copy_id_signed_copies"),
            "signed_copies",
            ["signed_copy_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_document_downloads_one_document"),
            "(document_id IS NULL) <> (signed_copy_id IS NULL)",
        )


def downgrade() -> None:
    # The older schema cannot hold a download of a countersigned copy: those lines go with the column.
    op.execute("DELETE FROM document_downloads WHERE signed_copy_id IS NOT NULL")
    with op.batch_alter_table("document_downloads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_document_downloads_one_document"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_document_downloads_signed_copy_id_signed_copies"), type_="foreignkey"
        )
        batch_op.alter_column("template_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("document_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("signed_copy_id")
