"""Prometheus metrics of the service: ``GET /metrics``, and a Pushgateway helper for batch runs.

``/metrics`` sits beside ``/healthz``, not under ``/v1``, and is left out of the OpenAPI
document. It needs no API key unless the ``metrics_auth`` setting is on (then a key with the
``read`` scope, when ``auth`` is on too): series names and labels say which models and
features exist, not what was predicted. Each app has its own registry (no global state), so
two apps in one process never share a series. The answer is always the text format 0.0.4,
which every Prometheus reads; the store's series are written by ``_store_metrics`` itself,
since prometheus_client's exposition is too slow for tens of thousands of series.

What is exported (names and labels follow Prometheus' conventions: base units, ``_total`` on
counters, lower_snake_case labels). A ``feature`` or ``segment`` of ``""`` means none (a
model-wide value; all traffic), which Prometheus treats as the label being absent.

From the store, read at each scrape (``StoreCollector``), in three SQL queries whatever the
number of series (``driftpilot.store.metrics``): each check's *last judged* results, those of
the newest window where the check had status ``ok``. A window of status ``no_data`` (traffic
stopped, labels not in yet) judges nothing, so a series keeps its last value and Grafana's
panels stay filled; ``driftpilot_check_judged_window_end_timestamp_seconds`` says how old that
value is, and ``driftpilot_check_status`` what the newest window found.

* ``driftpilot_feature_drift_score{model,version,monitor,feature,segment,test}``: the
  statistic of a drift test other than PSI (``ks``, ``chi2``, ``wasserstein``, ...).
* ``driftpilot_feature_psi{model,version,monitor,feature,segment}``: PSI, whether it was the
  test or reported beside another.
* ``driftpilot_drift_detected{model,monitor,feature,segment}``: 1 if any drift result about
  the feature (and segment) was flagged, else 0.
* ``driftpilot_missing_ratio{model,monitor,feature}``: share of events missing the feature.
* ``driftpilot_data_quality_value{model,monitor,check,metric,feature}``: every other data
  quality value (out of range, unseen categories, type violations, volume, event age, ...).
* ``driftpilot_model_performance{model,monitor,metric}``: realized performance (from labels).
* ``driftpilot_estimated_performance{model,monitor,metric}``, with the band it was judged
  against in ``driftpilot_estimated_performance_lower`` and ``..._upper`` (when it has one).
* ``driftpilot_check_severity{model,monitor,check}``: the worst severity of the check's
  results, 0 none, 1 warning, 2 critical.
* ``driftpilot_check_status{model,monitor,check,status}``: one series per status (``ok``,
  ``no_data``, ``error``), 1 for the check's status in its monitor's newest window and 0 for
  the others (so ``== 1`` alerting works and a status that goes away reads 0, not absent).
* ``driftpilot_check_judged_window_end_timestamp_seconds{model,monitor,check}``: end of the
  newest window the check judged; its series' values are that window's.
* ``driftpilot_monitor_last_window_end_timestamp_seconds{model,monitor}``: end of the newest
  window a monitor ran over (absent until it ran).
* ``driftpilot_metrics_store_up``: 1 if the store answered this scrape, else 0 (and the store's
  series are missing from it; the scrape itself still succeeds).
* ``driftpilot_alerts_firing{model,tier,rule}``: alerts firing now, only when the app was given
  an ``alerts_firing`` callable returning ``{(model, tier, rule): count}``.

There is no count of monitor runs: counting a monitor's whole run history at every scrape
would grow with it.

``version`` is the model's newest version by creation time (``""`` if it has none): a monitor's
results do not say which version served the window. Series without a ``segment`` label export
the all-traffic values only. Two results with the same labels (say two checks of one monitor
computing PSI of one feature) export one of them.

In process, per replica (``ServiceMetrics``), counted by the ingest route after the commit:

* ``driftpilot_predictions_ingested_total{model,version}``: events stored (not duplicates, not
  rejected).
* ``driftpilot_events_rejected_total{model,reason}`` and
  ``driftpilot_labels_rejected_total{model,reason}``: items an ingest call rejected (and
  quarantined); ``reason`` is the error code, one of ``store.REJECTION_CODES``.
* ``driftpilot_prediction_latency_seconds{model}``: histogram of the ``latency_ms`` the stored
  events carried, in seconds; buckets from 1 ms to 10 s. Missing and negative latencies are
  not observed.

plus the ``process_*`` and ``python_*`` series of prometheus_client's standard collectors.

For ``driftpilot monitor run`` in batch mode, :func:`store_registry` builds a registry of the
store's series and :func:`push_metrics` pushes it to a Pushgateway.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    push_to_gateway,
)

from driftpilot.errors import InvalidParameterError
from driftpilot.server._store_metrics import AlertsFiring, StoreCollector
from driftpilot.server.deps import SettingsDep, StoreDep
from driftpilot.store import REJECTION_CODES, ErrorInfo, EventResult, Scope, Store

__all__ = [
    "LATENCY_BUCKETS",
    "AlertsFiring",
    "MetricsDep",
    "ServiceMetrics",
    "StoreCollector",
    "get_metrics",
    "push_metrics",
    "router",
    "store_registry",
]

logger = logging.getLogger("driftpilot.server")

#: Upper bounds (seconds) of the latency histogram's buckets: 1 ms to 10 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServiceMetrics:
    """The metrics of one app: the in-process series in ``registry``, and the store's.

    ``registry`` holds the ingest series (and the process ones); ``store``, the store's
    collector, is kept out of it so that ``/metrics`` can write its series fast
    (:meth:`exposition`).

    Parameters
    ----------
    store
        The store whose monitor results to export (``None``: the in-process series only).
    alerts_firing
        Passed to :class:`StoreCollector`.
    process
        Add prometheus_client's process, platform and garbage-collector series.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        alerts_firing: AlertsFiring | None = None,
        process: bool = True,
    ) -> None:
        self.registry = CollectorRegistry()
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self._ingested = Counter(
            "driftpilot_predictions_ingested_total",
            "Prediction events stored by this replica (not duplicates, not rejected).",
            ("model", "version"),
            registry=self.registry,
        )
        self._rejected = {
            kind: Counter(
                f"driftpilot_{kind}s_rejected_total",
                f"{kind.capitalize()}s rejected (and quarantined) by this replica, by error code.",
                ("model", "reason"),
                registry=self.registry,
            )
            for kind in ("event", "label")
        }
        self._latency = Histogram(
            "driftpilot_prediction_latency_seconds",
            "Latency the stored prediction events carried (their latency_ms, in seconds).",
            ("model",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.store = (
            None if store is None else StoreCollector(store.metrics, alerts_firing=alerts_firing)
        )

    def exposition(self) -> bytes:
        """Return every series in the text format, version 0.0.4 (reads the store)."""
        text = generate_latest(self.registry)
        return text if self.store is None else text + self.store.exposition()

    def record_rejected(self, model: str, kind: str, errors: Sequence[ErrorInfo | None]) -> None:
        """Count the rejected items (``kind`` ``event`` or ``label``) of one ingest call."""
        counts: dict[str, int] = {}
        for error in errors:
            if error is not None:
                reason = error.code if error.code in REJECTION_CODES else "other"
                counts[reason] = counts.get(reason, 0) + 1
        for reason, count in counts.items():
            self._rejected[kind].labels(model, reason).inc(count)

    def record_events(
        self, model: str, items: Sequence[Any], results: Sequence[EventResult]
    ) -> None:
        """Count the stored events of one ingest call and observe their latencies.

        ``items`` are the events as sent and ``results`` what happened to each, in order.
        """
        counts: dict[str, int] = {}
        seconds: list[float] = []
        for item, result in zip(items, results, strict=True):
            if result.status != "stored":
                continue
            version = item["model_version"]  # a stored event has a valid one
            counts[version] = counts.get(version, 0) + 1
            latency = item.get("latency_ms")
            if type(latency) in (int, float) and 0 <= latency < math.inf:
                seconds.append(latency / 1000)
        for version, count in counts.items():
            self._ingested.labels(model, version).inc(count)
        if seconds:
            observe = self._latency.labels(model).observe
            for value in seconds:
                observe(value)


def store_registry(store: Store, *, alerts_firing: AlertsFiring | None = None) -> CollectorRegistry:
    """Return a registry of the store's series only (for :func:`push_metrics` after a run)."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(store.metrics, alerts_firing=alerts_firing))
    return registry


def push_metrics(
    gateway_url: str,
    *,
    job: str = "driftpilot_monitor",
    registry: CollectorRegistry,
    grouping_key: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> None:
    """Push every series of ``registry`` to the Pushgateway at ``gateway_url``.

    The series replace those pushed before under the same job and grouping key (an HTTP
    ``PUT`` to ``<gateway_url>/metrics/job/<job>``), as a batch job's last result should.

    Raises
    ------
    InvalidParameterError
        ``job`` is empty, or ``gateway_url`` is not an HTTP(S) URL.
    ConnectionError
        The gateway could not be reached or refused the push; the message names it.
    """
    if not job:
        raise InvalidParameterError("The Pushgateway 'job' must be a non-empty string. Got ''.")
    try:
        push_to_gateway(
            gateway_url,
            job=job,
            registry=registry,
            grouping_key=dict(grouping_key) if grouping_key else None,
            timeout=timeout,
        )
    except ValueError as err:
        raise InvalidParameterError(
            f"The Pushgateway URL must look like 'http://host:9091'. Got {gateway_url!r}: {err}"
        ) from err
    except OSError as err:  # urllib's URLError and HTTPError, refused connections, timeouts
        raise ConnectionError(
            f"Could not push metrics to the Pushgateway at {gateway_url!r} (job {job!r}): {err}"
        ) from err


def get_metrics(request: Request) -> ServiceMetrics:
    """Return the app's metrics."""
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
_bearer = HTTPBearer(auto_error=False)
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _authorize(settings: SettingsDep, store: StoreDep, credentials: _Credentials) -> None:
    if settings.auth and settings.metrics_auth:
        store.keys.verify(None if credentials is None else credentials.credentials, Scope.READ)


router = APIRouter(tags=["metrics"], include_in_schema=False)


@router.get("/metrics", dependencies=[Depends(_authorize)])
async def metrics(service: MetricsDep) -> Response:
    """Answer a Prometheus scrape in the text format, version 0.0.4."""
    body = await run_in_threadpool(service.exposition)
    return Response(body, media_type=_CONTENT_TYPE)
