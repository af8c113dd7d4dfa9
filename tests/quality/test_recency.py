"""freshness: ages in seconds from microseconds, the stale rule, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import InvalidParameterError
from driftpilot.quality import freshness

NOW = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in microseconds


def test_age_and_the_stale_rule() -> None:
    fresh = freshness(NOW - 59_500_000, now=NOW, max_age_seconds=60)
    assert (fresh.age_seconds, fresh.stale) == (59.5, False)
    edge = freshness(NOW - 60_000_000, now=NOW, max_age_seconds=60.0)
    assert (edge.age_seconds, edge.stale) == (60.0, False)
    old = freshness(NOW - 60_000_001, now=NOW, max_age_seconds=60)
    assert old.stale
    assert json.loads(json.dumps(old.to_dict()))["last_event"] == NOW - 60_000_001


def test_no_event_ever_is_stale() -> None:
    result = freshness(None, now=NOW, max_age_seconds=3600)
    assert (result.last_event, result.age_seconds, result.stale) == (None, None, True)


def test_an_event_from_the_future_is_fresh() -> None:
    result = freshness(NOW + 2_000_000, now=NOW, max_age_seconds=1)
    assert (result.age_seconds, result.stale) == (-2.0, False)


def test_numpy_integers_are_times() -> None:
    result = freshness(np.int64(NOW - 1_000_000), now=np.int64(NOW), max_age_seconds=10)
    assert (type(result.last_event), result.age_seconds) == (int, 1.0)


@given(age=st.integers(-(10**12), 10**15), limit=st.floats(1e-3, 1e9))
def test_stale_exactly_when_older_than_the_limit(age: int, limit: float) -> None:
    result = freshness(NOW - age, now=NOW, max_age_seconds=limit)
    assert result.age_seconds == age / 1e6
    assert result.stale == (age / 1e6 > limit)


def test_errors_name_the_argument() -> None:
    with pytest.raises(InvalidParameterError, match=r"'now'.*1.5"):
        freshness(None, now=1.5, max_age_seconds=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'last_event'.*'2024-01-01'"):
        freshness("2024-01-01", now=NOW, max_age_seconds=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'last_event'.*True"):
        freshness(True, now=NOW, max_age_seconds=1)
    with pytest.raises(InvalidParameterError, match=r"'max_age_seconds'.*> 0.*0"):
        freshness(NOW, now=NOW, max_age_seconds=0)
    with pytest.raises(InvalidParameterError, match=r"'max_age_seconds'.*inf"):
        freshness(NOW, now=NOW, max_age_seconds=float("inf"))
