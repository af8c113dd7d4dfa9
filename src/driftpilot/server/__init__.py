"""The HTTP service: ``create_app(settings)`` returns the FastAPI app ``driftpilot serve`` runs.

Routes (under ``/v1``), the error object and the batch semantics are described in the
README ("HTTP API") and in the app's OpenAPI document at ``/openapi.json``.
"""

from __future__ import annotations

from driftpilot.server.app import create_app, store_for
from driftpilot.server.settings import Settings, is_loopback

__all__ = ["Settings", "create_app", "is_loopback", "store_for"]
