"""A quarantine of rejected events and labels (``dp_rejected``).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the quarantine table."""
    op.create_table(
        "dp_rejected",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_chars", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dp_models.id"],
            name="fk_dp_rejected_model_id_dp_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_rejected"),
    )
    op.create_index("ix_dp_rejected_model_id_ts_id", "dp_rejected", ["model_id", "ts", "id"])


def downgrade() -> None:
    """Drop the quarantine table."""
    op.drop_table("dp_rejected")
