"""A missing, non-numeric or out-of-range score is left out of score-based metrics and counted.

The window mixes valid scores with every kind of invalid one. ROC-AUC, PR-AUC, log-loss and
Brier must equal scikit-learn's on the events with a valid score; accuracy and the other
threshold metrics keep every event (the logged prediction decides where the score is invalid);
the count is in each score-based result and in the report's notes. The label-free estimate
and a score-stream detector leave the invalid events out too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from driftpilot.monitor import Window, evaluate, parse_monitors
from driftpilot.monitor._data import WindowEvents, WindowProfile
from driftpilot.monitor._realized import realized_metrics
from driftpilot.monitor.source import Reference
from driftpilot.performance import ConfidenceBasedEstimator

HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000
INVALID: list[Any] = [None, "0.7", {"default": 1.5}, {"default": -0.2}, {"default": float("nan")},
                      {"default": True}, {"a": 0.3, "b": 0.7}, [0.3, "x"], 2.0]  # fmt: skip


def _events(start: int, n: int, seed: int, n_invalid: int) -> tuple[WindowEvents, np.ndarray]:
    """``n`` labelled events; the first ``n_invalid`` (shuffled in) have invalid scores."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, n)
    truth = (rng.uniform(size=n) < p).astype(int)
    predictions = (p >= 0.5).astype(int)
    bad = np.zeros(n, dtype=bool)
    bad[rng.choice(n, n_invalid, replace=False)] = True
    # invalid events' predictions disagree with their would-be score half the time, so a 0/1
    # stand-in would move every score metric
    predictions[bad] = rng.integers(0, 2, n_invalid)
    scores: list[Any] = [
        INVALID[i % len(INVALID)] if bad[i] else {"default": float(p[i])} for i in range(n)
    ]
    events = WindowEvents(
        timestamps=np.array([start + i * (HOUR // n) for i in range(n)], dtype=np.int64),
        event_ids=[f"{seed}-{i}" for i in range(n)], versions=["v1"] * n,
        features=[{"x": float(p[i])} for i in range(n)], predictions=predictions.tolist(),
        scores=scores, latencies=[None] * n, segments=[None] * n, flags=[()] * n,
        labels=truth.tolist(), label_timestamps=[start + HOUR] * n,
    )  # fmt: skip
    return events, bad


class _Source:
    """An in-memory ``MonitorSource`` holding one model's events."""

    def __init__(self, events: WindowEvents) -> None:
        self._events = events

    def task(self, model: str) -> str:
        return "binary"

    def reference(self, model: str, version: str | None = None) -> Reference | None:
        return None

    def window_profile(self, model: str, *, start: int, end: int,
                       version: str | None = None) -> WindowProfile:  # fmt: skip
        n = len(self.window_events(model, start=start, end=end))
        return WindowProfile(
            model=model, version=version, start=start, end=end, covered_start=start,
            covered_end=end, n_events=n, n_labels=n, n_partials=0, n_buckets=0, features=None,
            prediction=None, scores=None, latency=None, labels=None,
        )  # fmt: skip

    def window_events(self, model: str, *, start: int, end: int,
                      features: bool = True) -> WindowEvents:  # fmt: skip
        return self._events.between(start, end)

    def bucket_counts(self, model: str, *, start: int, end: int) -> Sequence[tuple[int, int]]:
        return []

    def last_event_time(self, model: str, *, before: int) -> int | None:
        return None

    def label_count(self, model: str, *, start: int, end: int, version: str | None = None) -> int:
        return len(self.window_events(model, start=start, end=end))


def _join(a: WindowEvents, b: WindowEvents) -> WindowEvents:
    fields = {name: list(getattr(a, name)) + list(getattr(b, name))
              for name in a.__dataclass_fields__ if name != "timestamps"}  # fmt: skip
    return WindowEvents(timestamps=np.concatenate([a.timestamps, b.timestamps]), **fields)


@pytest.fixture
def source() -> tuple[_Source, WindowEvents, np.ndarray, WindowEvents, np.ndarray]:
    reference, ref_bad = _events(T0, 1200, seed=1, n_invalid=90)
    window, bad = _events(T0 + HOUR, 600, seed=2, n_invalid=70)
    return _Source(_join(reference, window)), window, bad, reference, ref_bad


def _spec(checks: list[dict[str, Any]]) -> Any:
    (spec,) = parse_monitors({
        "name": "m", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"},
        "checks": checks,
    })  # fmt: skip
    return spec


def _valid(events: WindowEvents, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.flatnonzero(~bad)
    truth = np.array([events.labels[i] for i in keep])
    score = np.array([events.scores[i]["default"] for i in keep])
    return truth, score


def test_score_metrics_equal_sklearn_on_the_valid_subset(source: Any) -> None:
    src, window, bad, _, _ = source
    metrics = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier"]
    spec = _spec([{"type": "performance", "metrics": metrics,
                   "thresholds": {"accuracy": {"min": 0.0}}}])  # fmt: skip
    report = evaluate(spec, src, Window(T0 + HOUR, T0 + 2 * HOUR))
    found = {r.metric: r for r in report.results}
    truth, score = _valid(window, bad)
    assert found["roc_auc"].value == pytest.approx(skm.roc_auc_score(truth, score), abs=1e-9)
    assert found["pr_auc"].value == pytest.approx(
        skm.average_precision_score(truth, score), abs=1e-9)  # fmt: skip
    assert found["log_loss"].value == pytest.approx(skm.log_loss(truth, score), abs=1e-9)
    assert found["brier"].value == pytest.approx(skm.brier_score_loss(truth, score), abs=1e-9)
    # threshold metrics keep every event; the prediction decides where the score is invalid
    all_truth = np.array(window.labels)
    decided = np.array([int(window.predictions[i]) if bad[i]
                        else int(window.scores[i]["default"] >= 0.5)
                        for i in range(len(window))])  # fmt: skip
    assert found["accuracy"].value == pytest.approx(skm.accuracy_score(all_truth, decided))
    assert found["f1"].value == pytest.approx(skm.f1_score(all_truth, decided))
    assert found["accuracy"].n_labels == 600
    for metric in ("roc_auc", "pr_auc", "log_loss", "brier"):
        assert found[metric].details["n_invalid_scores"] == 70
        assert "70 events with an invalid score left out" in (found[metric].reason or "")
    assert "n_invalid_scores" not in found["accuracy"].details
    assert any("performance: 70 labelled events had a missing, non-numeric or out-of-range "
               "score" in note for note in report.notes)  # fmt: skip


def test_no_valid_score_gives_no_score_metric(source: Any) -> None:
    events, _ = _events(T0 + HOUR, 100, seed=3, n_invalid=100)
    spec = _spec(
        [
            {
                "type": "performance",
                "metrics": ["accuracy", "roc_auc"],
                "thresholds": {"accuracy": {"min": 0.0}, "roc_auc": {"min": 0.5}},
            }
        ]
    )
    report = evaluate(spec, _Source(events), Window(T0 + HOUR, T0 + 2 * HOUR))
    found = {r.metric: r for r in report.results}
    assert found["roc_auc"].value is None
    assert found["roc_auc"].reason == "none of the 100 labelled events has a valid score"
    assert found["roc_auc"].severity == "none"
    assert found["accuracy"].value is not None


def test_the_estimate_and_a_score_detector_leave_invalid_scores_out(source: Any) -> None:
    src, window, bad, reference, ref_bad = source
    spec = _spec([
        {"type": "estimated_performance", "metrics": ["accuracy", "roc_auc"],
         "thresholds": {"accuracy": {"min": 0.0}, "roc_auc": {"min": 0.0}}},
        {"type": "detector", "method": "page_hinkley", "stream": "score"},
    ])  # fmt: skip
    report = evaluate(spec, src, Window(T0 + HOUR, T0 + 2 * HOUR))
    found = {(r.check, r.metric): r for r in report.results}
    ref_truth, ref_score = _valid(reference, ref_bad)
    _, score = _valid(window, bad)
    expected = ConfidenceBasedEstimator(confidence=0.95).fit(ref_truth, ref_score).estimate(score)
    estimated = found[("estimated_performance", "roc_auc")]
    assert estimated.value == pytest.approx(expected.roc_auc.value, abs=1e-12)
    assert found[("estimated_performance", "accuracy")].value == pytest.approx(
        expected.accuracy.value, abs=1e-12)  # fmt: skip
    assert estimated.details["n_invalid_scores"] == 70
    assert estimated.n == 530
    detector = found[("detector", "page_hinkley")]
    assert detector.n == 530
    assert detector.details["n_invalid_scores"] == 70
    notes = " ".join(report.notes)
    assert "estimated_performance: 70 events had a missing" in notes
    assert "detector: 70 events had a missing" in notes


_SCORE = st.one_of(st.floats(0, 1, allow_nan=False).map(lambda p: (True, {"default": p})),
                   st.sampled_from(INVALID).map(lambda bad: (False, bad)))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), _SCORE), min_size=1,
                     max_size=60))  # fmt: skip
def test_score_metrics_use_exactly_the_valid_scores(
    rows: list[tuple[int, int, tuple[bool, Any]]],
) -> None:
    n = len(rows)
    events = WindowEvents(
        timestamps=np.arange(n, dtype=np.int64), event_ids=[str(i) for i in range(n)],
        versions=["v"] * n, features=[{}] * n, predictions=[r[1] for r in rows],
        scores=[r[2][1] for r in rows], latencies=[None] * n, segments=[None] * n,
        flags=[()] * n, labels=[r[0] for r in rows], label_timestamps=[0] * n,
    )  # fmt: skip
    (check,) = _spec([{"type": "performance", "metrics": ["roc_auc"]}]).checks
    found = realized_metrics("binary", events, check)
    valid = [(t, score["default"]) for t, _, (ok, score) in rows if ok]
    assert found.n_invalid_scores == n - len(valid)
    decided = [int(score["default"] >= 0.5) if ok else p for _, p, (ok, score) in rows]
    assert found.values["accuracy"] == pytest.approx(
        skm.accuracy_score([r[0] for r in rows], decided))  # fmt: skip
    truth, scores = [t for t, _ in valid], [p for _, p in valid]
    if len(set(truth)) == 2:
        assert found.values["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, scores),
                                                        abs=1e-9)  # fmt: skip
    if valid:
        assert found.values["brier"] == pytest.approx(
            skm.brier_score_loss(truth, scores, labels=[0, 1]), abs=1e-9)  # fmt: skip
    else:
        assert found.values["roc_auc"] is None
        assert found.values["brier"] is None
