"""Where a routing key falls on the line [0, 1): a stable hash, the same in every process.

Python's ``hash`` of a string is salted per process (``PYTHONHASHSEED``), so four router
processes would split one user four ways. BLAKE2b (in the standard library, keyed by the
salt) gives the same 64 bits for the same key everywhere, forever. A key goes to the canary
when its position times 100 is below the weight, so a key on the canary at weight ``w``
stays there at every ``w' > w``: raising the weight only adds keys.

Keys are text; a feature value is written canonically first (``3`` and ``3.0`` are one key,
``True`` is ``"true"``), so the same user is the same key whatever type the client sent.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

__all__ = ["canonical_key", "position"]

_SCALE = float(1 << 64)


def canonical_key(value: Any) -> str | None:
    """Return the text a routing-key value hashes as (``None`` for a missing value)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def position(salt: bytes, key: str) -> float:
    """Return the position in [0, 1) of ``key`` under ``salt`` (at most 64 salt bytes)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8, key=salt)
    return int.from_bytes(digest.digest(), "big") / _SCALE
