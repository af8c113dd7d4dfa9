"""The one read layer of the service: dashboard pages and the JSON API read the store here.

Every function is synchronous (routes call it through ``run_in_threadpool``) and returns
store or core objects, never ORM rows: the JSON routes turn them into schemas, the pages
into HTML. Nothing here writes except :func:`acknowledge` and :func:`silence`, the two
actions the API and the Alerts page share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Literal

from driftpilot.alerts.engine import AlertState
from driftpilot.errors import InvalidParameterError
from driftpilot.monitor import MonitorReport, RunSummary, SeriesPoint
from driftpilot.profile import Baseline, Profile
from driftpilot.profile.categorical import CategoricalSummary
from driftpilot.profile.numeric import NumericSummary
from driftpilot.store import (
    DriftCell,
    FleetRow,
    ModelPoint,
    Silence,
    Store,
    VolumePoint,
    WindowProfile,
    now_us,
)

__all__ = [
    "ALERT_VIEWS",
    "FLEET_SORTS",
    "AlertView",
    "Distribution",
    "FleetPage",
    "Heatmap",
    "Latency",
    "acknowledge",
    "alerts",
    "distribution",
    "fleet",
    "heatmap",
    "latency",
    "latency_of",
    "model_series",
    "outputs",
    "run_report",
    "runs",
    "series",
    "silence",
    "volume",
]

FLEET_SORTS = ("name", "alerts", "drift", "realized", "estimated", "volume", "freshness")
ALERT_VIEWS = ("open", "firing", "acknowledged", "silenced", "resolved", "pending")


# -- fleet ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class FleetPage:
    """One page of the fleet table, after filtering and sorting."""

    rows: Sequence[FleetRow]
    total: int
    matched: int
    page: int
    pages: int


def _sort_key(sort: str) -> Callable[[FleetRow], Any]:
    """Return the primary sort key of column ``sort`` (ties fall back to the name, A to Z)."""

    def number(value: float | None) -> float:
        return -math.inf if value is None else float(value)

    keys: dict[str, Callable[[FleetRow], Any]] = {
        "name": lambda r: r.name,
        "alerts": lambda r: (r.open_alerts.get("critical", 0), r.n_open),
        "drift": lambda r: number(r.drift_share),
        "realized": lambda r: number(r.realized.value if r.realized else None),
        "estimated": lambda r: number(r.estimated.value if r.estimated else None),
        "volume": lambda r: number(r.window_events),
        "freshness": lambda r: number(r.last_event),
    }
    return keys[sort]


def fleet(
    store: Store, *, q: str = "", sort: str = "alerts", descending: bool = True,
    only_alerts: bool = False, page: int = 1, per_page: int = 50,
) -> FleetPage:  # fmt: skip
    """Return a page of the fleet: models whose name contains ``q``, sorted by ``sort``."""
    if sort not in FLEET_SORTS:
        raise InvalidParameterError(
            f"The 'sort' parameter must be one of {', '.join(FLEET_SORTS)}. Got {sort!r} instead."
        )
    if not 1 <= per_page <= 1000:
        raise InvalidParameterError(
            f"The 'per_page' parameter must be in [1, 1000]. Got {per_page}."
        )
    every = store.overview.fleet()
    needle = q.strip().lower()
    kept = [r for r in every if needle in r.name.lower() and (r.n_open or not only_alerts)]
    kept.sort(key=lambda r: r.name)
    kept.sort(key=_sort_key(sort), reverse=descending)  # stable: ties stay by name
    pages = max(1, math.ceil(len(kept) / per_page))
    page = min(max(page, 1), pages)
    chunk = kept[(page - 1) * per_page : page * per_page]
    return FleetPage(rows=chunk, total=len(every), matched=len(kept), page=page, pages=pages)


# -- model page ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Heatmap:
    """Feature-by-window drift verdicts: ``cells[i][j]`` is feature ``i`` in window ``j``."""

    features: Sequence[str]
    windows: Sequence[tuple[int, int]]
    cells: Sequence[Sequence[DriftCell | None]]

    @property
    def n_drifted(self) -> int:
        """Cells with a warning or critical verdict."""
        return sum(1 for row in self.cells for c in row if c and c.severity != "none")


def heatmap(store: Store, model: str, *, start: int | None, end: int | None) -> Heatmap:
    """Return the drift heatmap of ``model`` for windows starting in ``[start, end)``."""
    found = store.overview.drift_cells(model, start=start, end=end)
    features = sorted({c.feature for c in found})
    windows = sorted({(c.window_start, c.window_end) for c in found})
    row_of = {f: i for i, f in enumerate(features)}
    col_of = {w: j for j, w in enumerate(windows)}
    cells: list[list[DriftCell | None]] = [[None] * len(windows) for _ in features]
    for c in found:
        cells[row_of[c.feature]][col_of[(c.window_start, c.window_end)]] = c
    return Heatmap(features=features, windows=windows, cells=cells)


def series(
    store: Store, model: str, *, metric: str, monitor: str | None = None,
    check: str | None = None, feature: str | None = None, segment: str | None = None,
    start: int | None = None, end: int | None = None,
) -> list[SeriesPoint]:  # fmt: skip
    """Return one metric's value per window, oldest first (``GET /v1/models/{model}/series``)."""
    store.models.get_model(model)
    return store.runs.series(model, metric=metric, monitor=monitor, check=check,
                             feature=feature, segment=segment, start=start, end=end)  # fmt: skip


def model_series(
    store: Store, model: str, *, kinds: Sequence[str], start: int | None, end: int | None,
    segments: bool = False, features: bool = False,
) -> dict[tuple[str, str], list[ModelPoint]]:  # fmt: skip
    """Return every model-wide series of the given check kinds, by (check, metric).

    With ``segments``, the per-segment series instead (the check is named with its segment);
    with ``features``, the per-feature ones (named ``check: feature``).
    """
    found: dict[tuple[str, str], list[ModelPoint]] = {}
    points = store.overview.model_points(model, kinds=kinds, start=start, end=end,
                                         segments=segments, features=features)  # fmt: skip
    for point in points:
        found.setdefault((point.check, point.metric), []).append(point)
    return found


def volume(store: Store, model: str, *, start: int | None, end: int | None) -> list[VolumePoint]:
    """Return the events and labels per monitored window of ``model``."""
    return store.overview.volume(model, start=start, end=end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    """Latency quantiles (ms) of the events of a period, from the merged profiles' sketch."""

    n: int
    p50: float
    p95: float
    p99: float


def latency(store: Store, model: str, *, start: int | None, end: int | None) -> Latency | None:
    """Return the latency p50/p95/p99 of ``[start, end)``; ``None`` if none was logged."""
    return latency_of(store.profiles.window(model, start=start, end=end))


def latency_of(window: WindowProfile) -> Latency | None:
    """Return the latency p50/p95/p99 of a merged window profile (``None``: none logged)."""
    if window.latency is None:
        return None
    column = next(iter(window.latency.columns.values()), None)
    if not isinstance(column, NumericSummary) or column.n_valid == 0:
        return None
    p50, p95, p99 = column.quantiles([0.5, 0.95, 0.99]).tolist()
    return Latency(n=column.n_valid, p50=p50, p95=p95, p99=p99)


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribution:
    """A feature's reference and current distributions over the same bins (real values)."""

    feature: str
    kind: Literal["numeric", "categorical"]
    edges: Sequence[float]
    labels: Sequence[str]
    reference: Sequence[float]
    current: Sequence[float]
    n_reference: int
    n_current: int
    window_start: int
    window_end: int
    note: str | None = None


_BINS = 20


def distribution(store: Store, model: str, feature: str, run_id: int) -> Distribution:
    """Return ``feature``'s reference-vs-current shares for the window of run ``run_id``.

    Both profiles come from the store: the window's merged bucket profiles, and the run's
    reference (its time range's profiles, or the stored baseline). Numeric features are
    binned on 20 equal-width bins between the smaller minimum and the larger maximum of
    the two, shares from the KLL sketches' CDFs; categorical ones show the 20 most frequent
    categories of either side.
    """
    report = store.runs.report(run_id)
    if report.model != model:
        raise InvalidParameterError(f"Run {run_id} is of model {report.model!r}, not {model!r}.")
    current = store.profiles.window(model, start=report.window_start, end=report.window_end)
    ref_doc = report.reference or {}
    reference: Profile | None = None
    if ref_doc.get("kind") == "baseline":
        found = store.source.reference(model, ref_doc.get("version"))
        if found is not None:
            doc = found.document
            reference = doc.profile if isinstance(doc, Baseline) else doc
    elif ref_doc.get("start") is not None:
        reference = store.profiles.window(
            model, start=int(ref_doc["start"]), end=int(ref_doc["end"])
        ).features
    cur = None if current.features is None else current.features.columns.get(feature)
    ref = None if reference is None else reference.columns.get(feature)
    if cur is None or ref is None:
        raise InvalidParameterError(
            f"Feature {feature!r} has no profile in the window of run {run_id} or in its "
            "reference, so there is no distribution to show."
        )
    common = {"feature": feature, "window_start": report.window_start,
              "window_end": report.window_end}  # fmt: skip
    if isinstance(cur, NumericSummary) and isinstance(ref, NumericSummary):
        return _numeric(ref, cur, common)
    if isinstance(cur, CategoricalSummary) and isinstance(ref, CategoricalSummary):
        return _categorical(ref, cur, common)
    raise InvalidParameterError(f"Feature {feature!r} changed type between reference and window.")


def _numeric(ref: NumericSummary, cur: NumericSummary, common: dict[str, object]) -> Distribution:
    lows = [v for v in (ref.min, cur.min) if v is not None]
    highs = [v for v in (ref.max, cur.max) if v is not None]
    if not lows or not highs:
        raise InvalidParameterError(f"Feature {common['feature']!r} has no finite value to plot.")
    low, high = min(lows), max(highs)
    if high <= low:
        high = low + 1.0
    edges = [low + (high - low) * i / _BINS for i in range(_BINS + 1)]

    def shares(summary: NumericSummary) -> list[float]:
        if summary.n_valid == 0:
            return [0.0] * _BINS
        cdf = summary.cdf([-math.inf, *edges[1:-1], math.inf]).tolist()
        return [max(0.0, b - a) for a, b in pairwise(cdf)]

    return Distribution(
        kind="numeric", edges=edges,
        labels=[f"{a:.4g} to {b:.4g}" for a, b in pairwise(edges)],
        reference=shares(ref), current=shares(cur), n_reference=ref.n_valid,
        n_current=cur.n_valid, **common,  # type: ignore[arg-type]
    )  # fmt: skip


def _categorical(
    ref: CategoricalSummary, cur: CategoricalSummary, common: dict[str, object]
) -> Distribution:
    seen = list(dict.fromkeys([*ref.categories(), *cur.categories()]))
    ref_counts = ref.count_of(seen).tolist() if seen else []
    cur_counts = cur.count_of(seen).tolist() if seen else []
    order = sorted(range(len(seen)), key=lambda i: -(ref_counts[i] + cur_counts[i]))[:_BINS]
    n_ref, n_cur = max(ref.n_valid, 1), max(cur.n_valid, 1)
    note = None if len(seen) <= _BINS else f"the {_BINS} most frequent of {len(seen)} categories"
    return Distribution(
        kind="categorical", edges=[], labels=[str(seen[i]) for i in order],
        reference=[ref_counts[i] / n_ref for i in order],
        current=[cur_counts[i] / n_cur for i in order], n_reference=ref.n_valid,
        n_current=cur.n_valid, note=note, **common,  # type: ignore[arg-type]
    )  # fmt: skip


def outputs(store: Store, model: str, *, window: WindowProfile) -> list[Distribution]:
    """Return the prediction and score distributions of ``window`` beside the reference.

    The reference is that of the model's newest run whose reference is a time range (its
    merged profiles); without one, the reference side is empty (all shares 0).
    """
    reference: WindowProfile | None = None
    for point in reversed(store.overview.volume(model, start=window.start, end=window.end)):
        ref = store.runs.report(point.run_id).reference or {}
        if ref.get("start") is not None and ref.get("end") is not None:
            reference = store.profiles.window(model, start=int(ref["start"]), end=int(ref["end"]))
            break
    found: list[Distribution] = []
    common = {"window_start": window.start or 0, "window_end": window.end or 0}
    for part in ("prediction", "scores"):
        current: Profile | None = getattr(window, part)
        before: Profile | None = None if reference is None else getattr(reference, part)
        if current is None:
            continue
        for name, summary in current.columns.items():
            other = None if before is None else before.columns.get(name)
            label = part if part == "prediction" and name == "prediction" else f"{part}: {name}"
            if isinstance(summary, NumericSummary) and summary.n_valid:
                base = other if isinstance(other, NumericSummary) and other.n_valid else None
                dist = _numeric(base or summary, summary, {**common, "feature": label})
                if base is None:
                    dist = replace(dist, reference=[0.0] * len(dist.reference), n_reference=0)
                found.append(dist)
            elif isinstance(summary, CategoricalSummary) and summary.n_valid:
                base_c = other if isinstance(other, CategoricalSummary) else None
                dist = _categorical(base_c or summary, summary, {**common, "feature": label})
                if base_c is None:
                    dist = replace(dist, reference=[0.0] * len(dist.reference), n_reference=0)
                found.append(dist)
    return found


# -- runs ----------------------------------------------------------------------------------------
def runs(
    store: Store, monitor: str, *, start: int | None = None, end: int | None = None,
    limit: int = 100, revisions: bool = False,
) -> list[RunSummary]:  # fmt: skip
    """Return a monitor's runs, newest window first (``GET /v1/monitors/{name}/runs``)."""
    return store.runs.runs(monitor, start=start, end=end, limit=limit, revisions=revisions)


def run_report(store: Store, run_id: int) -> MonitorReport:
    """Return one run's report (``GET /v1/runs/{id}``, the run page and the signed link)."""
    return store.runs.report(run_id)


# -- alerts --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class AlertView:
    """An alert with the silence that quiets its notifications now, if any."""

    alert: AlertState
    silenced_by: Silence | None


def _labels(alert: AlertState) -> dict[str, str]:
    return {"tier": alert.tier, "model": alert.model, "monitor": alert.monitor,
            "rule": alert.rule, **alert.group}  # fmt: skip


def alerts(
    store: Store, *, state: str | None = None, model: str | None = None, limit: int = 100
) -> list[AlertView]:
    """Return alerts, newest change first, each with the silence matching it now.

    ``state`` is one of ``open``, ``pending``, ``firing``, ``acknowledged``, ``resolved``, or
    ``silenced`` (open alerts an active silence matches); ``None`` for every alert.
    """
    now = now_us()
    active = store.alerts.silences(active_at=now)
    wanted = "open" if state == "silenced" else state
    found = store.alerts.list_alerts(state=wanted, model=model, limit=limit)
    views = []
    for alert in found:
        labels = _labels(alert)
        match = next((s for s in active if s.matches(labels, now)), None)
        views.append(AlertView(alert=alert, silenced_by=match))
    if state == "silenced":
        views = [v for v in views if v.silenced_by is not None]
    return views


def acknowledge(store: Store, alert_id: int, *, by: str | None) -> AlertState:
    """Acknowledge a firing alert (``POST /v1/alerts/{id}/ack`` and the Alerts page)."""
    return store.alerts.acknowledge(alert_id, by=by)


def silence(
    store: Store, matchers: dict[str, str], *, ends_at: int, starts_at: int | None = None,
    created_by: str | None = None, comment: str | None = None,
) -> Silence:  # fmt: skip
    """Add a silence (``POST /v1/silences`` and the Alerts page's "Silence")."""
    return store.alerts.add_silence(matchers, ends_at=ends_at, starts_at=starts_at,
                                    created_by=created_by, comment=comment)  # fmt: skip
