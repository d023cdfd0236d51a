"""trading_sessions.feedback_at: when the trader stated the day's emotion

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "feedback_at", tradeloop.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    # Days with a note were written by the trader; days made by imports were not.
    op.execute(
        "UPDATE trading_sessions SET feedback_at = created_at WHERE personal_notes IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("trading_sessions", schema=None) as batch_op:
        batch_op.drop_column("feedback_at")
