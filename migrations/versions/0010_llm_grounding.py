"""language-model answers checked before they are kept: why an answer was replaced (audit log)
and what an answer rests on (the tool results it used, its notice) beside each message

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("mentor_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentor_messages", schema=None) as batch_op:
        batch_op.drop_column("details")
    with op.batch_alter_table("llm_calls", schema=None) as batch_op:
        batch_op.drop_column("reason")
