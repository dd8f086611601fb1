"""a recovery may be the final statement's: what a closed convention's structure owes back

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-15 10:00:00

- `recoveries.kind` may be `final_statement` (no contract): the remainder the final statement finds
  owed back when the convention is closed (decision 0030). The payable remainder is a tranche line of
  kind `final_balance`: `tranches.kind` has no check constraint (migration 0007), nothing to change.

Downgrade: the final statement's recoveries are deleted, then the earlier constraints are put back.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _constraints(kinds_without_contract: str) -> None:
    kind = f"kind IN ('post_ended', {kinds_without_contract})"
    contract_of_a_post = (
        "(kind = 'post_ended' AND contract_id IS NOT NULL) "
        f"OR (kind IN ({kinds_without_contract}) AND contract_id IS NULL)"
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot change a CHECK constraint in place: Alembic's batch mode copies the table.
        with op.batch_alter_table("recoveries", schema=None, recreate="always") as batch_op:
            batch_op.drop_constraint("contract_of_a_post", type_="check")
            batch_op.drop_constraint("kind", type_="check")
            batch_op.create_check_constraint("kind", kind)
            batch_op.create_check_constraint("contract_of_a_post", contract_of_a_post)
        return
    # PostgreSQL changes them in place: copying the table would break the foreign keys that point at it
    # (bank_file_lines.recovery_id, migration 0010).
    op.drop_constraint(op.f("ck_recoveries_contract_of_a_post"), "recoveries", type_="check")
    op.drop_constraint(op.f("ck_recoveries_kind"), "recoveries", type_="check")
    op.create_check_constraint(op.f("ck_recoveries_kind"), "recoveries", kind)
    op.create_check_constraint(op.f("ck_recoveries_contract_of_a_post"), "recoveries", contract_of_a_post)


def upgrade() -> None:
    _constraints("'regularisation', 'final_statement'")


def downgrade() -> None:
    op.execute("DELETE FROM recoveries WHERE kind = 'final_statement'")
    _constraints("'regularisation'")
