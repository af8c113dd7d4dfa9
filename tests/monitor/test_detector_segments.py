"""Detector checks keep one state per segment, and start afresh on a new model version.

On SQLite and PostgreSQL (the ``store`` fixture), over ``make_traffic`` with a concept shift at
hour 56 in every region but ``south`` (whose labels come from the same traffic without the
shift): per segment, hourly windows continue the segment's own ADWIN from window to window,
so they flag the change points the 24-hour windows flag on that segment; ``south`` keeps its
own state and flags nothing the shift caused; a segment whose saved state is damaged resets
alone; a new model version (a new champion) and a new baseline start every stream afresh.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from driftpilot.datasets import Traffic, make_traffic
from driftpilot.detectors import ADWIN
from driftpilot.monitor import CheckResult, MonitorSpec, Runner, RunOutcome, Window, parse_monitors
from driftpilot.store import Store
from traffic_fixtures import _baseline, _labels, _load, _to_iso

SHIFTED = ("north", "east", "west")


@pytest.fixture(scope="module")
def shift() -> Traffic:
    """Three days, 150 events an hour; from hour 56, 35% of labels flip outside ``south``."""
    shifted = make_traffic(hours=72, per_hour=150, reference_hours=24, seed=7, concept_at=56)
    steady = make_traffic(hours=72, per_hour=150, reference_hours=24, seed=7)
    region = {str(e["event_id"]): e["segment"]["region"] for e in shifted.events}  # type: ignore[index]
    labels = [label for label in shifted.labels if region[str(label["event_id"])] != "south"]
    labels += [label for label in steady.labels if region[str(label["event_id"])] == "south"]
    return replace(shifted, labels=labels)


def _monitor(store: Store, traffic: Traffic, size: str, *, reference: dict[str, Any] | None = None,
             name: str | None = None) -> MonitorSpec:  # fmt: skip
    definition = {
        "name": name or f"loans-{size}", "model": "loans", "window": {"size": size},
        "segments": ["region"],
        "reference": reference or {"start": _to_iso(traffic.hour(0)),
                                   "end": _to_iso(traffic.hour(traffic.reference_hours))},
        "checks": [{"type": "detector", "method": "adwin"}],
    }  # fmt: skip
    (spec,) = parse_monitors(definition)
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    return spec


def _by_segment(outcome: RunOutcome) -> dict[str | None, CheckResult]:
    assert outcome.report is not None
    return {r.segment: r for r in outcome.report.results if r.check == "detector"}


def _change_points(outcomes: list[RunOutcome], segment: str | None) -> list[int]:
    return [t for o in outcomes for t in _by_segment(o)[segment].details["change_points"]]


def _segment_errors(store: Store, region: str, start: int, end: int) -> list[float]:
    """The 0/1 errors of a region's labelled events in ``[start, end)``, in time order."""
    events = store.source.window_events("loans", start=start, end=end)
    return [
        float(str(label) != str(prediction))
        for label, prediction, tags in zip(events.labels, events.predictions, events.segments,
                                           strict=True)
        if label is not None and tags is not None and tags["region"] == region
    ]  # fmt: skip


def test_hourly_windows_on_a_segment_catch_the_shift_the_daily_windows_catch(
    store: Store, shift: Traffic
) -> None:
    _load(store, shift)
    start, end = shift.hour(48), shift.hour(72)
    runner = Runner(store.source, store.runs, owner="test")
    (day,) = daily = runner.backfill(_monitor(store, shift, "24h"), start, end)
    hourly = runner.backfill(_monitor(store, shift, "1h"), start, end)
    assert len(hourly) == 24
    segments = {f"region={r}" for r in ("north", "south", "east", "west")}
    assert set(_by_segment(day)) == {None, *segments}
    for outcome in hourly:
        assert set(_by_segment(outcome)) == {None, *segments}

    north = _change_points(daily, "region=north")
    assert north, "the 24-hour window on region=north holds the shift"
    assert min(north) >= shift.hour(56)
    assert _by_segment(day)["region=north"].flagged
    for segment in (None, *segments):
        # Each stream's detector is fed its own events in the same order, hour after hour:
        # the very same change points as the daily window, each in the hour holding it.
        assert _change_points(hourly, segment) == _change_points(daily, segment), segment
        for outcome in hourly:
            result = _by_segment(outcome)[segment]
            assert all(outcome.window.start <= t < outcome.window.end
                       for t in result.details["change_points"])  # fmt: skip
        details = [_by_segment(o)[segment].details for o in hourly]
        assert details[0]["state"] == "fresh"
        assert {d["state"] for d in details[1:]} == {"continued"}
        assert details[-1]["n_seen"] == _by_segment(day)[segment].n
        assert details[-1]["model_version"] == "v1"
    # The south region did not shift; its detector, kept apart, flags nothing after hour 56.
    assert [t for t in _change_points(hourly, "region=south") if t >= shift.hour(56)] == []
    # Independent states: each segment's saved state is an ADWIN fed that segment's errors only.
    for region in ("north", "south"):
        saved = store.runs.detector_state("loans-1h", "detector", f"region={region}", at=end)
        assert saved is not None
        assert saved.window_end == end
        expected = ADWIN().update_many(_segment_errors(store, region, start, end))
        assert dict(saved.state) == expected.to_dict()
    total = sum(_by_segment(day)[s].n for s in segments)
    assert total == _by_segment(day)[None].n  # every event is in exactly one region


def test_a_damaged_segment_state_resets_that_segment_alone(store: Store, shift: Traffic) -> None:
    _load(store, shift)
    runner = Runner(store.source, store.runs, owner="test")
    spec = _monitor(store, shift, "1h")
    first = Window(shift.hour(30), shift.hour(31))
    runner.run_window(spec, first)
    saved = store.runs.detector_state(spec.name, "detector", "region=east", at=first.end)
    assert saved is not None
    store.runs.save_detector_state(spec.name, "detector", "region=east",
                                   replace(saved, state={**saved.state, "format": 0}),
                                   keep_from=0)  # fmt: skip
    results = _by_segment(runner.run_window(spec, Window(first.end, shift.hour(32))))
    assert results["region=east"].details["state"] == "reset"
    assert "'format'" in results["region=east"].details["reset_reason"]
    for segment in (None, "region=north", "region=south", "region=west"):
        assert results[segment].details["state"] == "continued", segment


def test_a_new_model_version_starts_every_stream_afresh(store: Store, shift: Traffic) -> None:
    """From 00:10 of hour 33 the traffic comes from v2 (a new champion): each stream resets at v2's
    first event of its own, and feeds only v2's events from there."""
    switch = shift.hour(33) + 600_000_000  # ten minutes into hour 33
    events = [dict(e, model_version="v2") if _at(e) >= switch else e for e in shift.events]
    _load(store, replace(shift, events=events))
    runner = Runner(store.source, store.runs, owner="test")
    spec = _monitor(store, shift, "1h")
    before = [runner.run_window(spec, Window(shift.hour(h), shift.hour(h + 1))) for h in (31, 32)]
    assert _by_segment(before[-1])["region=north"].details["state"] == "continued"
    switched = _by_segment(runner.run_window(spec, Window(shift.hour(33), shift.hour(34))))
    window = store.source.window_events("loans", start=shift.hour(33), end=shift.hour(34))
    for segment, result in switched.items():
        details = result.details
        assert details["state"] == "reset", segment
        assert "from 'v1' to 'v2'" in details["reset_reason"]
        assert details["model_version"] == "v2"
        first_v2 = min(
            int(t) for t, v, tags, label in zip(window.timestamps, window.versions,
                                                window.segments, window.labels, strict=True)
            if v == "v2" and label is not None
            and (segment is None or f"region={tags['region']}" == segment)
        )  # fmt: skip
        assert details["reset_at"] == first_v2
        assert details["n_seen"] == result.n  # only v2's events of the window were fed
    later = _by_segment(runner.run_window(spec, Window(shift.hour(34), shift.hour(35))))
    assert {r.details["state"] for r in later.values()} == {"continued"}


def test_a_new_baseline_starts_afresh(store: Store, shift: Traffic) -> None:
    _load(store, shift)
    runner = Runner(store.source, store.runs, owner="test")
    spec = _monitor(store, shift, "1h", reference={"baseline": "latest"})
    runner.run_window(spec, Window(shift.hour(30), shift.hour(31)))
    continued = _by_segment(runner.run_window(spec, Window(shift.hour(31), shift.hour(32))))
    assert {r.details["state"] for r in continued.values()} == {"continued"}
    # The same version's baseline replaced by one of other hours: a new reference.
    store.models.put_baseline("loans", "v1", _baseline(shift, range(4, 20)))
    reset = _by_segment(runner.run_window(spec, Window(shift.hour(32), shift.hour(33))))
    assert {r.details["state"] for r in reset.values()} == {"reset"}
    assert all("reference changed" in r.details["reset_reason"] for r in reset.values())


def _at(event: dict[str, Any]) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(str(event["timestamp"])).timestamp() * 1_000_000)


def test_segment_labels_arrive_with_their_events(store: Store, shift: Traffic) -> None:
    """A window whose labels have not arrived gives ``no_data`` per segment, state untouched."""
    _load(store, shift, labels=False)
    runner = Runner(store.source, store.runs, owner="test")
    spec = _monitor(store, shift, "1h")
    results = _by_segment(runner.run_window(spec, Window(shift.hour(30), shift.hour(31))))
    assert {r.status for r in results.values()} == {"no_data"}
    assert store.runs.detector_state(spec.name, "detector", "region=north",
                                     at=shift.hour(31)) is None  # fmt: skip
    _labels(store, shift.labels)
    revised = _by_segment(runner.run_window(spec, Window(shift.hour(30), shift.hour(31))))
    assert {r.status for r in revised.values()} == {"ok"}
    assert {r.details["state"] for r in revised.values()} == {"fresh"}


def test_segments_past_max_segments_feed_nothing_and_the_notes_say_so(
    store: Store, shift: Traffic
) -> None:
    _load(store, shift)
    definition = {
        "name": "loans-top2", "model": "loans", "window": {"size": "1h"},
        "segments": ["region"], "max_segments": 2,
        "reference": {"start": _to_iso(shift.hour(0)), "end": _to_iso(shift.hour(24))},
        "checks": [{"type": "detector", "method": "adwin"}],
    }  # fmt: skip
    (spec,) = parse_monitors(definition)
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    outcome = Runner(store.source, store.runs, owner="test").run_window(
        spec, Window(shift.hour(30), shift.hour(31))
    )
    assert set(_by_segment(outcome)) == {None, "region=north", "region=south"}
    assert outcome.report is not None
    assert any("segment 'region' has 4 values; the 2 with fewest events fed no detector" in n
               for n in outcome.report.notes)  # fmt: skip
