"""alerts of a third kind: the final statement of a closed convention

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-15 10:00:00

Compliance now consumes payments' `final_statement.settled` (decision 0046): a closing that leaves money
to pay to the structure, or nothing to settle, is e-mailed to the structure as an alert of the kind
`final_statement` (key `final_statement:<convention>`). `final_statements` keeps each statement's
figures as the event carries them. Nothing to carry over: the statements published before the upgrade
reached conventions only.

The downgrade deletes those alerts (and their history rows) with the table, and gives back the two kinds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_alerts = sa.table("alerts", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_alerts_kind"), "kind IN ('digest', 'recovery_order', 'final_statement')"
        )
    op.create_table(
        "final_statements",
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("convention_reference", sa.String(length=40), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("granted", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("earned", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("to_pay", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("to_recover", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("in_payment", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("claimed", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("to_settle", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("settlement_kind", sa.String(length=10), nullable=True),
        sa.Column("settlement_id", sa.Uuid(), nullable=True),
        sa.Column("settlement_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("created_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(settlement_kind IS NULL AND settlement_id IS NULL AND settlement_amount IS NULL) OR "
            "(settlement_kind = 'payment' AND settlement_id IS NOT NULL AND settlement_amount IS NOT NULL)",
            name=op.f("ck_final_statements_settlement"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_final_statements_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("convention_id", name=op.f("pk_final_statements")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_final_statements_alert_id")),
    )


def downgrade() -> None:
    op.drop_table("final_statements")
    connection = op.get_bind()
    statements = [
        row[0]
        for row in connection.execute(
            sa.select(_alerts.c.id).where(_alerts.c.kind == "final_statement")
        ).all()
    ]
    changes = sa.table("status_changes", sa.column("entity_id", sa.Uuid()), sa.column("machine", sa.String()))
    for alert_id in statements:
        connection.execute(
            changes.delete().where(changes.c.machine == "alert", changes.c.entity_id == alert_id)
        )
        connection.execute(_alerts.delete().where(_alerts.c.id == alert_id))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), "kind IN ('digest', 'recovery_order')")
