"""SLO status, error budget and burn rates from a monitor's window values
(``driftpilot.monitor.slo``), fed by an in-memory run log with known points. Expected figures
are worked out by hand in each test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from driftpilot.monitor import MonitorSpec, SeriesPoint, evaluate_slo, evaluate_slos, parse_monitors
from driftpilot.monitor.slo import _check_of

T0 = 20_454 * 86_400 * 1_000_000  # 2026-01-01T00:00:00Z in microseconds
DAY = 86_400 * 1_000_000


@dataclass
class FakeLog:
    """A run log holding (check, metric, feature, point) rows; only ``series`` is needed."""

    rows: list[tuple[str, str, str | None, SeriesPoint]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def add(self, check: str, metric: str, day: int, value: float | None, *, n: int = 100,
            feature: str | None = None) -> None:  # fmt: skip
        point = SeriesPoint(
            window_start=T0 + day * DAY, window_end=T0 + (day + 1) * DAY, value=value,
            stderr=None, lower=None, upper=None, severity="none", revision=1, n=n,
            n_labels=None,
        )  # fmt: skip
        self.rows.append((check, metric, feature, point))

    def series(
        self,
        model: str,
        *,
        metric: str,
        monitor: str | None = None,
        check: str | None = None,
        feature: str | None = None,
        segment: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Sequence[SeriesPoint]:
        self.calls.append({"model": model, "metric": metric, "monitor": monitor, "check": check,
                           "feature": feature, "start": start, "end": end})  # fmt: skip
        return [
            p for c, m, f, p in self.rows
            if m == metric and (check is None or c == check) and f == feature
            and (start is None or p.window_start >= start)
            and (end is None or p.window_start < end)
        ]  # fmt: skip


def _spec(*slos: dict[str, Any]) -> MonitorSpec:
    (spec,) = parse_monitors({
        "name": "loans-daily", "model": "loans", "window": {"size": "1d"},
        "reference": {"trailing": "7d"},  # the estimate and calibrated bands need one
        "checks": [
            {"type": "estimated_performance", "name": "estimated", "metrics": ["accuracy"]},
            {"type": "performance", "name": "realized", "metrics": ["accuracy", "roc_auc"]},
            {"type": "feature_drift"},
        ],
        "slos": list(slos),
    })  # fmt: skip
    return spec


ACCURACY = {"name": "acc", "metric": "accuracy", "objective": ">= 0.95", "target": 0.95,
            "period": "30d", "short_period": "3d"}  # fmt: skip


def test_windows_kind_breached_with_its_burn_and_budget() -> None:
    spec = _spec(ACCURACY)
    log = FakeLog()
    for day in range(30):
        log.add("realized", "accuracy", day, 0.90 if day in (3, 29) else 0.96)
    log.add("realized", "accuracy", -1, 0.10)  # before the period: not counted
    log.add("realized", "accuracy", 30, 0.10)  # starts at `at`: not counted
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY)
    # 28 of 30 windows meet >= 0.95; 2/30 missing against an allowance of 1 - 0.95.
    assert status.status == "breached"
    assert (status.n_windows, status.n_bad) == (30, 2)
    assert status.attained == pytest.approx(28 / 30)
    assert status.burn_rate == pytest.approx((2 / 30) / 0.05)  # 1.333...
    assert status.budget_left == pytest.approx(1 - (2 / 30) / 0.05)  # -0.333...
    # The last 3 days hold one bad window of 3.
    assert status.short_burn_rate == pytest.approx((1 / 3) / 0.05)
    assert (status.name, status.monitor, status.metric, status.kind) == (
        "acc", "loans-daily", "accuracy", "windows",
    )  # fmt: skip
    assert status.period_seconds == 30 * 86_400


def test_windows_kind_met_and_windows_without_a_value_left_out() -> None:
    spec = _spec(ACCURACY)
    log = FakeLog()
    for day in range(30):
        log.add("realized", "accuracy", day, 0.90 if day == 10 else 0.97)
    log.add("realized", "accuracy", 5, None)
    log.add("realized", "accuracy", 28, None)
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY)
    assert status.status == "met"
    assert (status.n_windows, status.n_bad) == (30, 1)
    assert status.attained == pytest.approx(29 / 30)
    assert status.burn_rate == pytest.approx((1 / 30) / 0.05)  # 0.666...
    assert status.budget_left == pytest.approx(1 / 3)
    assert status.short_burn_rate == 0.0


def test_the_log_is_asked_for_the_period_and_the_short_period() -> None:
    spec = _spec(ACCURACY)
    log = FakeLog()
    at = T0 + 30 * DAY
    evaluate_slo(spec, spec.slos[0], log, at=at)
    common = {"model": "loans", "metric": "accuracy", "monitor": "loans-daily",
              "check": "realized", "feature": None, "end": at}  # fmt: skip
    assert log.calls == [{**common, "start": at - 30 * DAY}, {**common, "start": at - 3 * DAY}]


MEAN = {"name": "conf", "metric": "accuracy", "kind": "mean", "objective": ">= 0.95",
        "period": "30d"}  # fmt: skip


def _mean_log() -> FakeLog:
    log = FakeLog()
    for day, value, n in ((0, 0.9, 1), (1, 0.9, 1), (2, 1.0, 98)):
        log.add("realized", "accuracy", day, value, n=n)
    return log


def test_mean_kind_unweighted() -> None:
    spec = _spec(MEAN)
    status = evaluate_slo(spec, spec.slos[0], _mean_log(), at=T0 + 3 * DAY)
    # (0.9 + 0.9 + 1.0) / 3 = 0.9333; budget: the 1 - 0.95 share allowed to miss.
    assert status.attained == pytest.approx(2.8 / 3)
    assert status.status == "breached"
    assert status.burn_rate == pytest.approx((1 - 2.8 / 3) / 0.05)  # 1.333...
    assert status.budget_left == pytest.approx(1 - (1 - 2.8 / 3) / 0.05)
    assert (status.n_windows, status.n_bad) == (3, 2)


def test_mean_kind_weighted_by_events() -> None:
    spec = _spec({**MEAN, "weighted": True})
    status = evaluate_slo(spec, spec.slos[0], _mean_log(), at=T0 + 3 * DAY)
    # (0.9·1 + 0.9·1 + 1.0·98) / 100 = 0.998
    assert status.attained == pytest.approx(0.998)
    assert status.status == "met"
    assert status.burn_rate == pytest.approx(0.002 / 0.05)  # 0.04
    assert status.budget_left == pytest.approx(0.96)


def test_mean_kind_weighted_counts_an_empty_window_once() -> None:
    spec = _spec({**MEAN, "weighted": True})
    log = FakeLog()
    log.add("realized", "accuracy", 0, 0.9, n=0)
    log.add("realized", "accuracy", 1, 1.0, n=3)
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 2 * DAY)
    assert status.attained == pytest.approx((0.9 + 3.0) / 4)


def test_mean_kind_of_a_distance_has_status_but_no_budget() -> None:
    spec = _spec({"name": "psi", "metric": "psi", "kind": "mean", "objective": "< 0.1",
                  "check": "feature_drift", "feature": "age"})  # fmt: skip
    log = FakeLog()
    for day, value in enumerate((0.05, 0.2, 0.02)):
        log.add("feature_drift", "psi", day, value, feature="age")
    log.add("feature_drift", "psi", 1, 5.0, feature="income")  # another feature
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 3 * DAY)
    assert status.attained == pytest.approx(0.09)
    assert status.status == "met"
    assert (status.n_windows, status.n_bad) == (3, 1)
    assert status.burn_rate is None
    assert status.budget_left is None


@pytest.mark.parametrize("kind", ["windows", "mean"])
def test_no_data(kind: str) -> None:
    spec = _spec({**ACCURACY, "kind": kind})
    log = FakeLog()
    log.add("realized", "accuracy", 0, None)
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY)
    assert status.status == "no_data"
    assert (status.attained, status.burn_rate, status.budget_left) == (None, None, None)
    assert status.short_burn_rate is None
    assert (status.n_windows, status.n_bad) == (0, 0)


def test_short_period_without_data_while_the_period_has_some() -> None:
    spec = _spec(ACCURACY)
    log = FakeLog()
    log.add("realized", "accuracy", 0, 0.99)
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY)
    assert status.status == "met"
    assert status.short_burn_rate is None


def test_target_of_one_has_no_burn_rate() -> None:
    spec = _spec({**ACCURACY, "target": 1})
    log = FakeLog()
    log.add("realized", "accuracy", 29, 0.99)
    status = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY)
    assert status.status == "met"
    assert status.burn_rate is None


def test_the_slo_reads_the_realized_performance_check_when_two_report_accuracy() -> None:
    spec = _spec(
        ACCURACY,
        {**ACCURACY, "name": "est", "check": "estimated"},
        {**ACCURACY, "name": "coverage", "metric": "label_coverage"},
    )
    assert _check_of(spec, spec.slos[0]) == "realized"
    assert _check_of(spec, spec.slos[1]) == "estimated"
    assert _check_of(spec, spec.slos[2]) is None  # no performance check lists it: any check
    log = FakeLog()
    for day in range(30):
        log.add("estimated", "accuracy", day, 0.5)  # would breach
        log.add("realized", "accuracy", day, 0.99)
    realized, estimated, _ = evaluate_slos(spec, log, at=T0 + 30 * DAY)
    assert (realized.name, realized.status, realized.attained) == ("acc", "met", 1.0)
    assert (estimated.name, estimated.status, estimated.attained) == ("est", "breached", 0.0)


def test_status_to_dict_has_every_field() -> None:
    spec = _spec(ACCURACY)
    log = FakeLog()
    log.add("realized", "accuracy", 29, 0.9)
    data = evaluate_slo(spec, spec.slos[0], log, at=T0 + 30 * DAY).to_dict()
    assert data["status"] == "breached"
    assert data["objective"] == ">= 0.95"
    assert set(data) == {
        "name", "monitor", "metric", "objective", "kind", "target", "period_seconds", "status",
        "attained", "n_windows", "n_bad", "budget_left", "burn_rate", "short_burn_rate",
    }  # fmt: skip
