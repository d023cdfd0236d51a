"""abuse limits shared by every process, an audit log, sessions a user can revoke, roles,
two-factor sign-in with recovery codes, and soft delete for bots and journal imports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = tradeloop.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_start", UTC_TIME(), nullable=False),
        sa.Column("blocked_until", UTC_TIME(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttles")),
    )
    op.create_index(op.f("ix_throttles_window_start"), "throttles", ["window_start"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC_TIME(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=8), server_default=sa.text("'ok'"), nullable=False),
        sa.Column("address", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "detail",
            tradeloop.store.types.JSONText(),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_user_id_id"), "audit_events", ["user_id", "id"])
    op.create_index(op.f("ix_audit_events_action_id"), "audit_events", ["action", "id"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC_TIME(), nullable=False),
        sa.Column("expires_at", UTC_TIME(), nullable=False),
        sa.Column("address", sa.String(length=64), server_default=sa.text("''"), nullable=False),
        sa.Column("agent", sa.String(length=200), server_default=sa.text("''"), nullable=False),
        sa.Column("revoked_at", UTC_TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_id", name=op.f("uq_user_sessions_token_id")),
    )
    op.create_index(op.f("ix_user_sessions_user_id_id"), "user_sessions", ["user_id", "id"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC_TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=8), server_default=sa.text("'user'"), nullable=False)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", UTC_TIME(), nullable=True))
    for table in ("bots", "journal_imports"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deleted_at", UTC_TIME(), nullable=True))


def downgrade() -> None:
    for table in ("journal_imports", "bots"):
        op.execute(f"DELETE FROM {table} WHERE deleted_at IS NOT NULL")  # noqa: S608
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("deleted_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("role")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_index(op.f("ix_user_sessions_user_id_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_index(op.f("ix_audit_events_action_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_user_id_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_throttles_window_start"), table_name="throttles")
    op.drop_table("throttles")
