"""Alerts: their persisted lifecycle, silences, and the notification outbox (dead letters).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the alert tables."""
    op.create_table(
        "dp_alerts",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=500), nullable=False),
        sa.Column("monitor", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("group_values", sa.Text(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=15), nullable=False),
        sa.Column("bad", sa.Integer(), nullable=False),
        sa.Column("clear", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("first_window_start", sa.BigInteger(), nullable=False),
        sa.Column("last_bad_window_end", sa.BigInteger(), nullable=False),
        sa.Column("last_window_end", sa.BigInteger(), nullable=False),
        sa.Column("fired_at", sa.BigInteger(), nullable=True),
        sa.Column("last_notified_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_alerts_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_alerts"),
    )
    op.create_index("ix_dp_alerts_key_state", "dp_alerts", ["dedup_key", "state"])
    op.create_index("ix_dp_alerts_monitor_rule_state", "dp_alerts", ["monitor", "rule", "state"])
    op.create_table(
        "dp_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matchers", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dp_silences"),
    )
    op.create_table(
        "dp_notifications",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", _BigId, nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["dp_alerts.id"],
            name="fk_dp_notifications_alert_id_dp_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_notifications"),
    )
    op.create_index("ix_dp_notifications_alert_id", "dp_notifications", ["alert_id"])
    op.create_index("ix_dp_notifications_status_id", "dp_notifications", ["status", "id"])


def downgrade() -> None:
    """Drop the alert tables."""
    op.drop_table("dp_notifications")
    op.drop_table("dp_silences")
    op.drop_table("dp_alerts")
