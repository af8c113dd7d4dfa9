"""The database tables, as SQLAlchemy Core ``Table`` objects (no ORM classes).

Decisions:

* Every table is prefixed ``dp_`` (and Alembic's version table is ``dp_alembic_version``), so
  driftpilot can share a PostgreSQL database or schema with other applications.
* Times are integers: microseconds since the Unix epoch, UTC. They sort and compare the same
  way on SQLite (which has no time type) and PostgreSQL, and bucket arithmetic is exact.
* Events, labels, schemas and profiles are JSON text: one encoding on both databases, and
  no per-row JSON work inside the database at ingest. ``dp_events.payload`` is the event
  object exactly as the client sent it (its audit record); the columns beside it (id, time,
  version, latency, quality flags) are what queries filter and sort on.
* Integer surrogate keys; ``(model_id, event_id)`` is unique, which is what makes a repeated
  event a no-op. ``(model_id, ts, id)`` orders events for keyset paging.
* Monitors (``dp_monitors``) keep their definition as normalized JSON. Each run of a monitor
  over a window is a row of ``dp_monitor_runs`` (a window re-evaluated because late labels
  arrived gets a new ``revision``), with its report as JSON; its results are also spread into
  ``dp_check_results``, one row per value, so a metric's history is one indexed query.
  ``current`` marks the results of the newest revision of their window. A missing feature or
  segment is stored as ``''`` (not NULL), so it is compared and indexed like any other value.
  ``dp_monitor_leases`` holds the lease that makes a (monitor, window) run once across
  replicas. ``dp_check_states`` keeps, per check of a monitor, its status in its newest
  window and the end of its newest judged window (status ``ok``), so ``/metrics`` exports
  the last judged value of every series without scanning the results' history. All five go
  when their monitor (or its model) is deleted.
* ``dp_detector_states`` keeps a streaming detector's state across windows: one row per
  (monitor, check, segment, window end), the detector's versioned ``to_dict`` as JSON after
  feeding that window's events, the fingerprint of what it was built for (the detector,
  the stream, the watched version, the reference) and the model version that served the
  window (a new one starts a fresh detector). A window (or a revision of it) starts from
  the newest row ending at or before its start, so late labels never feed an event twice.
* The registry extends ``dp_model_versions`` (artifact, signature, lineage, metrics, status,
  ``revision``), with ``dp_model_aliases`` (where each alias points), ``dp_alias_moves``
  (every move, append-only), ``dp_version_reports`` and ``dp_version_changes`` (status
  changes, who and why). Signature, lineage, metrics, tags and options are JSON text.
* ``dp_deployments`` holds each model's deployment state (champion, canary and weight,
  shadows, routing key) as JSON with its revision, the optimistic-concurrency token; every
  change is appended to ``dp_deployment_changes`` (who, why, when, the state after).
* Every schema change is an Alembic migration under ``migrations/versions``; a test checks
  that the migrations produce exactly these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "VERSION_TABLE",
    "alerts",
    "alias_moves",
    "api_keys",
    "baselines",
    "check_results",
    "check_states",
    "deployment_changes",
    "deployments",
    "detector_states",
    "events",
    "labels",
    "metadata",
    "model_aliases",
    "model_versions",
    "models",
    "monitor_leases",
    "monitor_runs",
    "monitors",
    "notifications",
    "profile_partials",
    "profile_rollups",
    "rejected",
    "silences",
    "version_changes",
    "version_reports",
]

VERSION_TABLE = "dp_alembic_version"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A 64-bit key that is still SQLite's INTEGER PRIMARY KEY (the rowid, auto-incremented).
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

models = sa.Table(
    "dp_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("task", sa.String(20), nullable=False),
    sa.Column("feature_schema", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

model_versions = sa.Table(
    "dp_model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("version", sa.String(200), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    # The registry (``store.registry``): NULL until an artifact is registered for the version.
    sa.Column("status", sa.String(20), nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("artifact_uri", sa.Text, nullable=True),
    sa.Column("artifact_flavor", sa.String(40), nullable=True),
    sa.Column("artifact_size", sa.BigInteger, nullable=True),
    sa.Column("artifact_sha256", sa.String(64), nullable=True),
    sa.Column("artifact_options", sa.Text, nullable=True),
    sa.Column("signature", sa.Text, nullable=True),
    sa.Column("lineage", sa.Text, nullable=True),
    sa.Column("metrics", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("registered_at", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("model_id", "version"),
    sa.Index(None, "model_id", "id"),  # a model's versions in order, a page at a time
)

# Where each alias of a model points now (``version_id`` NULL once removed) and how many
# times it moved (``revision``, for If-Match).
model_aliases = sa.Table(
    "dp_model_aliases",
    metadata,
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("alias", sa.String(64), primary_key=True),
    sa.Column(
        "version_id", sa.Integer, sa.ForeignKey("dp_model_versions.id", ondelete="CASCADE"),
        nullable=True, index=True,
    ),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)  # fmt: skip

# Every alias move, append-only: the version before and after (names: versions are never
# renamed), who and why. ``(model_id, alias, revision)`` is unique, so two racing moves
# from the same revision cannot both be recorded.
alias_moves = sa.Table(
    "dp_alias_moves",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("version", sa.String(200), nullable=True),
    sa.Column("previous", sa.String(200), nullable=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("rollback", sa.Boolean, nullable=False),
    sa.Column("moved_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("model_id", "alias", "revision"),
)

# Reports attached to a version after registration (evaluations, gate verdicts), and the
# record of every status change (who, why, from and to): both append-only.
version_reports = sa.Table(
    "dp_version_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "version_id", sa.Integer, sa.ForeignKey("dp_model_versions.id", ondelete="CASCADE"),
        nullable=False, index=True,
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)  # fmt: skip

version_changes = sa.Table(
    "dp_version_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "version_id", sa.Integer, sa.ForeignKey("dp_model_versions.id", ondelete="CASCADE"),
        nullable=False, index=True,
    ),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("status_from", sa.String(20), nullable=True),
    sa.Column("status_to", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("changed_at", sa.BigInteger, nullable=False),
)  # fmt: skip

baselines = sa.Table(
    "dp_baselines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("dp_model_versions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("fingerprint", sa.String(200), nullable=True),
    sa.Column("n_rows", sa.BigInteger, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

events = sa.Table(
    "dp_events",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("version", sa.String(200), nullable=False),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("quality_flags", sa.Text, nullable=True),
    sa.UniqueConstraint("model_id", "event_id"),
    sa.Index(None, "model_id", "ts", "id"),
)

labels = sa.Table(
    "dp_labels",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Column("joined_at", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("model_id", "event_id"),
    sa.Index(None, "model_id", "ts", "id"),
    sa.Index(None, "model_id", "joined_at"),
)

profile_partials = sa.Table(
    "dp_profile_partials",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("version", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("bucket_start", sa.BigInteger, nullable=False),
    sa.Column("bucket_seconds", sa.Integer, nullable=False),
    sa.Column("n_rows", sa.BigInteger, nullable=False),
    sa.Column("reference_id", sa.Integer, nullable=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index(None, "model_id", "bucket_start"),
)

# One UTC day's partials of a (model, version, kind) merged into one document, beside the
# partials (see ``partials``): ``partial_ids`` lists exactly the rows it merged, so a reader
# uses it only while every one of them still exists.
profile_rollups = sa.Table(
    "dp_profile_rollups",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("version", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("day_start", sa.BigInteger, nullable=False),
    sa.Column("partial_ids", sa.Text, nullable=False),
    sa.Column("n_partials", sa.Integer, nullable=False),
    sa.Column("max_partial_id", sa.BigInteger, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("model_id", "version", "kind", "day_start"),
    sa.Index(None, "model_id", "day_start"),
)

# Events and labels the service rejected (``quarantine``): the item's JSON text as sent
# (``body``, cut at ``quarantine.MAX_BODY_CHARS``; ``body_chars`` is its full length), the
# error, and who sent it. ``ts`` is when it was rejected; pruned by count and age.
rejected = sa.Table(
    "dp_rejected",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("key_id", sa.String(32), nullable=True),
    sa.Column("event_id", sa.String(100), nullable=True),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_chars", sa.BigInteger, nullable=False),
    sa.Index(None, "model_id", "ts", "id"),
)

api_keys = sa.Table(
    "dp_api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_id", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("scopes", sa.String(100), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger, nullable=True),
)

monitors = sa.Table(
    "dp_monitors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("dp_models.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("origin", sa.String(10), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

monitor_runs = sa.Table(
    "dp_monitor_runs",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "monitor_id",
        sa.Integer,
        sa.ForeignKey("dp_monitors.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("window_end", sa.BigInteger, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("n_events", sa.BigInteger, nullable=False),
    sa.Column("n_labels", sa.BigInteger, nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("evaluated_at", sa.BigInteger, nullable=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.UniqueConstraint("monitor_id", "window_start", "window_end", "revision"),
    sa.Index(None, "monitor_id", "window_end"),
)

check_results = sa.Table(
    "dp_check_results",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "run_id",
        sa.BigInteger,
        sa.ForeignKey("dp_monitor_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("monitor_id", sa.Integer, nullable=False),
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("window_end", sa.BigInteger, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("check", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("metric", sa.String, nullable=False),
    sa.Column("feature", sa.String, nullable=False, server_default=""),
    sa.Column("segment", sa.String, nullable=False, server_default=""),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("stderr", sa.Float, nullable=True),
    sa.Column("lower", sa.Float, nullable=True),
    sa.Column("upper", sa.Float, nullable=True),
    sa.Column("p_value", sa.Float, nullable=True),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("n_labels", sa.BigInteger, nullable=True),
    sa.Column("current", sa.Boolean, nullable=False),
    # The naming convention would give a name over PostgreSQL's 63 characters.
    sa.Index(
        "ix_dp_check_results_series", "model_id", "metric", "feature", "segment", "window_start"
    ),
)

check_states = sa.Table(
    "dp_check_states",
    metadata,
    sa.Column(
        "monitor_id",
        sa.Integer,
        sa.ForeignKey("dp_monitors.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("check", sa.String(200), primary_key=True),
    sa.Column("window_end", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("judged_end", sa.BigInteger, nullable=True),
)


detector_states = sa.Table(
    "dp_detector_states",
    metadata,
    sa.Column(
        "monitor_id",
        sa.Integer,
        sa.ForeignKey("dp_monitors.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("check_name", sa.String(200), primary_key=True),
    sa.Column("segment", sa.String(200), primary_key=True),
    sa.Column("window_end", sa.BigInteger, primary_key=True),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("n_fed", sa.BigInteger, nullable=False),
    sa.Column("model_version", sa.String(200), nullable=True),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

monitor_leases = sa.Table(
    "dp_monitor_leases",
    metadata,
    sa.Column(
        "monitor_id",
        sa.Integer,
        sa.ForeignKey("dp_monitors.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("window_start", sa.BigInteger, primary_key=True),
    sa.Column("window_end", sa.BigInteger, primary_key=True),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)

alerts = sa.Table(
    "dp_alerts",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("dedup_key", sa.String(500), nullable=False),
    sa.Column("monitor", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("group_values", sa.Text, nullable=False),
    sa.Column("tier", sa.String(10), nullable=False),
    sa.Column("state", sa.String(15), nullable=False),
    sa.Column("bad", sa.Integer, nullable=False),
    sa.Column("clear", sa.Integer, nullable=False),
    sa.Column("findings", sa.Text, nullable=False),
    sa.Column("first_window_start", sa.BigInteger, nullable=False),
    sa.Column("last_bad_window_end", sa.BigInteger, nullable=False),
    sa.Column("last_window_end", sa.BigInteger, nullable=False),
    sa.Column("fired_at", sa.BigInteger, nullable=True),
    sa.Column("last_notified_at", sa.BigInteger, nullable=True),
    sa.Column("acknowledged_at", sa.BigInteger, nullable=True),
    sa.Column("acknowledged_by", sa.String(200), nullable=True),
    sa.Column("resolved_at", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Index("ix_dp_alerts_key_state", "dedup_key", "state"),
    sa.Index("ix_dp_alerts_monitor_rule_state", "monitor", "rule", "state"),
)

silences = sa.Table(
    "dp_silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("matchers", sa.Text, nullable=False),
    sa.Column("starts_at", sa.BigInteger, nullable=False),
    sa.Column("ends_at", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

notifications = sa.Table(
    "dp_notifications",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column("notification_id", sa.String(36), nullable=False),
    sa.Column(
        "alert_id",
        _BigId,
        sa.ForeignKey("dp_alerts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(15), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(15), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    # The retry schedule (migration 0005): when the first attempt was made (max_age counts
    # from it), when the next one is due (NULL: at once), the receiver's last status.
    sa.Column("first_attempt_at", sa.BigInteger, nullable=True),
    sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Index("ix_dp_notifications_status_id", "status", "id"),
)

# A model's deployment state (``driftpilot.lifecycle.Deployment`` as JSON) at its revision,
# and every change that led to it (append-only: a row is never updated or deleted while its
# model exists). Migration v0011.
deployments = sa.Table(
    "dp_deployments",
    metadata,
    sa.Column(
        "model_id",
        sa.Integer,
        sa.ForeignKey("dp_models.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

deployment_changes = sa.Table(
    "dp_deployment_changes",
    metadata,
    sa.Column("id", _BigId, primary_key=True),
    sa.Column(
        "model_id", sa.Integer, sa.ForeignKey("dp_models.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("model_id", "revision"),
)
