"""bots that start and stop, fail with a reason, take commands and carry protections; a
paper account keeps its runner's state (protections, latest analysis)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("paused", "running", "error")
NEW = ("paused", "starting", "running", "stopping", "error")


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_constraint("bot_status", type_="check")
        batch_op.create_check_constraint("bot_status", _statuses(NEW))
        batch_op.add_column(sa.Column("status_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("command", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("protections", tradeloop.store.types.JSONText(), nullable=True)
        )
    with op.batch_alter_table("paper_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner", tradeloop.store.types.JSONText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("paper_accounts", schema=None) as batch_op:
        batch_op.drop_column("runner")
    op.execute("UPDATE bots SET status = 'paused' WHERE status IN ('starting', 'stopping')")
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_column("protections")
        batch_op.drop_column("command")
        batch_op.drop_column("status_reason")
        batch_op.drop_constraint("bot_status", type_="check")
        batch_op.create_check_constraint("bot_status", _statuses(OLD))
