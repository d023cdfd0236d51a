"""trading accounts: paper, crypto exchanges through ccxt and MetaTrader 5, with sealed
credentials and per-account guards

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = tradeloop.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "trading_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("exchange", sa.String(length=40), nullable=True),
        sa.Column("market_type", sa.String(length=8), server_default=sa.text("'spot'"),
                  nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("key_hint", sa.String(length=8), server_default=sa.text("''"), nullable=False),
        sa.Column("mt5_login", sa.String(length=20), nullable=True),
        sa.Column("mt5_server", sa.String(length=128), nullable=True),
        sa.Column("max_order_size", sa.Float(), nullable=True),
        sa.Column("max_open_positions", sa.Integer(), nullable=True),
        sa.Column("max_daily_loss", sa.Float(), nullable=True),
        sa.Column("created_at", UTC_TIME(), nullable=False),
        sa.Column("updated_at", UTC_TIME(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trading_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_accounts")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_trading_accounts_user_id_name"), "trading_accounts", ["user_id", "name"],
        unique=True,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_trading_accounts_user_id_name"), table_name="trading_accounts")
    op.drop_table("trading_accounts")
