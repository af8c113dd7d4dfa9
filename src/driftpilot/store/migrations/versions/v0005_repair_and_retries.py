"""Repair 0004 (drop a stray rollup column); the notification outbox's retry schedule.

Migration 0004 was edited after release: its first version created a NOT NULL ``n_rows``
column that the code never writes. A database migrated with that version reports itself at
0004, yet every rollup insert fails on the column. This migration drops the column when it is
there and does nothing when it is not, so a database in either state ends the same.

The outbox gets the columns of a retry schedule measured in time: ``first_attempt_at`` (the
notification's ``max_age`` counts from it), ``next_attempt_at`` (NULL: due at once, as every
pending row before this migration is) and ``last_status`` (the receiver's last HTTP status or
SMTP reply).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the rollup table's stray ``n_rows`` if present; add the outbox schedule."""
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("dp_profile_rollups")}
    if "n_rows" in columns:
        with op.batch_alter_table("dp_profile_rollups") as batch:
            batch.drop_column("n_rows")
    with op.batch_alter_table("dp_notifications") as batch:
        batch.add_column(sa.Column("first_attempt_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("last_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the outbox schedule (the rollup column was never part of the intended schema)."""
    with op.batch_alter_table("dp_notifications") as batch:
        batch.drop_column("last_status")
        batch.drop_column("next_attempt_at")
        batch.drop_column("first_attempt_at")
