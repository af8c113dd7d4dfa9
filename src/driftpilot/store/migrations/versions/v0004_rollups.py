"""Daily rollups of partial profiles, so a long window reads a row a day.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the rollup table (filled by the next compaction)."""
    op.create_table(
        "dp_profile_rollups",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day_start", sa.BigInteger(), nullable=False),
        sa.Column("partial_ids", sa.Text(), nullable=False),
        sa.Column("n_partials", sa.Integer(), nullable=False),
        sa.Column("max_partial_id", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_profile_rollups_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_profile_rollups"),
        sa.UniqueConstraint(
            "model_id",
            "version",
            "kind",
            "day_start",
            name="uq_dp_profile_rollups_model_id_version_kind_day_start",
        ),
    )
    op.create_index(
        "ix_dp_profile_rollups_model_id_day_start", "dp_profile_rollups", ["model_id", "day_start"]
    )


def downgrade() -> None:
    """Drop the rollup table."""
    op.drop_table("dp_profile_rollups")
