"""The store's series of ``/metrics``: read per scrape and written fast (``server.metrics``).

prometheus_client's own exposition takes seconds over 50,000 series (it builds and validates
an object per sample and label), so ``/metrics`` writes these gauges itself with one format
string per family; :meth:`StoreCollector.collect` gives the same gauges as prometheus_client
families, for registries (a Pushgateway push) and for the test that the two agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping

import sqlalchemy as sa
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from driftpilot.monitor.results import STATUSES
from driftpilot.store import MetricsRepository, MetricsSnapshot

__all__ = ["AlertsFiring", "StoreCollector"]

logger = logging.getLogger("driftpilot.server")

#: Returns the number of alerts firing by (model, tier, rule).
AlertsFiring = Callable[[], Mapping[tuple[str, str, str], int]]

_SEVERITY = {"none": 0, "warning": 1, "critical": 2}
_Labels = tuple[str, ...]


class _Gauge:
    """One gauge family of a scrape: its value for each tuple of label values."""

    __slots__ = ("help", "labels", "name", "values")

    def __init__(self, name: str, text: str, *labels: str) -> None:
        self.name, self.help, self.labels = name, text, labels
        self.values: dict[_Labels, float] = {}  # one value per label set: no duplicate series

    def family(self) -> GaugeMetricFamily:
        """Return it as a prometheus_client family (for registries: pushes, tests)."""
        family = GaugeMetricFamily(self.name, self.help, labels=self.labels)
        for labels, value in self.values.items():
            family.add_metric(labels, value)
        return family

    def write(self, out: list[str]) -> None:
        """Append it in the text format, version 0.0.4 (what ``family`` gives, only faster)."""
        out.append(f"# HELP {self.name} {self.help}\n# TYPE {self.name} gauge\n")
        inner = ",".join(f'{label}="%s"' for label in self.labels)
        line = f"{self.name}{{{inner}}} %r\n" if inner else f"{self.name} %r\n"
        for labels, value in self.values.items():
            joined = "".join(labels)
            if "\\" in joined or '"' in joined or "\n" in joined:
                labels = tuple(_escape(v) for v in labels)
            out.append(line % (*labels, float(value)))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class StoreCollector:
    """The store's series (module docstring), read at each scrape.

    A prometheus_client collector (``collect``) for registries, and :meth:`exposition` for
    ``/metrics``: prometheus_client's own exposition takes seconds over 50,000 series (it
    builds and validates an object per sample), so the route writes these gauges itself.

    Parameters
    ----------
    repository
        ``Store.metrics``.
    alerts_firing
        Returns the alerts firing by (model, tier, rule); without it there is no
        ``driftpilot_alerts_firing``.
    """

    def __init__(
        self, repository: MetricsRepository, *, alerts_firing: AlertsFiring | None = None
    ) -> None:
        self._repository = repository
        self._alerts_firing = alerts_firing

    def describe(self) -> Iterator[Metric]:
        """Yield the families without samples (the registry checks names with them)."""
        for gauge in self._gauges(read=False):
            yield gauge.family()

    def collect(self) -> Iterator[Metric]:
        """Read the store and yield every family."""
        for gauge in self._gauges():
            yield gauge.family()

    def exposition(self) -> bytes:
        """Read the store and return every family in the text format, version 0.0.4."""
        out: list[str] = []
        for gauge in self._gauges():
            gauge.write(out)
        return "".join(out).encode()

    def _gauges(self, *, read: bool = True) -> list[_Gauge]:
        snapshot: MetricsSnapshot | None = None
        if read:
            try:
                snapshot = self._repository.snapshot()
            except sa.exc.OperationalError as err:  # unreachable, locked: not a bug of ours
                logger.warning("/metrics: the store could not be read: %s", err.orig)
        families = _Families()
        gauges = families.build(snapshot)
        if read and snapshot is None:
            families.up.values[()] = 0.0
        if self._alerts_firing is not None:
            alerts = _Gauge(
                "driftpilot_alerts_firing", "Alerts firing now.", "model", "tier", "rule"
            )
            gauges.append(alerts)
            if read:
                try:
                    firing = self._alerts_firing()
                except sa.exc.OperationalError as err:
                    logger.warning("/metrics: the firing alerts could not be read: %s", err.orig)
                else:
                    alerts.values.update((k, float(n)) for k, n in firing.items())
        return gauges


class _Families:
    """The store's gauges of one scrape, filled from a snapshot."""

    def __init__(self) -> None:
        self.up = _Gauge("driftpilot_metrics_store_up", "1 if the store answered this scrape.")
        self.score = _Gauge(
            "driftpilot_feature_drift_score",
            "Statistic of the drift test (other than PSI) in the check's last judged window.",
            "model", "version", "monitor", "feature", "segment", "test",
        )  # fmt: skip
        self.psi = _Gauge(
            "driftpilot_feature_psi",
            "Population stability index in the check's last judged window.",
            "model", "version", "monitor", "feature", "segment",
        )  # fmt: skip
        self.detected = _Gauge(
            "driftpilot_drift_detected",
            "1 if drift was flagged in the check's last judged window, else 0.",
            "model", "monitor", "feature", "segment",
        )  # fmt: skip
        self.missing = _Gauge(
            "driftpilot_missing_ratio",
            "Share of events missing the feature in the check's last judged window.",
            "model", "monitor", "feature",
        )  # fmt: skip
        self.quality = _Gauge(
            "driftpilot_data_quality_value",
            "Data-quality value (other than missing values) in the check's last judged window.",
            "model", "monitor", "check", "metric", "feature",
        )  # fmt: skip
        band = ("model", "monitor", "metric")
        self.performance = _Gauge(
            "driftpilot_model_performance",
            "Realized performance (from labels) in the check's last judged window.",
            *band,
        )
        self.estimated = _Gauge(
            "driftpilot_estimated_performance",
            "Performance estimated without labels in the check's last judged window.",
            *band,
        )
        self.lower = _Gauge(
            "driftpilot_estimated_performance_lower",
            "Lower edge of the band the estimated performance was judged against.",
            *band,
        )
        self.upper = _Gauge(
            "driftpilot_estimated_performance_upper",
            "Upper edge of the band the estimated performance was judged against.",
            *band,
        )
        self.severity = _Gauge(
            "driftpilot_check_severity",
            "Worst severity of the check in its last judged window: "
            "0 none, 1 warning, 2 critical.",
            "model", "monitor", "check",
        )  # fmt: skip
        self.status = _Gauge(
            "driftpilot_check_status",
            "1 for the check's status in the monitor's newest window (ok, no_data or error), "
            "0 for the others.",
            "model", "monitor", "check", "status",
        )  # fmt: skip
        self.judged_end = _Gauge(
            "driftpilot_check_judged_window_end_timestamp_seconds",
            "End of the newest window the check judged (Unix time): its series' values are "
            "that window's.",
            "model", "monitor", "check",
        )  # fmt: skip
        self.last_end = _Gauge(
            "driftpilot_monitor_last_window_end_timestamp_seconds",
            "End of the newest window the monitor ran over (Unix time).",
            "model", "monitor",
        )  # fmt: skip

    def build(self, snapshot: MetricsSnapshot | None) -> list[_Gauge]:
        """Fill the gauges from ``snapshot`` (``None``: the store was not read)."""
        gauges = [
            self.up, self.score, self.psi, self.detected, self.missing, self.quality,
            self.performance, self.estimated, self.lower, self.upper, self.severity,
            self.last_end, self.status, self.judged_end,
        ]  # fmt: skip
        if snapshot is None:
            return gauges
        self.up.values[()] = 1.0
        names: dict[int, tuple[str, str, str]] = {}
        for state in snapshot.monitors:
            names[state.id] = (state.model, state.monitor, state.version)
            if state.last_window_end is not None:
                self.last_end.values[state.model, state.monitor] = state.last_window_end / 1e6
        for cs in snapshot.checks:
            named = names.get(cs.monitor_id)
            if named is None:
                continue
            for status in STATUSES:
                self.status.values[named[0], named[1], cs.check, status] = float(
                    status == cs.status
                )
            if cs.judged_end is not None:
                self.judged_end.values[named[0], named[1], cs.check] = cs.judged_end / 1e6
        score, psi, detected = self.score.values, self.psi.values, self.detected.values
        missing, quality = self.missing.values, self.quality.values
        performance, estimated = self.performance.values, self.estimated.values
        lower, upper, severity = self.lower.values, self.upper.values, self.severity.values
        rank = _SEVERITY
        for (
            monitor_id, check, kind, metric, feature, segment, value, low, high, verdict,
        ) in snapshot.results:  # fmt: skip
            named = names.get(monitor_id)
            if named is None:  # a monitor created between the two queries
                continue
            model, monitor, version = named
            level = rank.get(verdict, 0)
            key: _Labels = (model, monitor, check)
            if level >= severity.get(key, 0):
                severity[key] = level
            if value is None:
                continue
            if kind == "drift":
                if metric == "psi":
                    psi[model, version, monitor, feature, segment] = value
                else:
                    score[model, version, monitor, feature, segment, metric] = value
                key = (model, monitor, feature, segment)
                if level or key not in detected:
                    detected[key] = 1.0 if level else 0.0
            elif segment:
                continue
            elif kind == "quality":
                if metric == "missing_rate":
                    missing[model, monitor, feature] = value
                else:
                    quality[model, monitor, check, metric, feature] = value
            elif kind == "performance":
                performance[model, monitor, metric] = value
            elif kind == "estimated_performance":
                key = (model, monitor, metric)
                estimated[key] = value
                if low is not None:
                    lower[key] = low
                if high is not None:
                    upper[key] = high
        return gauges
