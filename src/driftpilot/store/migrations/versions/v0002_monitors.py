"""Monitors: their definitions, runs, check results and once-per-window leases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create the monitor tables."""
    op.create_table(
        "dp_monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        _fk("dp_monitors", "model_id", "dp_models"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_monitors"),
        sa.UniqueConstraint("name", name="uq_dp_monitors_name"),
    )
    op.create_index("ix_dp_monitors_model_id", "dp_monitors", ["model_id"])
    op.create_table(
        "dp_monitor_runs",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("n_events", sa.BigInteger(), nullable=False),
        sa.Column("n_labels", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("evaluated_at", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        _fk("dp_monitor_runs", "monitor_id", "dp_monitors"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_monitor_runs"),
        sa.UniqueConstraint(
            "monitor_id",
            "window_start",
            "window_end",
            "revision",
            name="uq_dp_monitor_runs_monitor_id_window_start_window_end_revision",
        ),
    )
    op.create_index(
        "ix_dp_monitor_runs_monitor_id_window_end", "dp_monitor_runs", ["monitor_id", "window_end"]
    )
    op.create_table(
        "dp_check_results",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("metric", sa.String(), nullable=False),
        sa.Column("feature", sa.String(), nullable=False, server_default=""),
        sa.Column("segment", sa.String(), nullable=False, server_default=""),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("stderr", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("n_labels", sa.BigInteger(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        _fk("dp_check_results", "run_id", "dp_monitor_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_check_results"),
    )
    op.create_index("ix_dp_check_results_run_id", "dp_check_results", ["run_id"])
    op.create_index(
        "ix_dp_check_results_series",
        "dp_check_results",
        ["model_id", "metric", "feature", "segment", "window_start"],
    )
    op.create_table(
        "dp_monitor_leases",
        sa.Column("monitor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        _fk("dp_monitor_leases", "monitor_id", "dp_monitors"),
        sa.PrimaryKeyConstraint(
            "monitor_id", "window_start", "window_end", name="pk_dp_monitor_leases"
        ),
    )


def downgrade() -> None:
    """Drop the monitor tables."""
    for table in ("dp_monitor_leases", "dp_check_results", "dp_monitor_runs", "dp_monitors"):
        op.drop_table(table)
