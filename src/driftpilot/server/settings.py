"""The service's settings: one object, read once from arguments and ``DRIFTPILOT_*`` variables.

``driftpilot serve`` options override the environment, which overrides the defaults. The
object is frozen; ``create_app(settings)`` keeps it and routes get it through ``Depends``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from driftpilot.store import default_url

__all__ = ["Settings", "is_loopback"]

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Settings of ``driftpilot serve`` (environment variables ``DRIFTPILOT_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="DRIFTPILOT_", extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", description="Address to bind.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port to bind (0: any free port).")
    db: str | None = Field(
        default=None, description="Database URL; default: SQLite file <data_dir>/driftpilot.db."
    )
    data_dir: Path = Field(
        default=Path(".driftpilot"), description="Folder of the default database."
    )
    auth: bool = Field(
        default=True, description="Require API keys (off only on a loopback address)."
    )
    metrics_auth: bool = Field(
        default=False,
        description="Require an API key with the read scope for /metrics (open by default).",
    )
    max_body_bytes: int = Field(
        default=10 * MiB, ge=1024, description="Largest request body (413)."
    )
    max_upload_bytes: int = Field(
        default=512 * MiB,
        ge=1024,
        description="Largest baseline upload (a data file to profile) or model artifact.",
    )
    artifacts: str | None = Field(
        default=None,
        description="Artifact store of the model registry: a folder or an fsspec URL "
        "(s3://bucket/prefix); default: <data_dir>/artifacts.",
    )
    max_batch: int = Field(default=10_000, ge=1, description="Most events or labels in one call.")
    bucket_seconds: int = Field(
        default=3600, ge=1, le=31 * 86400, description="Profile bucket length."
    )
    maintenance_seconds: float = Field(
        default=60.0, ge=0, description="How often to compact partials and join labels (0: never)."
    )
    rejected_max_rows: int = Field(
        default=100_000, ge=0, description="Most quarantined (rejected) items kept per model."
    )
    rejected_max_age_days: float = Field(
        default=30.0, gt=0, description="Quarantined items older than this are deleted."
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="SQLite durability; FULL survives power loss, NORMAL only crashes.",
    )
    migrate_on_start: bool = Field(
        default=True, description="Apply migrations when the app starts."
    )
    profile_kll_k: int = Field(
        default=200, ge=8, le=65535, description="KLL sketch size of profiles."
    )
    profile_category_cap: int = Field(
        default=10_000, ge=1, description="Exact categories per column."
    )
    monitors: Path | None = Field(
        default=None,
        description="Monitor definition file, or a folder of them, stored at start.",
    )
    monitor_tick_seconds: float = Field(
        default=30.0, ge=0, description="How often the scheduler looks for due monitors (0: off)."
    )
    alerting: Path | None = Field(
        default=None, description="Alerting file: channels, routes and event buses."
    )
    public_url: str | None = Field(
        default=None, description="The service's public URL, for report links in alerts."
    )
    notify_max_age: float = Field(
        default=6 * 3600,
        ge=0,
        description="Seconds: alerts about a window that ended longer ago are recorded but "
        "their notifications suppressed, unless the run asks to notify (0: no limit).",
    )
    report_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the signed report links in alerts (at least 32 characters; "
        "the same on every replica); default: generated once into <data_dir>/report-link.key.",
        min_length=32,
    )
    report_link_seconds: int = Field(
        default=30 * 86400, ge=60, description="How long a signed report link opens."
    )
    dispatch_seconds: float = Field(
        default=2.0, ge=0, description="How often pending notifications are sent (0: never)."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @property
    def artifacts_url(self) -> str:
        """The artifact store in use (``artifacts``, or ``<data_dir>/artifacts``)."""
        return self.artifacts or str(self.data_dir / "artifacts")

    @property
    def database_url(self) -> str:
        """The database URL in use (``db``, or the SQLite file in ``data_dir``)."""
        return self.db or default_url(self.data_dir)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
