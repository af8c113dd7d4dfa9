"""Streaming detector state kept across monitor windows.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the detector state table (empty: every detector starts fresh once)."""
    op.create_table(
        "dp_detector_states",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("check_name", sa.String(length=200), nullable=False),
        sa.Column("segment", sa.String(length=200), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("n_fed", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["dp_monitors.id"],
            name="fk_dp_detector_states_monitor_id_dp_monitors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "monitor_id", "check_name", "segment", "window_end", name="pk_dp_detector_states"
        ),
    )


def downgrade() -> None:
    """Drop the detector state table."""
    op.drop_table("dp_detector_states")
