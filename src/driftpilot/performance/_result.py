"""Turning a metrics result into plain data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["as_dict"]


def as_dict(result: Any) -> dict[str, Any]:
    """Return the fields of a frozen result dataclass as JSON-ready Python values."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out
