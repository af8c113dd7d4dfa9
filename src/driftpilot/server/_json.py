"""Fast JSON responses for large bodies (ingest results, pages, exports, profiles).

Stored events may hold NaN and infinities (flagged on ingest); JSON has no such numbers, so
they are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``, as saved profiles do.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Response

__all__ = ["JSONBytes", "dumps", "finite"]


def finite(value: Any) -> Any:
    """Return ``value`` with non-finite floats replaced by ``"nan"``/``"inf"``/``"-inf"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """Return ``value`` as compact UTF-8 JSON (non-finite floats as strings)."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(finite(value), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


class JSONBytes(Response):
    """A response whose body is already JSON bytes."""

    media_type = "application/json"
