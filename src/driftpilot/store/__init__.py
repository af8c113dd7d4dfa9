"""Durable storage of the service: models, events, labels, profiles, API keys, monitors.

SQLAlchemy Core over SQLite (default, one file in WAL mode) or PostgreSQL, with Alembic
migrations shipped in the package. Repositories return frozen dataclasses
(``driftpilot.store.records``); no database row leaves this package. Open one with
``Store.from_url(url)`` (or the default SQLite file in a data folder), then ``upgrade()``.
For the monitor layer, ``Store.source`` is its ``MonitorSource`` and ``Store.runs`` its
``RunLog``; ``Store.registry`` is the model registry (``lifecycle.Registry``);
``Store.metrics`` answers the service's Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from driftpilot.profile import ProfileConfig
from driftpilot.store import migrate
from driftpilot.store._engine import Synchronous, create_engine, default_url
from driftpilot.store._time import from_us, now_us, to_iso, to_us
from driftpilot.store.alerts import AlertRepository, OutboxItem, Silence
from driftpilot.store.deployments import DeploymentRepository
from driftpilot.store.events import EventRepository
from driftpilot.store.keys import KeyRepository, parse_scopes
from driftpilot.store.labels import LabelRepository
from driftpilot.store.legacy import (
    LegacyRow,
    StoreCheckResult,
    StoreRepairResult,
    check_store,
    repair_store,
)
from driftpilot.store.metrics import (
    CheckState,
    LatestResult,
    MetricsRepository,
    MetricsSnapshot,
    MonitorState,
)
from driftpilot.store.models import ModelRepository
from driftpilot.store.monitors import MonitorRepository
from driftpilot.store.overview import (
    DriftCell,
    FleetRow,
    HeadlineMetric,
    ModelPoint,
    OverviewRepository,
    VolumePoint,
)
from driftpilot.store.partials import ProfileRepository, WindowProfile
from driftpilot.store.quarantine import QuarantineRepository
from driftpilot.store.records import (
    REJECTION_CODES,
    ApiKeyRecord,
    BaselineRecord,
    ErrorInfo,
    EventRecord,
    EventResult,
    FeatureSchema,
    FeatureSpec,
    IngestResult,
    LabelIngestResult,
    LabelRecord,
    LabelResult,
    ModelRecord,
    MonitorOrigin,
    MonitorRecord,
    NewApiKey,
    Page,
    RejectedRecord,
    Scope,
    Task,
    VersionRecord,
)
from driftpilot.store.registry import RegistryRepository
from driftpilot.store.runs import RunRepository
from driftpilot.store.source import StoreSource

__all__ = [
    "REJECTION_CODES",
    "AlertRepository",
    "ApiKeyRecord",
    "BaselineRecord",
    "CheckState",
    "DeploymentRepository",
    "DriftCell",
    "ErrorInfo",
    "EventRecord",
    "EventRepository",
    "EventResult",
    "FeatureSchema",
    "FeatureSpec",
    "FleetRow",
    "HeadlineMetric",
    "IngestResult",
    "KeyRepository",
    "LabelIngestResult",
    "LabelRecord",
    "LabelRepository",
    "LabelResult",
    "LatestResult",
    "LegacyRow",
    "MetricsRepository",
    "MetricsSnapshot",
    "ModelPoint",
    "ModelRecord",
    "ModelRepository",
    "MonitorOrigin",
    "MonitorRecord",
    "MonitorRepository",
    "MonitorState",
    "NewApiKey",
    "OutboxItem",
    "OverviewRepository",
    "Page",
    "ProfileRepository",
    "QuarantineRepository",
    "RegistryRepository",
    "RejectedRecord",
    "RunRepository",
    "Scope",
    "Silence",
    "Store",
    "StoreCheckResult",
    "StoreRepairResult",
    "StoreSource",
    "Task",
    "VersionRecord",
    "VolumePoint",
    "WindowProfile",
    "check_store",
    "create_engine",
    "default_url",
    "from_us",
    "now_us",
    "parse_scopes",
    "repair_store",
    "to_iso",
    "to_us",
]

DEFAULT_BUCKET_SECONDS = 3600


class Store:
    """Every repository over one engine.

    Parameters
    ----------
    engine
        From :func:`create_engine`.
    config
        How partial profiles are built (the same for every partial, so they merge).
    bucket_seconds
        Length of a profile bucket.
    clock
        Returns the current time in microseconds since the epoch, for monitors' timestamps and
        run leases (tests pass a fake one).
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        config: ProfileConfig | None = None,
        bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
        clock: Callable[[], int] = now_us,
    ) -> None:
        config = config or ProfileConfig()
        self.engine = engine
        self.models = ModelRepository(engine)
        self.events = EventRepository(
            engine, self.models, config=config, bucket_seconds=bucket_seconds
        )
        self.labels = LabelRepository(
            engine, self.models, config=config, bucket_seconds=bucket_seconds
        )
        self.profiles = ProfileRepository(engine)
        self.keys = KeyRepository(engine)
        self.alerts = AlertRepository(engine)
        self.monitors = MonitorRepository(engine, clock=clock)
        self.runs = RunRepository(engine, clock=clock)
        self.metrics = MetricsRepository(engine)
        self.rejected = QuarantineRepository(engine)
        self.registry = RegistryRepository(engine)
        self.deployments = DeploymentRepository(engine, clock=clock)
        self.overview = OverviewRepository(engine)
        self.source = StoreSource(self)

    @classmethod
    def from_url(
        cls,
        url: str | None = None,
        *,
        data_dir: str | Path = ".driftpilot",
        sqlite_synchronous: Synchronous = "FULL",
        config: ProfileConfig | None = None,
        bucket_seconds: int = DEFAULT_BUCKET_SECONDS,
    ) -> Store:
        """Open the database at ``url`` (default: ``<data_dir>/driftpilot.db``, SQLite)."""
        engine = create_engine(url or default_url(data_dir), sqlite_synchronous=sqlite_synchronous)
        return cls(engine, config=config, bucket_seconds=bucket_seconds)

    def upgrade(self) -> None:
        """Migrate the database to the newest schema."""
        migrate.upgrade(self.engine)

    def is_current(self) -> bool:
        """Whether the database is reachable and at the newest schema."""
        return migrate.is_current(self.engine)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
