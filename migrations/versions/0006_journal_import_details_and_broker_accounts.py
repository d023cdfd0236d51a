"""journal_imports: kind, currency, stops_known, details, a wider format; broker_accounts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("journal_imports", schema=None) as batch_op:
        batch_op.alter_column(
            "format", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default=sa.text("'live'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("currency", sa.String(length=8), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "stops_known",
                sa.Boolean(create_constraint=True, name="stops_known"),
                server_default=sa.true(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "details",
                tradeloop.store.types.JSONText(),
                server_default=sa.text("'{}'"),
                nullable=False,
            )
        )
    op.create_table(
        "broker_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("server", sa.String(length=128), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column(
            "updated_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_broker_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_accounts")),
    )
    with op.batch_alter_table("broker_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_accounts_user_id_account_server"),
            ["user_id", "account", "server"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("broker_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_accounts_user_id_account_server"))
    op.drop_table("broker_accounts")
    with op.batch_alter_table("journal_imports", schema=None) as batch_op:
        batch_op.drop_column("details")
        if op.get_context().dialect.name == "sqlite":  # PostgreSQL has a native boolean
            batch_op.drop_constraint(batch_op.f("ck_journal_imports_stops_known"), type_="check")
        batch_op.drop_column("stops_known")
        batch_op.drop_column("currency")
        batch_op.drop_column("kind")
        batch_op.alter_column(
            "format", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
