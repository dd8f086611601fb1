"""obligations completed: training exemptions, officers' escalations, CRA reminders, advisors of posts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:00:00

- `training_exemptions`: an advisor holding the CCP1 or the title, with the evidence's SHA-256;
- `obligations.escalation_requests`, `alert_items.officer_request`: each `/escalate` told once by the next
  digest (the unique (obligation, step) becomes (obligation, step, officer_request));
- `alert_items.step` also takes the CRA reminders `reminder_1` and `reminder_2`;
- `obligations.advisor_id`, `contracts.advisor_id`: one post counted once per advisor and convention.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cnum_shared.framework.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEPS_BEFORE = "step IN ('due_soon', 'overdue', 'escalation')"
STEPS_AFTER = "step IN ('due_soon', 'overdue', 'escalation', 'reminder_1', 'reminder_2')"


def upgrade() -> None:
    op.create_table(
        "training_exemptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("qualification", sa.String(length=10), nullable=False),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", cnum_shared.framework.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "qualification IN ('ccp1', 'title')", name=op.f("ck_training_exemptions_qualification")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.contract_id"],
            name=op.f("fk_training_exemptions_contract_id_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_exemptions")),
        sa.UniqueConstraint("contract_id", name=op.f("uq_training_exemptions_contract_id")),
    )
    # `obligations` and `contracts` have rows pointing at them (history, evidence, alert items, training
    # records, activity reports): SQLite, with foreign keys on, cannot drop them to rebuild them in batch
    # mode, so their columns are added (and dropped by downgrade) in place, never by a rebuild.
    with op.batch_alter_table("obligations", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("advisor_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_requests", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("contracts", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("advisor_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("alert_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("officer_request", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint(op.f("uq_alert_items_obligation_id_step"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_alert_items_obligation_id_step_officer_request", ["obligation_id", "step", "officer_request"]
        )
        batch_op.drop_constraint(op.f("ck_alert_items_step"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_items_step"), sa.text(STEPS_AFTER))


NEW_KINDS = ("candidate_presentation", "continuing_training")


def downgrade() -> None:
    # What the earlier code cannot read goes first: the obligations of the two new kinds (with their
    # history, evidence rows and alert items), the CRA reminders and the officers' escalations told
    # (the history of their obligations keeps each escalation).
    obligations = sa.table("obligations", sa.column("id"), sa.column("kind"))
    of_new_kinds = sa.select(obligations.c.id).where(obligations.c.kind.in_(NEW_KINDS))
    for name in ("alert_items", "evidence", "obligation_history"):
        table = sa.table(name, sa.column("obligation_id"))
        op.execute(sa.delete(table).where(table.c.obligation_id.in_(of_new_kinds)))
    op.execute(sa.delete(obligations).where(obligations.c.kind.in_(NEW_KINDS)))
    items = sa.table("alert_items", sa.column("step"), sa.column("officer_request"))
    op.execute(
        sa.delete(items).where(
            sa.or_(items.c.step.in_(("reminder_1", "reminder_2")), items.c.officer_request != 0)
        )
    )
    with op.batch_alter_table("alert_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_items_step"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_items_step"), sa.text(STEPS_BEFORE))
        batch_op.drop_constraint(op.f("uq_alert_items_obligation_id_step_officer_request"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_alert_items_obligation_id_step"), ["obligation_id", "step"]
        )
        batch_op.drop_column("officer_request")
    # In place (SQLite ≥ 3.35 drops a plain column): see upgrade().
    with op.batch_alter_table("contracts", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("advisor_id")
    with op.batch_alter_table("obligations", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("escalation_requests")
        batch_op.drop_column("advisor_id")
    op.drop_table("training_exemptions")
