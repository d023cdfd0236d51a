"""journal imports, habit settings and goals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "habit_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mistakes", tradeloop.store.types.JSONText(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_habit_goals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_habit_goals")),
    )
    with op.batch_alter_table("habit_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_habit_goals_user_id"), ["user_id"], unique=False)

    op.create_table(
        "habit_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sigma_loss", sa.Float(), server_default=sa.text("(1.0)"), nullable=False),
        sa.Column("sigma_risk", sa.Float(), server_default=sa.text("(1.5)"), nullable=False),
        sa.Column("k", sa.Float(), server_default=sa.text("(1.0)"), nullable=False),
        sa.Column("vr", sa.Float(), server_default=sa.text("(0.35)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_habit_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_habit_settings")),
    )
    op.create_table(
        "journal_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_journal_imports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_imports")),
    )
    with op.batch_alter_table("journal_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journal_imports_user_id_sha256"), ["user_id", "sha256"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_imports_user_id_sha256"))

    op.drop_table("journal_imports")
    op.drop_table("habit_settings")
    with op.batch_alter_table("habit_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_habit_goals_user_id"))

    op.drop_table("habit_goals")
