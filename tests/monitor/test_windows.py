"""Window grid arithmetic: which windows a span holds, which are complete, when a schedule fires
(``driftpilot.monitor.windows``). Expected windows are written out by hand, in hours after
2026-01-01T00:00:00Z."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftpilot.errors import InvalidParameterError
from driftpilot.monitor import MonitorSpec, Window, check_alignment, parse_monitors, windows_between
from driftpilot.monitor.windows import (
    complete_windows,
    count_windows_between,
    next_fire,
    reference_span,
    window_at,
)

T0 = 20_454 * 86_400 * 1_000_000  # 2026-01-01T00:00:00Z in microseconds
MINUTE = 60_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _spec(**window: Any) -> MonitorSpec:
    extra = window.pop("extra", {})
    (spec,) = parse_monitors({"name": "a", "model": "m", "window": window, **extra})
    return spec


def _hours(windows: list[Window]) -> list[tuple[float, float]]:
    return [((w.start - T0) / HOUR, (w.end - T0) / HOUR) for w in windows]


# -- windows_between ---------------------------------------------------------------------------


def test_tumbling_windows_between_aligned_bounds() -> None:
    spec = _spec(size="1h")
    assert _hours(windows_between(spec, T0, T0 + 4 * HOUR)) == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_tumbling_windows_between_unaligned_bounds_keep_only_whole_grid_windows() -> None:
    spec = _spec(size="6h")
    found = windows_between(spec, T0 + 30 * MINUTE, T0 + 23 * HOUR)
    assert _hours(found) == [(6, 12), (12, 18)]


def test_sliding_windows_between() -> None:
    spec = _spec(size="3h", every="1h")
    assert _hours(windows_between(spec, T0, T0 + 5 * HOUR)) == [(0, 3), (1, 4), (2, 5)]
    assert _hours(windows_between(spec, T0 + 30 * MINUTE, T0 + 6 * HOUR)) == [
        (1, 4), (2, 5), (3, 6),
    ]  # fmt: skip


def test_sliding_windows_whose_size_is_not_a_multiple_of_the_step() -> None:
    spec = _spec(size="90m", every="1h")
    assert _hours(windows_between(spec, T0, T0 + 4 * HOUR)) == [(0.5, 2), (1.5, 3), (2.5, 4)]


def test_no_window_fits_a_short_span() -> None:
    spec = _spec(size="1d")
    assert windows_between(spec, T0 + HOUR, T0 + DAY + HOUR) == []
    assert windows_between(spec, T0, T0) == []


def test_windows_lie_on_the_epoch_grid() -> None:
    # Daily windows start at midnight UTC whatever the span; weekly ones on the epoch's
    # weekday, a Thursday (1970-01-01), so 2026-01-01 (also a Thursday) starts one.
    daily = windows_between(_spec(size="1d"), T0 - 5 * HOUR, T0 + 2 * DAY)
    assert _hours(daily) == [(0, 24), (24, 48)]
    weekly = windows_between(_spec(size="1w"), T0 - 3 * DAY, T0 + 15 * DAY)
    assert _hours(weekly) == [(0, 168), (168, 336)]


def test_window_iso() -> None:
    assert Window(T0, T0 + HOUR).iso() == "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z"


# -- complete_windows and window_at ------------------------------------------------------------


def test_complete_windows_end_after_since_and_before_now() -> None:
    spec = _spec(size="1h")
    now = T0 + 5 * HOUR + 10 * MINUTE
    assert _hours(complete_windows(spec, now, since=T0 + 2 * HOUR)) == [(2, 3), (3, 4), (4, 5)]
    assert _hours(complete_windows(spec, now, since=T0 + 3 * HOUR - 1)) == [(2, 3), (3, 4), (4, 5)]
    assert _hours(complete_windows(spec, now, since=T0 + 3 * HOUR)) == [(3, 4), (4, 5)]
    assert complete_windows(spec, now, since=T0 + 5 * HOUR) == []


def test_complete_windows_wait_for_the_delay() -> None:
    spec = _spec(size="3h", every="1h", delay="15m")
    since = T0 + 3 * HOUR
    assert _hours(complete_windows(spec, T0 + 6 * HOUR + 10 * MINUTE, since=since)) == [
        (1, 4), (2, 5),
    ]  # fmt: skip
    assert _hours(complete_windows(spec, T0 + 6 * HOUR + 15 * MINUTE, since=since)) == [
        (1, 4), (2, 5), (3, 6),
    ]  # fmt: skip


def test_window_at_is_the_newest_complete_window() -> None:
    spec = _spec(size="3h", every="1h", delay="15m")
    assert _hours([window_at(spec, T0 + 6 * HOUR + 10 * MINUTE)]) == [(2, 5)]
    assert _hours([window_at(spec, T0 + 6 * HOUR + 15 * MINUTE)]) == [(3, 6)]
    tumbling = _spec(size="6h")
    assert _hours([window_at(tumbling, T0 + 11 * HOUR)]) == [(0, 6)]
    assert _hours([window_at(tumbling, T0 + 12 * HOUR)]) == [(6, 12)]


# -- reference_span ----------------------------------------------------------------------------


def test_reference_span_of_each_kind() -> None:
    window = Window(T0 + 10 * HOUR, T0 + 11 * HOUR)
    trailing = _spec(size="1h", extra={"reference": {"trailing": "1d"}})
    assert reference_span(trailing, window) == (T0 + 10 * HOUR - DAY, T0 + 10 * HOUR)
    fixed = _spec(size="1h", extra={"reference": {"start": T0, "end": T0 + 2 * HOUR}})
    assert reference_span(fixed, window) == (T0, T0 + 2 * HOUR)
    assert reference_span(_spec(size="1h"), window) is None


# -- next_fire ---------------------------------------------------------------------------------


def test_next_fire_on_an_interval_is_the_next_multiple_after() -> None:
    spec = _spec(size="1h", extra={"schedule": {"interval": "15m"}})
    assert next_fire(spec, T0) == T0 + 15 * MINUTE
    assert next_fire(spec, T0 + 1) == T0 + 15 * MINUTE
    assert next_fire(spec, T0 + 15 * MINUTE - 1) == T0 + 15 * MINUTE
    assert next_fire(spec, T0 + 15 * MINUTE) == T0 + 30 * MINUTE


def test_next_fire_defaults_to_the_window_step() -> None:
    spec = _spec(size="6h", every="2h")
    assert next_fire(spec, T0 + HOUR) == T0 + 2 * HOUR


def test_next_fire_on_a_cron_expression() -> None:
    spec = _spec(size="1h", extra={"schedule": {"cron": "5 * * * *"}})
    assert next_fire(spec, T0) == T0 + 5 * MINUTE
    assert next_fire(spec, T0 + 5 * MINUTE - 1) == T0 + 5 * MINUTE
    assert next_fire(spec, T0 + 5 * MINUTE) == T0 + HOUR + 5 * MINUTE
    assert next_fire(spec, T0 + 23 * HOUR + 30 * MINUTE) == T0 + DAY + 5 * MINUTE
    daily = _spec(size="1d", extra={"schedule": {"cron": "30 2 * * *"}})
    assert next_fire(daily, T0 + 3 * HOUR) == T0 + DAY + 2 * HOUR + 30 * MINUTE


# -- check_alignment ---------------------------------------------------------------------------


def test_check_alignment_accepts_whole_multiples_of_the_bucket() -> None:
    check_alignment(_spec(size="90m", every="30m"), 1_800)
    check_alignment(_spec(size="1d"), 3_600)


@pytest.mark.parametrize(
    ("window", "field", "seconds"),
    [({"size": "90m"}, "size", 5_400), ({"size": "2h", "every": "30m"}, "every", 1_800)],
)
def test_check_alignment_names_the_field_and_the_bucket(
    window: dict[str, str], field: str, seconds: int
) -> None:
    with pytest.raises(InvalidParameterError) as err:
        check_alignment(_spec(**window), 3_600)
    message = str(err.value)
    assert f"window '{field}' ({seconds} s)" in message
    assert "bucket length (3600 s)" in message
    assert "Monitor 'a'" in message


# -- properties --------------------------------------------------------------------------------

units = st.sampled_from([60, 300, 900, 3_600])


@st.composite
def grids(draw: st.DrawFn) -> MonitorSpec:
    unit = draw(units)
    step = unit * draw(st.integers(1, 12))
    size = step * draw(st.integers(1, 6)) + draw(st.sampled_from([0, unit]))
    return _spec(size=size, every=step)


@settings(max_examples=200, deadline=None)
@given(
    spec=grids(),
    start=st.integers(T0 - 10 * DAY, T0 + 10 * DAY),
    length=st.integers(0, 3 * DAY),
)
def test_windows_between_properties(spec: MonitorSpec, start: int, length: int) -> None:
    end = start + length
    size, step = spec.window.size * 1_000_000, spec.window.step * 1_000_000
    found = windows_between(spec, start, end)
    assert found == sorted(found)
    assert all(w.end - w.start == size for w in found)
    assert all(w.end % step == 0 for w in found)
    assert all(b.start - a.start == step for a, b in itertools.pairwise(found))
    assert all(start <= w.start and w.end <= end for w in found)
    # Complete: every grid window inside the span, found by walking the grid, is there.
    walked = [Window(e - size, e) for e in range(start - start % step, end + 1, step)
              if e - size >= start]  # fmt: skip
    assert found == walked


@settings(max_examples=200, deadline=None)
@given(spec=grids(), now=st.integers(T0, T0 + 10 * DAY), back=st.integers(0, 2 * DAY))
def test_complete_windows_properties(spec: MonitorSpec, now: int, back: int) -> None:
    since = now - back
    step = spec.window.step * 1_000_000
    found = complete_windows(spec, now, since=since)
    assert found == sorted(found)
    assert all(since < w.end <= now for w in found)
    assert all(b.start - a.start == step for a, b in itertools.pairwise(found))
    newest = window_at(spec, now)
    assert newest.end <= now < newest.end + step
    if found:
        assert found[-1] == newest


@settings(max_examples=200, deadline=None)
@given(spec=grids(), now=st.integers(T0, T0 + 10 * DAY), back=st.integers(0, 2 * DAY),
       newest=st.integers(1, 30))  # fmt: skip
def test_complete_windows_newest_is_the_tail_without_the_whole_list(
    spec: MonitorSpec, now: int, back: int, newest: int
) -> None:
    since = now - back
    assert (
        complete_windows(spec, now, since=since, newest=newest)
        == (complete_windows(spec, now, since=since)[-newest:])
    )
    far = complete_windows(spec, T0 + 3000 * 365 * DAY, since=since, newest=newest)
    assert len(far) == newest  # centuries of windows, only the newest made


@settings(max_examples=200, deadline=None)
@given(spec=grids(), start=st.integers(T0, T0 + 10 * DAY), span=st.integers(0, 3 * DAY))
def test_count_windows_between_is_the_length_of_windows_between(
    spec: MonitorSpec, start: int, span: int
) -> None:
    assert count_windows_between(spec, start, start + span) == len(
        windows_between(spec, start, start + span)
    )
