"""optimisation runs stored per user, with one row per finished combination (kept when a run
is cancelled or interrupted, so it can be resumed)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradeloop.store.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = tradeloop.store.types.UTCDateTime
JSON_TEXT = tradeloop.store.types.JSONText


def upgrade() -> None:
    op.create_table(
        "optimisation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("request", JSON_TEXT(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("result", JSON_TEXT(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME(), nullable=False),
        sa.Column("finished_at", UTC_TIME(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_optimisation_runs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_optimisation_runs_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimisation_runs")),
    )  # fmt: skip
    op.create_index(op.f("ix_optimisation_runs_user_id_id"), "optimisation_runs", ["user_id", "id"])
    op.create_table(
        "optimisation_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("combo_index", sa.Integer(), nullable=False),
        sa.Column("params", JSON_TEXT(), nullable=True),
        sa.Column("settings", JSON_TEXT(), nullable=True),
        sa.Column("stats", JSON_TEXT(), nullable=True),
        sa.Column("skipped", sa.Text(), nullable=True),
        sa.Column("daily", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["optimisation_runs.id"],
            name=op.f("fk_optimisation_rows_run_id_optimisation_runs"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_optimisation_rows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimisation_rows")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_optimisation_rows_run_id_combo_index"), "optimisation_rows",
        ["run_id", "combo_index"], unique=True,
    )  # fmt: skip
    op.create_index(op.f("ix_optimisation_rows_user_id"), "optimisation_rows", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_optimisation_rows_user_id"), table_name="optimisation_rows")
    op.drop_index(op.f("ix_optimisation_rows_run_id_combo_index"), table_name="optimisation_rows")
    op.drop_table("optimisation_rows")
    op.drop_index(op.f("ix_optimisation_runs_user_id_id"), table_name="optimisation_runs")
    op.drop_table("optimisation_runs")
