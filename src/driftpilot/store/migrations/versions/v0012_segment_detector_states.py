"""Detector states per segment remember the model version that served each window.

A detector check keeps one chain of states per (monitor, check, segment); the model version
that served most of a window's stream is saved beside its state, so a new champion starts a
fresh detector. Rows saved before this revision have no version (``NULL``) and continue as
they were until the next window saves one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable ``model_version`` column (batch mode: SQLite copies the table)."""
    with op.batch_alter_table("dp_detector_states") as batch:
        batch.add_column(sa.Column("model_version", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Drop ``model_version``."""
    with op.batch_alter_table("dp_detector_states") as batch:
        batch.drop_column("model_version")
