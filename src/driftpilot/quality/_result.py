"""Turning a quality result into plain data."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["as_dict"]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def as_dict(result: Any) -> dict[str, Any]:
    """Return the fields of a frozen result dataclass as JSON-ready Python values.

    Mappings become dicts and tuples lists, at every depth.
    """
    return {field.name: _plain(getattr(result, field.name)) for field in dataclasses.fields(result)}
