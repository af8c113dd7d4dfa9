"""The API's routers, one per resource; ``create_app`` mounts them under ``/v1``."""

from __future__ import annotations

from driftpilot.server.routers import baselines, health, ingest, keys, models, queries

__all__ = ["baselines", "health", "ingest", "keys", "models", "queries"]
