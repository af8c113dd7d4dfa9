"""Whether a model's traffic is fresh: the age of its last event against a maximum.

Times are integers, microseconds since the Unix epoch (UTC), as the store keeps them; the
age is reported in seconds. No event ever counts as stale. A last event after ``now`` (a
client clock ahead of the server's) gives a negative age and is fresh.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from driftpilot.errors import InvalidParameterError
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import check_real

__all__ = ["FreshnessResult", "freshness"]

_FUNC = "freshness"
_MICROSECONDS = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FreshnessResult:
    """Age of a model's last event.

    Attributes
    ----------
    last_event
        Time of the last event, microseconds since the epoch; ``None`` if there was none.
    now
        The time it is judged at, microseconds since the epoch.
    age_seconds
        ``(now - last_event) / 1e6``; ``None`` without an event.
    max_age_seconds
        The largest age that is still fresh.
    stale
        Whether there was no event, or the last one is older than ``max_age_seconds``.
    """

    last_event: int | None
    now: int
    age_seconds: float | None
    max_age_seconds: float
    stale: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _time(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = (
            f"The {name!r} argument of {_FUNC} must be an integer time in microseconds since "
            f"the epoch. Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(value)


def freshness(last_event: int | None, *, now: int, max_age_seconds: float) -> FreshnessResult:
    """Judge whether the last event of a model is recent enough.

    Parameters
    ----------
    last_event
        Time of the last event, integer microseconds since the epoch; ``None`` if no event
        has ever arrived.
    now
        The current time, integer microseconds since the epoch (passed in: no clock inside).
    max_age_seconds
        The largest age in seconds that is still fresh, ``> 0``.

    Returns
    -------
    FreshnessResult
        The age in seconds and whether it is stale (an age of exactly ``max_age_seconds``
        is fresh; no event at all is stale).

    Raises
    ------
    InvalidParameterError
        If a time is not an integer or ``max_age_seconds`` is not a finite number ``> 0``.

    Examples
    --------
    >>> from driftpilot.quality import freshness
    >>> now = 1_700_000_000_000_000
    >>> result = freshness(now - 90_000_000, now=now, max_age_seconds=60)
    >>> result.age_seconds, result.stale
    (90.0, True)
    >>> freshness(None, now=now, max_age_seconds=60).stale
    True
    """
    current = _time(now, "now")
    limit = check_real(max_age_seconds, name="max_age_seconds", func=_FUNC, positive=True)
    if last_event is None:
        return FreshnessResult(
            last_event=None, now=current, age_seconds=None, max_age_seconds=limit, stale=True
        )
    last = _time(last_event, "last_event")
    age = (current - last) / _MICROSECONDS
    return FreshnessResult(
        last_event=last, now=current, age_seconds=age, max_age_seconds=limit, stale=age > limit
    )
