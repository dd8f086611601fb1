"""alerts of two kinds: the digests and the recovery orders

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20 12:00:00

An alert is now a digest of obligations or the order of a recovery payments issued (issue 18, decision
0034): `kind`, and `key`, what the e-mail is about, unique (`digest:<structure>:<day>`,
`recovery_order:<recovery>`). The key takes over from the unique (structure, digest date), which would
have kept a structure's order out on the day of its digest. `recovery_orders` keeps each order's figures
as `recovery.issued` carries them.

The existing alerts are digests: their key is computed from their structure and day. The downgrade
deletes the orders (their alerts and history rows with them) and gives back the unique (structure, day).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_alerts = sa.table(
    "alerts",
    sa.column("id", sa.Uuid()),
    sa.column("structure_id", sa.Uuid()),
    sa.column("digest_date", sa.Date()),
    sa.column("kind", sa.String()),
    sa.column("key", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("key", sa.String(length=80), nullable=True))
    connection = op.get_bind()
    for alert_id, structure_id, digest_date in connection.execute(
        sa.select(_alerts.c.id, _alerts.c.structure_id, _alerts.c.digest_date)
    ).all():
        connection.execute(
            _alerts.update()
            .where(_alerts.c.id == alert_id)
            .values(kind="digest", key=f"digest:{structure_id}:{digest_date.isoformat()}")
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("key", existing_type=sa.String(length=80), nullable=False)
        batch_op.drop_constraint(op.f("uq_alerts_structure_id_digest_date"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_alerts_key"), ["key"])
        batch_op.create_check_constraint(op.f("ck_alerts_kind"), "kind IN ('digest', 'recovery_order')")
    op.create_table(
        "recovery_orders",
        sa.Column("recovery_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("convention_reference", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("repayment_delay_days", sa.Integer(), nullable=False),
        sa.Column("payment_reference", sa.String(length=35), nullable=False),
        sa.Column("account_name", sa.String(length=70), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("computation", sa.JSON(), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("months_started", sa.Integer(), nullable=False),
        sa.Column("earned", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("paid_per_post", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("created_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('post_ended', 'regularisation', 'final_statement')",
            name=op.f("ck_recovery_orders_kind"),
        ),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_recovery_orders_alert_id_alerts")),
        sa.PrimaryKeyConstraint("recovery_id", name=op.f("pk_recovery_orders")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_recovery_orders_alert_id")),
    )


def downgrade() -> None:
    op.drop_table("recovery_orders")
    connection = op.get_bind()
    orders = [
        row[0] for row in connection.execute(sa.select(_alerts.c.id).where(_alerts.c.kind != "digest")).all()
    ]
    changes = sa.table("status_changes", sa.column("entity_id", sa.Uuid()), sa.column("machine", sa.String()))
    for alert_id in orders:
        connection.execute(
            changes.delete().where(changes.c.machine == "alert", changes.c.entity_id == alert_id)
        )
        connection.execute(_alerts.delete().where(_alerts.c.id == alert_id))
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch_op.drop_constraint(op.f("uq_alerts_key"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_alerts_structure_id_digest_date"), ["structure_id", "digest_date"]
        )
        batch_op.drop_column("key")
        batch_op.drop_column("kind")
