"""Detector checks keep their state across windows (``detector_results`` with a state log).

On SQLite and PostgreSQL (the ``store`` fixture), over ``make_traffic`` with a concept shift at
hour 56 (35% of labels flip, inputs unchanged): hourly windows continue one ADWIN from window
to window, so they flag the change points the 24-hour windows flag (the same detector over
the same events in the same order); a late-label revision re-feeds its window from the state
saved before it; a changed detector or reference starts afresh.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from driftpilot.datasets import Traffic, make_traffic
from driftpilot.detectors import ADWIN
from driftpilot.monitor import (
    DetectorState,
    MonitorSpec,
    Runner,
    RunOutcome,
    Window,
    evaluate,
    parse_monitors,
)
from driftpilot.store import Store
from traffic_fixtures import _labels, _load, _to_iso

HOUR = 3_600_000_000


@pytest.fixture(scope="module")
def shift() -> Traffic:
    """Three days, 150 events an hour; labels flip for 35% of events from hour 56."""
    return make_traffic(hours=72, per_hour=150, reference_hours=24, seed=7, concept_at=56)


def _monitor(
    store: Store,
    traffic: Traffic,
    size: str,
    *,
    params: dict[str, Any] | None = None,
    reference_hours: int | None = None,
    name: str | None = None,
) -> MonitorSpec:
    ref_end = traffic.hour(reference_hours or traffic.reference_hours)
    definition = {
        "name": name or f"loans-{size}", "model": "loans", "window": {"size": size},
        "reference": {"start": _to_iso(traffic.hour(0)), "end": _to_iso(ref_end)},
        "checks": [{"type": "detector", "method": "adwin", "params": params or {}}],
    }  # fmt: skip
    (spec,) = parse_monitors(definition)
    store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(), origin="api")
    return spec


def _detector(outcome: RunOutcome) -> Any:
    assert outcome.report is not None
    (result,) = [r for r in outcome.report.results if r.check == "detector"]
    return result


def _change_points(outcomes: list[RunOutcome]) -> list[int]:
    return [t for o in outcomes for t in _detector(o).details["change_points"]]


def test_hourly_windows_catch_the_shift_the_daily_windows_catch(
    store: Store, shift: Traffic
) -> None:
    _load(store, shift)
    start, end = shift.hour(48), shift.hour(72)
    daily = Runner(store.source, store.runs, owner="test").backfill(
        _monitor(store, shift, "24h"), start, end
    )
    (day,) = daily
    found = _change_points(daily)
    assert found, "the 24-hour window holds the shift"
    assert min(found) >= shift.hour(56)  # nothing before the concept shift
    assert _detector(day).flagged

    hourly_spec = _monitor(store, shift, "1h")
    hourly = Runner(store.source, store.runs, owner="test").backfill(hourly_spec, start, end)
    assert len(hourly) == 24
    # One ADWIN fed the same events in the same order: the very same change points, each
    # reported in the hourly window holding it, at the time of the event that fired it.
    assert _change_points(hourly) == found
    for outcome in hourly:
        for t in _detector(outcome).details["change_points"]:
            assert outcome.window.start <= t < outcome.window.end
    details = [_detector(o).details for o in hourly]
    assert details[0]["state"] == "fresh"
    assert {d["state"] for d in details[1:]} == {"continued"}
    assert [d["continued_from"] for d in details[1:]] == [o.window.end for o in hourly[:-1]]
    assert details[-1]["n_seen"] == _detector(day).n == sum(_detector(o).n for o in hourly)

    # Restarting ADWIN at every hourly window (what the check did before) misses the shift.
    restarted = [evaluate(hourly_spec, store.source, o.window) for o in hourly]
    assert [t for r in restarted for t in r.results[0].details["change_points"]] == []
    assert {r.results[0].details["state"] for r in restarted} == {
        "fresh (not kept: no state store)"
    }


def test_a_revision_refeeds_its_window_from_the_state_before_it(
    store: Store, shift: Traffic
) -> None:
    _load(store, shift, labels=False)
    spec = _monitor(store, shift, "1h", params={"clock": 1})
    runner = Runner(store.source, store.runs, owner="test")
    windows = [Window(shift.hour(h), shift.hour(h + 1)) for h in (54, 55, 56, 57)]
    # Half the labels of the first two hours arrive; the four windows run (the last two
    # without labels).
    early = {str(e["event_id"]) for e in shift.events[54 * 150 : 56 * 150 : 2]}
    _labels(store, [label for label in shift.labels if label["event_id"] in early])
    first = [runner.run_window(spec, w) for w in windows]
    assert [_detector(o).n for o in first[2:]] == [0, 0]
    # Every other label arrives: each window is revised, starting from the state saved at the
    # end of the window before it (its first evaluation's, for the window before it ran first).
    _labels(store, [label for label in shift.labels if label["event_id"] not in early])
    revised = [runner.run_window(spec, w) for w in windows]
    assert [o.status for o in revised] == ["revised"] * 4
    assert [_detector(o).details["n_seen"] for o in first] == [
        sum(_detector(o).n for o in first[: i + 1]) for i in range(4)
    ]
    fed = [_detector(o).n for o in revised]
    assert fed[2] > 0
    assert fed[3] > 0
    # No event is fed twice: each state counts the events of its chain of windows once.
    assert [_detector(o).details["n_seen"] for o in revised] == [
        sum(fed[: i + 1]) for i in range(4)
    ]
    # The saved state after the last window is the detector fed those windows' errors in order.
    chain = ADWIN(clock=1)
    for outcome in revised:
        events = store.source.window_events("loans", start=outcome.window.start,
                                            end=outcome.window.end)  # fmt: skip
        labelled = events.select(events.labelled)
        order = sorted(range(len(labelled)), key=lambda i: int(labelled.timestamps[i]))
        chain.update_many([float(str(labelled.labels[i]) != str(labelled.predictions[i]))
                           for i in order])  # fmt: skip
    saved = store.runs.detector_state(spec.name, "detector", "", at=windows[-1].end)
    assert saved is not None
    assert saved.window_end == windows[-1].end
    assert dict(saved.state) == chain.to_dict()
    # Re-running a window from the same state is idempotent.
    again = runner.run_window(spec, windows[1], force=True)
    assert _detector(again).details == _detector(revised[1]).details


def test_a_new_detector_or_reference_starts_afresh(store: Store, shift: Traffic) -> None:
    _load(store, shift)
    runner = Runner(store.source, store.runs, owner="test")
    hours = [Window(shift.hour(h), shift.hour(h + 1)) for h in (30, 31)]
    spec = _monitor(store, shift, "1h")
    assert [_detector(runner.run_window(spec, w)).details["state"] for w in hours] == [
        "fresh", "continued"
    ]  # fmt: skip
    later = Window(shift.hour(32), shift.hour(33))
    for changed in (
        _monitor(store, shift, "1h", params={"delta": 0.01}),
        _monitor(store, shift, "1h", reference_hours=12),
    ):
        details = _detector(runner.run_window(changed, later, force=True)).details
        assert details["state"] == "reset"
        assert "changed" in details["reset_reason"]
        assert details["n_seen"] == _detector(runner.run_window(changed, later, force=True)).n
    # Another monitor has its own state.
    other = _monitor(store, shift, "1h", name="loans-other")
    assert _detector(runner.run_window(other, later)).details["state"] == "fresh"


def test_an_unreadable_saved_state_is_reported_and_replaced(store: Store, shift: Traffic) -> None:
    _load(store, shift)
    runner = Runner(store.source, store.runs, owner="test")
    spec = _monitor(store, shift, "1h")
    first = Window(shift.hour(30), shift.hour(31))
    runner.run_window(spec, first)
    saved = store.runs.detector_state(spec.name, "detector", "", at=first.end)
    assert saved is not None
    broken = replace(saved, state={**saved.state, "format": 0})
    store.runs.save_detector_state(spec.name, "detector", "", broken, keep_from=0)
    details = _detector(runner.run_window(spec, Window(first.end, shift.hour(32)))).details
    assert details["state"] == "reset"
    assert "'format'" in details["reset_reason"]


def test_old_states_are_pruned_but_the_one_before_the_horizon_is_kept(
    store: Store, shift: Traffic
) -> None:
    _load(store, shift, labels=False)
    spec = _monitor(store, shift, "1h")
    state = ADWIN().update_many([0.0, 1.0]).to_dict()
    for end in range(1, 6):
        saved = DetectorState(window_start=end - 1, window_end=end, fingerprint="f",
                              state=state, n_fed=2)  # fmt: skip
        store.runs.save_detector_state(spec.name, "detector", "", saved, keep_from=3)
    assert store.runs.detector_state(spec.name, "detector", "", at=2) is None  # pruned
    for at, end in ((3, 3), (4, 4), (10, 5)):
        found = store.runs.detector_state(spec.name, "detector", "", at=at)
        assert found is not None
        assert found.window_end == end
        assert dict(found.state) == state
    assert store.runs.detector_state(spec.name, "detector", "segment", at=10) is None
