"""Initial schema: models, versions, baselines, events, labels, profile partials, API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id"], ["dp_models.id"], name=f"fk_{table}_model_id_dp_models", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "dp_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=20), nullable=False),
        sa.Column("feature_schema", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dp_models"),
        sa.UniqueConstraint("name", name="uq_dp_models_name"),
    )
    op.create_table(
        "dp_model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _model_fk("dp_model_versions"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_model_versions"),
        sa.UniqueConstraint("model_id", "version", name="uq_dp_model_versions_model_id_version"),
    )
    op.create_table(
        "dp_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=True),
        sa.Column("n_rows", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dp_model_versions.id"],
            name="fk_dp_baselines_version_id_dp_model_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dp_baselines"),
    )
    op.create_index("ix_dp_baselines_version_id", "dp_baselines", ["version_id"])
    op.create_table(
        "dp_events",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("quality_flags", sa.Text(), nullable=True),
        _model_fk("dp_events"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_events"),
        sa.UniqueConstraint("model_id", "event_id", name="uq_dp_events_model_id_event_id"),
    )
    op.create_index("ix_dp_events_model_id_ts_id", "dp_events", ["model_id", "ts", "id"])
    op.create_table(
        "dp_labels",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=True),
        _model_fk("dp_labels"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_labels"),
        sa.UniqueConstraint("model_id", "event_id", name="uq_dp_labels_model_id_event_id"),
    )
    op.create_index("ix_dp_labels_model_id_joined_at", "dp_labels", ["model_id", "joined_at"])
    op.create_index("ix_dp_labels_model_id_ts_id", "dp_labels", ["model_id", "ts", "id"])
    op.create_table(
        "dp_profile_partials",
        sa.Column("id", _BigId, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("bucket_start", sa.BigInteger(), nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("n_rows", sa.BigInteger(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _model_fk("dp_profile_partials"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_profile_partials"),
    )
    op.create_index(
        "ix_dp_profile_partials_model_id_bucket_start",
        "dp_profile_partials",
        ["model_id", "bucket_start"],
    )
    op.create_table(
        "dp_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dp_api_keys"),
        sa.UniqueConstraint("key_id", name="uq_dp_api_keys_key_id"),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "dp_api_keys",
        "dp_profile_partials",
        "dp_labels",
        "dp_events",
        "dp_baselines",
        "dp_model_versions",
        "dp_models",
    ):
        op.drop_table(table)
