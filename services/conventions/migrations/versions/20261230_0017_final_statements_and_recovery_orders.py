"""final statements and recovery orders: copies of payments' `final_statement.settled` and
`recovery.issued`, as received (decision 0033)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-30 09:00:00

Issue 18, points 1 and 2: the conventions service draws up the final statement (décompte final) of a
closed convention and the order (ordre de reversement) of each issued recovery, with payments' figures.
It keeps each event's data here, the event's id with it; the first received stays. Their two templates,
`final_statement` and `recovery_order`, join the names a template version may have.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(12, 2)
TEMPLATES_BEFORE = ("convention", "convention_avenant", "contract_avenant")
TEMPLATES = (*TEMPLATES_BEFORE, "final_statement", "recovery_order")


def _template_names(names: Sequence[str]) -> None:
    allowed = ", ".join(f"'{name}'" for name in names)
    with op.batch_alter_table("template_versions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_template_versions_template_name"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_template_versions_template_name"), f"template_name IN ({allowed})"
        )


def upgrade() -> None:
    _template_names(TEMPLATES)
    op.create_table(
        "final_statements",
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("convention_reference", sa.String(length=40), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("granted", MONEY, nullable=False),
        sa.Column("earned", MONEY, nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("balance", MONEY, nullable=False),
        sa.Column("to_pay", MONEY, nullable=False),
        sa.Column("to_recover", MONEY, nullable=False),
        sa.Column("in_payment", MONEY, nullable=False),
        sa.Column("claimed", MONEY, nullable=False),
        sa.Column("to_settle", MONEY, nullable=False),
        sa.Column("posts", sa.JSON(), nullable=False),
        sa.Column("settlement", sa.JSON(), nullable=True),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("received_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["convention_id"],
            ["conventions.id"],
            name=op.f("fk_final_statements_convention_id_conventions"),
        ),
        sa.PrimaryKeyConstraint("convention_id", name=op.f("pk_final_statements")),
        sa.UniqueConstraint("event_id", name=op.f("uq_final_statements_event_id")),
    )
    with op.batch_alter_table("final_statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_final_statements_structure_id"), ["structure_id"], unique=False)
    op.create_table(
        "recovery_orders",
        sa.Column("recovery_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("convention_id", sa.Uuid(), nullable=False),
        sa.Column("structure_id", sa.Uuid(), nullable=False),
        sa.Column("convention_reference", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("repayment_delay_days", sa.Integer(), nullable=False),
        sa.Column("payment_reference", sa.String(length=35), nullable=False),
        sa.Column("pay_to_name", sa.String(length=70), nullable=False),
        sa.Column("pay_to_iban", sa.String(length=34), nullable=False),
        sa.Column("pay_to_bic", sa.String(length=11), nullable=True),
        sa.Column("computation", sa.JSON(), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("months_started", sa.Integer(), nullable=False),
        sa.Column("earned", MONEY, nullable=True),
        sa.Column("paid_per_post", MONEY, nullable=True),
        sa.Column("structure", sa.JSON(), nullable=False),
        sa.Column("received_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('post_ended', 'regularisation', 'final_statement')",
            name=op.f("ck_recovery_orders_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["convention_id"],
            ["conventions.id"],
            name=op.f("fk_recovery_orders_convention_id_conventions"),
        ),
        sa.PrimaryKeyConstraint("recovery_id", name=op.f("pk_recovery_orders")),
        sa.UniqueConstraint("event_id", name=op.f("uq_recovery_orders_event_id")),
    )
    with op.batch_alter_table("recovery_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_orders_convention_id"), ["convention_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recovery_orders_structure_id"), ["structure_id"], unique=False)


def downgrade() -> None:
    # The versions of the two templates go (the older check refuses them); the documents rendered from
    # them and their download lines stay, as the record of what was served.
    op.execute(
        sa.text("DELETE FROM template_versions WHERE template_name IN ('final_statement', 'recovery_order')")
    )
    _template_names(TEMPLATES_BEFORE)
    with op.batch_alter_table("recovery_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_orders_structure_id"))
        batch_op.drop_index(batch_op.f("ix_recovery_orders_convention_id"))
    op.drop_table("recovery_orders")
    with op.batch_alter_table("final_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_statements_structure_id"))
    op.drop_table("final_statements")
