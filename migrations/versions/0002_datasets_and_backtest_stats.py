"""datasets and backtest stats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=16), nullable=False),
        sa.Column("bars", sa.Integer(), nullable=False),
        sa.Column("start_time", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_time", tradeloop.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            tradeloop.store.types.UTCDateTime(timezone=True),
            server_default=sa.func.current_timestamp(),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_datasets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_datasets_user_id_sha256"), ["user_id", "sha256"], unique=True
        )

    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stats", tradeloop.store.types.JSONText(), nullable=True))
        batch_op.add_column(sa.Column("dataset_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_backtest_results_dataset_id_datasets"),
            "datasets",
            ["dataset_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_backtest_results_dataset_id_datasets"), type_="foreignkey"
        )
        batch_op.drop_column("dataset_id")
        batch_op.drop_column("stats")

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasets_user_id_sha256"))

    op.drop_table("datasets")
