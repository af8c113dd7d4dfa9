"""Event ids: UUID strings made without a system call, and ids derived from other keys.

``uuid.uuid4()`` reads 16 bytes from ``os.urandom`` for every id. That read releases the
GIL, and getting it back can cost a request thread a whole switch interval (5 ms) while the
SDK's background thread is encoding a batch: the one thing ``log_prediction`` must not do.
A new id here is 74 random bits drawn once per process (and again in a child after
``fork``) followed by a 48-bit counter, laid out as an RFC 4122 version-4 UUID. Ids are
unique within a process by construction and across processes unless two of them draw the
same 74 bits.

Keys that are not UUIDs (an order number, a proxy's request id) are mapped to a UUID
version 5 of the key, so an event logged with such a key and a label logged later with the
same key get the same id.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Iterator

__all__ = ["canonical_event_id", "event_id_for", "new_event_id"]

#: Namespace of the UUIDs derived from keys that are not UUIDs (``event_id_for``).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://driftpilot.dev/ns/event-id")

_NODE_MASK = (1 << 48) - 1
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_prefix = ""
_counter: Iterator[int] = itertools.count()


def _reseed() -> None:
    global _prefix, _counter
    bits = int.from_bytes(os.urandom(10), "big") >> 6  # 74 random bits
    time_low, time_mid = bits >> 42, (bits >> 26) & 0xFFFF
    time_hi, clock_seq = (bits >> 14) & 0xFFF, bits & 0x3FFF
    # Version nibble 4, variant bits 10: a valid version-4 UUID for any counter value.
    _prefix = f"{time_low:08x}-{time_mid:04x}-4{time_hi:03x}-{0x8000 | clock_seq:04x}-"
    _counter = itertools.count(int.from_bytes(os.urandom(5), "big"))


_reseed()
if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_reseed)


def new_event_id() -> str:
    """Return a new event id: a version-4 UUID string, unique in this process.

    Examples
    --------
    >>> import uuid
    >>> a, b = new_event_id(), new_event_id()
    >>> a != b and uuid.UUID(a).version == 4
    True
    """
    return f"{_prefix}{next(_counter) & _NODE_MASK:012x}"


def event_id_for(key: str) -> str:
    """Return the event id that ``key`` is sent as.

    A UUID (any case, with or without braces or dashes) is sent in its canonical form;
    any other string as the UUID version 5 of the string in driftpilot's namespace. Use it
    to find an event whose id you logged as an order number or a request id.

    Examples
    --------
    >>> event_id_for("8C2F4B1E-0000-4000-8000-00000000002A")
    '8c2f4b1e-0000-4000-8000-00000000002a'
    >>> event_id_for("order-17") == event_id_for("order-17")
    True
    >>> import uuid
    >>> uuid.UUID(event_id_for("order-17")).version
    5
    """
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(NAMESPACE, key))


def canonical_event_id(value: object) -> str:
    """Return the id to send for an ``event_id`` argument.

    Raises
    ------
    ValueError
        ``value`` is not a non-empty string, an integer or a ``uuid.UUID``.
    """
    if type(value) is str and _CANONICAL.fullmatch(value):
        return value  # the common case: a new_event_id, already canonical
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ValueError(
            "'event_id' must be a non-empty string, an integer or a uuid.UUID. "
            f"Got {value!r} instead."
        )
    return event_id_for(value)
