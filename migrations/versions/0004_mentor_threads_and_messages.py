"""mentor threads and messages, LLM consent and audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentor_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mentor_threads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_threads")),
    )
    with op.batch_alter_table("mentor_threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentor_threads_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mentor_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "provider", sa.String(length=16), server_default=sa.text("'offline'"), nullable=False
        ),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["mentor_threads.id"],
            name=op.f("fk_mentor_messages_thread_id_mentor_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_messages")),
    )
    with op.batch_alter_table("mentor_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentor_messages_thread_id"), ["thread_id"], unique=False
        )

    op.create_table(
        "mentor_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "llm_consent",
            sa.Boolean(create_constraint=True, name="llm_consent"),
            server_default=sa.false(),
            nullable=False,
        ),
        sa.Column(
            "consent_changed_at", tradeloop.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mentor_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mentor_preferences")),
    )
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("tools", tradeloop.store.types.JSONText(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_llm_calls_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_calls")),
    )
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_llm_calls_user_id_created_at"), ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_calls_user_id_created_at"))
    op.drop_table("llm_calls")
    op.drop_table("mentor_preferences")
    with op.batch_alter_table("mentor_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentor_messages_thread_id"))

    op.drop_table("mentor_messages")
    with op.batch_alter_table("mentor_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentor_threads_user_id"))

    op.drop_table("mentor_threads")
