"""dataset reports (interval, gaps, dropped bars) and a note with tags on any journal trade

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "report",
                tradeloop.store.types.JSONText(),
                server_default=sa.text("'{}'"),
                nullable=False,
            )
        )
    op.create_table(
        "trade_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("trade_key", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "tags", tradeloop.store.types.JSONText(), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("updated_at", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_trade_notes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_notes")),
    )
    with op.batch_alter_table("trade_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trade_notes_user_id_trade_key"), ["user_id", "trade_key"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("trade_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_notes_user_id_trade_key"))
    op.drop_table("trade_notes")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("report")
