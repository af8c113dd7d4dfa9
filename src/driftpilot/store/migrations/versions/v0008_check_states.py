"""Each check's newest status and newest judged window, for /metrics' last judged values.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``dp_check_states`` and fill it from the results already recorded.

    Results recorded before this revision carry no status: a check counts as judged in a
    window where one of its current results has a value.
    """
    op.create_table(
        "dp_check_states",
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=200), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("judged_end", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["dp_monitors.id"],
            name="fk_dp_check_states_monitor_id_dp_monitors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", "check", name="pk_dp_check_states"),
    )
    results = sa.table(
        "dp_check_results",
        sa.column("monitor_id", sa.Integer()),
        sa.column("check", sa.String()),
        sa.column("window_end", sa.BigInteger()),
        sa.column("value", sa.Float()),
        sa.column("current", sa.Boolean()),
    )
    states = sa.table(
        "dp_check_states",
        sa.column("monitor_id", sa.Integer()),
        sa.column("check", sa.String()),
        sa.column("window_end", sa.BigInteger()),
        sa.column("status", sa.String()),
        sa.column("judged_end", sa.BigInteger()),
    )
    newest = sa.func.max(results.c.window_end)
    judged = sa.func.max(sa.case((results.c.value.is_not(None), results.c.window_end), else_=None))
    status = sa.case((judged == newest, "ok"), else_="no_data")
    query = (
        sa.select(results.c.monitor_id, results.c.check, newest, status, judged)
        .where(results.c.current.is_(True))
        .group_by(results.c.monitor_id, results.c.check)
    )
    op.execute(
        states.insert().from_select(
            ["monitor_id", "check", "window_end", "status", "judged_end"], query
        )
    )


def downgrade() -> None:
    """Drop ``dp_check_states``."""
    op.drop_table("dp_check_states")
