"""every advisor belongs to a structure

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00

A contract's or a candidate's advisor must belong to the convention's structure (issue 15): a legal
officer now names the structure when registering a person, and there is no longer a pool of people
without a structure open to every structure.

People a legal officer registered before this change have no structure. Those already presented or hired
get the structure of their first presentation or contract (a contract first, then a presentation, the
earliest of each), so that their file goes on; each one is listed in `advisor_structure_backfills`, so
that a legal officer can review them and the downgrade can give them back their empty structure. The
others (never presented nor hired) keep none and are nobody's to recruit: a legal officer registers the
person again for the structure.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisor_structure_backfills",
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "source IN ('contract', 'candidate')", name=op.f("ck_advisor_structure_backfills_source")
        ),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["advisors.id"], name=op.f("fk_advisor_structure_backfills_advisor_id_advisors")
        ),
        sa.PrimaryKeyConstraint("advisor_id", name=op.f("pk_advisor_structure_backfills")),
    )
    connection = op.get_bind()
    for source, table in (("contract", "contracts"), ("candidate", "candidates")):
        # The structure of the advisor's earliest contract (or presentation), for each advisor still
        # without one; ties broken by id so that every database picks the same.
        rows = connection.execute(
            sa.text(
                f"SELECT t.advisor_id, t.structure_id FROM {table} t "  # noqa: S608 (two fixed names)
                "JOIN advisors a ON a.id = t.advisor_id "
                "WHERE a.structure_id IS NULL "
                "ORDER BY t.advisor_id, t.created_at, t.id"
            )
        ).all()
        first: dict[object, object] = {}
        for advisor_id, structure_id in rows:
            first.setdefault(advisor_id, structure_id)
        for advisor_id, structure_id in first.items():
            connection.execute(
                sa.text("UPDATE advisors SET structure_id = :structure_id WHERE id = :advisor_id"),
                {"structure_id": structure_id, "advisor_id": advisor_id},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO advisor_structure_backfills (advisor_id, structure_id, source) "
                    "VALUES (:advisor_id, :structure_id, :source)"
                ),
                {"advisor_id": advisor_id, "structure_id": structure_id, "source": source},
            )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE advisors SET structure_id = NULL "
            "WHERE id IN (SELECT advisor_id FROM advisor_structure_backfills)"
        )
    )
    op.drop_table("advisor_structure_backfills")
