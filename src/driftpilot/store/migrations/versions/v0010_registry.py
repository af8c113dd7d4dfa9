"""The model registry: artifacts, lineage and status on versions; aliases and their moves.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def _version_columns() -> list[sa.Column[Any]]:
    """Return new columns on each call (a Column joins the table it is added to)."""
    return [
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("artifact_uri", sa.Text(), nullable=True),
        sa.Column("artifact_flavor", sa.String(length=40), nullable=True),
        sa.Column("artifact_size", sa.BigInteger(), nullable=True),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=True),
        sa.Column("artifact_options", sa.Text(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("lineage", sa.Text(), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("registered_at", sa.BigInteger(), nullable=True),
    ]


def _version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["version_id"], ["dp_model_versions.id"],
        name=f"fk_{table}_version_id_dp_model_versions", ondelete="CASCADE",
    )  # fmt: skip


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id"], ["dp_models.id"], name=f"fk_{table}_model_id_dp_models", ondelete="CASCADE"
    )


def upgrade() -> None:
    """Add the registry's columns to ``dp_model_versions`` and create its four tables.

    Versions that exist already keep ``status`` NULL: seen in events or baselines, with no
    artifact registered.
    """
    for column in _version_columns():
        op.add_column("dp_model_versions", column)
    op.create_index(
        "ix_dp_model_versions_model_id_id", "dp_model_versions", ["model_id", "id"], unique=False
    )
    _id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "dp_model_aliases",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        _model_fk("dp_model_aliases"),
        _version_fk("dp_model_aliases"),
        sa.PrimaryKeyConstraint("model_id", "alias", name="pk_dp_model_aliases"),
    )
    op.create_index(
        "ix_dp_model_aliases_version_id", "dp_model_aliases", ["version_id"], unique=False
    )
    op.create_table(
        "dp_alias_moves",
        sa.Column("id", _id, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("previous", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("rollback", sa.Boolean(), nullable=False),
        sa.Column("moved_at", sa.BigInteger(), nullable=False),
        _model_fk("dp_alias_moves"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_alias_moves"),
        sa.UniqueConstraint(
            "model_id", "alias", "revision", name="uq_dp_alias_moves_model_id_alias_revision"
        ),
    )
    op.create_table(
        "dp_version_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _version_fk("dp_version_reports"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_version_reports"),
    )
    op.create_index(
        "ix_dp_version_reports_version_id", "dp_version_reports", ["version_id"], unique=False
    )
    op.create_table(
        "dp_version_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status_from", sa.String(length=20), nullable=True),
        sa.Column("status_to", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        _version_fk("dp_version_changes"),
        sa.PrimaryKeyConstraint("id", name="pk_dp_version_changes"),
    )
    op.create_index(
        "ix_dp_version_changes_version_id", "dp_version_changes", ["version_id"], unique=False
    )


def downgrade() -> None:
    """Drop the registry's tables and columns."""
    for table in ("dp_version_changes", "dp_version_reports", "dp_alias_moves",
                  "dp_model_aliases"):  # fmt: skip
        op.drop_table(table)
    op.drop_index("ix_dp_model_versions_model_id_id", table_name="dp_model_versions")
    with op.batch_alter_table("dp_model_versions") as batch:
        for column in reversed(_version_columns()):
            batch.drop_column(column.name)
