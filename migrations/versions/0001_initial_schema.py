"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column(
            "join_date",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.Column("language", sa.String(length=2), server_default=sa.text("'id'"), nullable=False),
        sa.Column(
            "timezone", sa.String(length=64), server_default=sa.text("'UTC'"), nullable=False
        ),
        sa.Column("session_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "backtest_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "timestamp",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.Column("strategy_name", sa.Text(), nullable=False),
        sa.Column("data_filename", sa.Text(), nullable=False),
        sa.Column("total_profit_usd", sa.Float(), nullable=False),
        sa.Column("total_trades", sa.Integer(), nullable=False),
        sa.Column("win_rate_percent", sa.Float(), nullable=False),
        sa.Column("max_drawdown_percent", sa.Float(), nullable=False),
        sa.Column("wins", sa.Integer(), nullable=False),
        sa.Column("losses", sa.Integer(), nullable=False),
        sa.Column("equity_curve", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("trade_log", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("parameters", tradeloop.store.types.JSONText(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backtest_results_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_results")),
    )
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backtest_results_timestamp"), ["timestamp"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_backtest_results_user_id_timestamp"),
            ["user_id", "timestamp"],
            unique=False,
        )

    op.create_table(
        "bots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("market", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "paused",
                "running",
                "error",
                name="bot_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default=sa.text("'paused'"),
            nullable=False,
        ),
        sa.Column("lot_size", sa.Float(), server_default=sa.text("(0.01)"), nullable=False),
        sa.Column("sl_pips", sa.Integer(), server_default=sa.text("(100)"), nullable=False),
        sa.Column("tp_pips", sa.Integer(), server_default=sa.text("(200)"), nullable=False),
        sa.Column("timeframe", sa.Text(), server_default=sa.text("'H1'"), nullable=False),
        sa.Column(
            "check_interval_seconds", sa.Integer(), server_default=sa.text("(60)"), nullable=False
        ),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("strategy_params", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("risk_percent", sa.Float(), nullable=True),
        sa.Column(
            "stop_mode",
            sa.Enum(
                "pips",
                "atr",
                name="stop_mode",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default=sa.text("'pips'"),
            nullable=False,
        ),
        sa.Column("sl_atr_multiplier", sa.Float(), server_default=sa.text("(2.0)"), nullable=False),
        sa.Column("tp_atr_multiplier", sa.Float(), server_default=sa.text("(4.0)"), nullable=False),
        sa.Column(
            "enable_strategy_switching",
            sa.Boolean(create_constraint=True, name="enable_strategy_switching"),
            server_default=sa.false(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bots_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
    )
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bots_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_bots_user_id"), ["user_id"], unique=False)

    op.create_table(
        "trading_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("total_trades", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_profit_loss", sa.Float(), server_default=sa.text("(0.0)"), nullable=False),
        sa.Column(
            "emotions",
            sa.Enum(
                "calm",
                "greedy",
                "fearful",
                "frustrated",
                "neutral",
                "euphoric",
                "tired",
                name="emotion",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default=sa.text("'neutral'"),
            nullable=False,
        ),
        sa.Column(
            "market_conditions",
            sa.Enum(
                "normal",
                "trending",
                "ranging",
                "volatile",
                "news",
                name="market_condition",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            server_default=sa.text("'normal'"),
            nullable=False,
        ),
        sa.Column("personal_notes", sa.Text(), nullable=True),
        sa.Column("risk_score", sa.Integer(), server_default=sa.text("5"), nullable=True),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trading_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_sessions")),
    )
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trading_sessions_session_date_user_id"),
            ["session_date", "user_id"],
            unique=True,
        )

    op.create_table(
        "ai_mentor_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("trading_patterns_analysis", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("emotional_analysis", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("risk_management_score", sa.Integer(), nullable=True),
        sa.Column("recommendations", tradeloop.store.types.JSONText(), nullable=True),
        sa.Column("motivation_message", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=2), server_default=sa.text("'id'"), nullable=False),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["trading_sessions.id"],
            name=op.f("fk_ai_mentor_reports_session_id_trading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_mentor_reports")),
    )
    with op.batch_alter_table("ai_mentor_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_mentor_reports_session_id_language"),
            ["session_id", "language"],
            unique=True,
        )

    op.create_table(
        "daily_trading_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("entry_time", tradeloop.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("exit_time", tradeloop.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("profit_loss", sa.Float(), nullable=False),
        sa.Column("lot_size", sa.Float(), nullable=False),
        sa.Column(
            "stop_loss_used",
            sa.Boolean(create_constraint=True, name="stop_loss_used"),
            server_default=sa.false(),
            nullable=True,
        ),
        sa.Column(
            "take_profit_used",
            sa.Boolean(create_constraint=True, name="take_profit_used"),
            server_default=sa.false(),
            nullable=True,
        ),
        sa.Column("risk_percent", sa.Float(), nullable=True),
        sa.Column("strategy_used", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["bots.id"],
            name=op.f("fk_daily_trading_data_bot_id_bots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["trading_sessions.id"],
            name=op.f("fk_daily_trading_data_session_id_trading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_trading_data")),
    )
    with op.batch_alter_table("daily_trading_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daily_trading_data_bot_id"), ["bot_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_daily_trading_data_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "trade_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column(
            "timestamp",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column(
            "is_notification",
            sa.Boolean(create_constraint=True, name="is_notification"),
            server_default=sa.false(),
            nullable=False,
        ),
        sa.Column(
            "is_read",
            sa.Boolean(create_constraint=True, name="is_read"),
            server_default=sa.false(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_trade_history_bot_id_bots"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_history")),
    )
    with op.batch_alter_table("trade_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trade_history_bot_id_timestamp"), ["bot_id", "timestamp"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trade_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_history_bot_id_timestamp"))

    op.drop_table("trade_history")
    with op.batch_alter_table("daily_trading_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_trading_data_session_id"))
        batch_op.drop_index(batch_op.f("ix_daily_trading_data_bot_id"))

    op.drop_table("daily_trading_data")
    with op.batch_alter_table("ai_mentor_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_mentor_reports_session_id_language"))

    op.drop_table("ai_mentor_reports")
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trading_sessions_session_date_user_id"))

    op.drop_table("trading_sessions")
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bots_user_id"))
        batch_op.drop_index(batch_op.f("ix_bots_status"))

    op.drop_table("bots")
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backtest_results_user_id_timestamp"))
        batch_op.drop_index(batch_op.f("ix_backtest_results_timestamp"))

    op.drop_table("backtest_results")
    op.drop_table("users")
