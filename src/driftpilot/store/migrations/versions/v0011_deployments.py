"""Deployment state per model and its append-only change history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``dp_deployments`` and ``dp_deployment_changes`` (empty)."""
    op.create_table(
        "dp_deployments",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_deployments_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name="pk_dp_deployments"),
    )
    op.create_table(
        "dp_deployment_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_deployment_changes_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_deployment_changes"),
        sa.UniqueConstraint(
            "model_id", "revision", name="uq_dp_deployment_changes_model_id_revision"
        ),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("dp_deployment_changes")
    op.drop_table("dp_deployments")
