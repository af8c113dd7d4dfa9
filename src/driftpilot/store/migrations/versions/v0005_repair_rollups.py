"""Repair 0004: drop ``dp_profile_rollups.n_rows`` where an early 0004 created it.

Migration 0004 was edited after release: its first version created a NOT NULL ``n_rows``
column that the code never writes. A database migrated with that version reports itself at
0004, yet every rollup insert fails on the column. This migration drops the column when it is
there and does nothing when it is not, so a database in either state ends the same.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"  # re-chained by the lead at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the stray ``n_rows`` column of the rollup table, if present."""
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("dp_profile_rollups")}
    if "n_rows" in columns:
        with op.batch_alter_table("dp_profile_rollups") as batch:
            batch.drop_column("n_rows")


def downgrade() -> None:
    """Nothing to undo: the column was never part of the intended schema."""
