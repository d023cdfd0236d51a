"""paper bots run by a supervisor: a bot's feed and lease, its paper account as of its last
bar, and its fills (once per client order id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed", tradeloop.store.types.JSONText(), nullable=True))
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "lease_until", tradeloop.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "paper_accounts",
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", tradeloop.store.types.JSONText(), nullable=False),
        sa.Column("pending_entry", sa.String(length=200), nullable=True),
        sa.Column("pending_exit", sa.String(length=200), nullable=True),
        sa.Column("position_id", sa.String(length=200), nullable=True),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("bar_index", sa.Integer(), nullable=False),
        sa.Column("updated_at", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_paper_accounts_bot_id_bots"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_paper_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_paper_accounts")),
    )
    op.create_table(
        "bot_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("stop", sa.Float(), nullable=True),
        sa.Column("time", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_bot_fills_bot_id_bots"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bot_fills_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_fills")),
    )
    with op.batch_alter_table("bot_fills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bot_fills_bot_id_client_order_id"),
            ["bot_id", "client_order_id"],
            unique=True,
        )


def downgrade() -> None:
    op.drop_table("bot_fills")
    op.drop_table("paper_accounts")
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_holder")
        batch_op.drop_column("feed")
