"""The serving router: loads a model's deployed versions, splits traffic, logs every prediction.

Decisions:

* **Snapshot swap.** What the router serves is one immutable table (the deployment and a
  loaded predictor per version). A request reads the table once and uses only it, so a swap
  is one reference assignment: requests in flight finish on the versions they started on,
  new ones take the new table, and nothing is ever half swapped or dropped. Versions are
  loaded before the swap, in the polling thread, never on the request path; a version
  already loaded is reused. If a version fails to load, the router keeps serving the old
  table, counts the failure (``load_errors``), logs it and tries again next interval.
* **Deterministic split.** Each row's routing key (a feature, a header, or the request id)
  falls at a stable position on [0, 1) (``_hashing``); below ``weight / 100`` it goes to the
  canary. A row whose key is missing goes to the champion and is counted (``unkeyed``).
* **Cohorts.** Every prediction is logged through the SDK client with its
  ``model_version`` and the segment tag ``cohort`` (``champion``, ``canary`` or
  ``shadow``). Monitors that list ``cohort`` in their ``segments`` then compare the cohorts
  over the same windows, on the same traffic period. Shadow events get their own ids
  (``event_id_for("<primary id>/shadow/<version>")``) since an id names one event; labels
  join the primary event.
* **Polling.** A thread asks the source for a newer revision twice per ``interval``
  (default 5 s), at a fixed rate, so a change is served within ``interval`` even when a
  poll is slow; a failed poll keeps the current table and is counted (``poll_errors``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from driftpilot.errors import DriftpilotError, InvalidParameterError
from driftpilot.ingest import event_id_for, new_event_id
from driftpilot.lifecycle import Deployment, Predictor
from driftpilot.serving._hashing import canonical_key, position
from driftpilot.serving._shadow import ShadowJob, ShadowMirror

if TYPE_CHECKING:
    from driftpilot.ingest import Client
    from driftpilot.serving.sources import DeploymentSource

__all__ = ["Cohort", "Loader", "NotServingError", "RoutedPrediction", "Router", "RouterStats"]

logger = logging.getLogger("driftpilot.serving")

Cohort = Literal["champion", "canary", "shadow"]
#: Loads one version of a model: ``loader(model, version) -> Predictor``.
Loader = Callable[[str, str], Predictor]


class NotServingError(DriftpilotError):
    """The router has no champion to serve yet (nothing deployed, or not loaded)."""

    code = "not_serving"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutedPrediction:
    """One row's answer: the prediction, its scores, which version and cohort made it."""

    prediction: Any
    scores: dict[str, float] | None
    model_version: str
    cohort: Cohort
    event_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterStats:
    """What the router did since it started (counters) and what it serves now."""

    revision: int | None
    champion: str | None
    canary: str | None
    canary_weight: float
    shadows: tuple[str, ...]
    requests: int
    rows: dict[str, int]
    unkeyed: int
    swaps: int
    poll_errors: int
    load_errors: int
    last_error: str | None
    shadow_enqueued: int
    shadow_dropped: int
    shadow_errors: int

    def to_dict(self) -> dict[str, Any]:
        """Return the stats as JSON-ready data."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class _Table:
    deployment: Deployment
    predictors: Mapping[str, Predictor]
    salt: bytes


def _salt(deployment: Deployment) -> bytes:
    canary = deployment.canary
    base = deployment.model if deployment.sticky or canary is None else (
        f"{deployment.model}\x00{canary.version}"
    )  # fmt: skip
    return hashlib.blake2b(base.encode(), digest_size=32).digest()


def _cohort(table: _Table, key: str | None) -> Cohort:
    canary = table.deployment.canary
    if canary is None or key is None or canary.weight <= 0:
        return "champion"
    return "canary" if position(table.salt, key) * 100 < canary.weight else "champion"


class Router:
    """Serve a model's deployment: champion, canary at its weight, shadows mirrored.

    Parameters
    ----------
    model
        The model's name.
    source
        Where the deployment is read (``HttpDeploymentSource``, ``StoreDeploymentSource``).
    loader
        ``loader(model, version) -> Predictor``: loads one version.
    interval
        A deployment change is served within this many seconds (default 5); the source is
        polled twice per interval.
    client
        The SDK client predictions are logged through (``None``: not logged).
    shadow_queue
        Shadow jobs that may wait; more are dropped and counted.
    """

    def __init__(
        self,
        model: str,
        source: DeploymentSource,
        loader: Loader,
        *,
        interval: float = 5.0,
        client: Client | None = None,
        shadow_queue: int = 1000,
    ) -> None:
        if not interval > 0:
            raise InvalidParameterError(
                f"The 'interval' parameter of Router must be > 0 seconds. Got {interval!r}."
            )
        if isinstance(shadow_queue, bool) or not isinstance(shadow_queue, int) or shadow_queue < 1:
            raise InvalidParameterError(
                f"The 'shadow_queue' parameter of Router must be an integer >= 1. "
                f"Got {shadow_queue!r} instead."
            )
        self.model = model
        self.interval = interval
        self._source = source
        self._loader = loader
        self._client = client
        self._table: _Table | None = None
        self._refresh_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._requests = self._unkeyed = self._swaps = self._poll_errors = self._load_errors = 0
        self._rows = {"champion": 0, "canary": 0}
        self._last_error: str | None = None
        self._shadow = ShadowMirror(self._log_shadow, max_queue=shadow_queue)

    # -- the deployment --------------------------------------------------------------------

    @property
    def deployment(self) -> Deployment | None:
        """The deployment served now (``None`` before the first successful refresh)."""
        table = self._table
        return None if table is None else table.deployment

    def refresh(self) -> bool:
        """Poll the source once; load and swap in a newer deployment. ``True`` if swapped.

        Raises nothing: a failed poll or load is counted, logged, and the current table
        stays (see :meth:`stats`).
        """
        with self._refresh_lock:
            table = self._table
            known = None if table is None else table.deployment.revision
            try:
                deployment = self._source.fetch(known)
            except (DriftpilotError, OSError) as err:
                self._failed("poll", f"reading the deployment failed: {err}")
                return False
            if deployment is None or (table is not None and deployment == table.deployment):
                return False
            if deployment.model != self.model:
                self._failed("poll", f"the source answered model {deployment.model!r}")
                return False
            loaded = {} if table is None else table.predictors
            predictors: dict[str, Predictor] = {}
            for version in deployment.versions():
                if version in loaded:
                    predictors[version] = loaded[version]
                    continue
                try:
                    predictors[version] = self._loader(self.model, version)
                except Exception as err:
                    self._failed("load", f"loading version {version!r} failed: {err!r}")
                    return False
            self._table = _Table(deployment, predictors, _salt(deployment))
            with self._count_lock:
                self._swaps += 1
            logger.info("serving %s revision %d: %s", self.model, deployment.revision,
                        predictors.keys())  # fmt: skip
            return True

    def _failed(self, kind: Literal["poll", "load"], message: str) -> None:
        with self._count_lock:
            if kind == "poll":
                self._poll_errors += 1
            else:
                self._load_errors += 1
            self._last_error = message
        logger.error("router of %s: %s; still serving the previous deployment", self.model,
                     message)  # fmt: skip

    def start(self) -> Router:
        """Refresh once now, then every ``interval`` seconds on a background thread."""
        self.refresh()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._poll, name=f"driftpilot-router-{self.model}", daemon=True
            )
            self._thread.start()
        return self

    def _poll(self) -> None:
        # Twice per interval, at a fixed rate: a change is picked up within ``interval`` even
        # when a poll itself takes a while (a 304 costs the service next to nothing).
        period = self.interval / 2
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            self.refresh()
            due = max(due + period, time.monotonic())

    def close(self) -> None:
        """Stop polling, run the queued shadow jobs, close the source."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._shadow.close()
        self._source.close()

    # -- the request path ------------------------------------------------------------------

    def cohort_of(self, key: str | None) -> Cohort:
        """Return the cohort a routing key goes to under the current deployment."""
        table = self._table
        if table is None:
            raise NotServingError(f"The router of {self.model!r} has no deployment yet.")
        return _cohort(table, key)

    def _keys(
        self, table: _Table, rows: Sequence[Mapping[str, Any]],
        headers: Mapping[str, str] | None, request_id: str | None,
    ) -> list[str | None]:  # fmt: skip
        routing = table.deployment.routing_key
        if routing.kind == "feature":
            name = routing.name
            return [canonical_key(row.get(name)) if isinstance(name, str) else None for row in rows]
        if routing.kind == "header":
            wanted = (routing.name or "").lower()
            given = {k.lower(): v for k, v in (headers or {}).items()}
            return [given.get(wanted)] * len(rows)
        return [request_id or new_event_id()] * len(rows)

    def predict(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        event_ids: Sequence[str | None] | None = None,
    ) -> list[RoutedPrediction]:
        """Route each row, predict with its version, log it, mirror it to the shadows.

        Parameters
        ----------
        rows
            Feature mappings, one per row.
        headers
            The request's headers (for a ``header`` routing key).
        request_id
            The request's id (for a ``request_id`` routing key; default: a new one).
        event_ids
            An event id per row to log with (default: new ids).

        Raises
        ------
        NotServingError
            Nothing is deployed yet (or the first load failed).
        """
        table = self._table  # read once: this request serves from this snapshot only
        if table is None or table.deployment.champion is None:
            raise NotServingError(
                f"Model {self.model!r} has no champion deployed (or it could not be loaded): "
                f"set one with PATCH /v1/models/{self.model}/deployment."
            )
        if event_ids is not None and len(event_ids) != len(rows):
            raise InvalidParameterError(
                f"'event_ids' must have one id per row: {len(rows)} rows, {len(event_ids)} ids."
            )
        champion, canary = table.deployment.champion, table.deployment.canary
        groups: dict[str, list[int]] = {}
        unkeyed = 0
        for i, key in enumerate(self._keys(table, rows, headers, request_id)):
            unkeyed += key is None
            on_canary = canary is not None and _cohort(table, key) == "canary"
            version = canary.version if on_canary and canary is not None else champion
            groups.setdefault(version, []).append(i)
        results: list[RoutedPrediction | None] = [None] * len(rows)
        for version, indices in groups.items():
            cohort: Cohort = "champion" if version == champion else "canary"
            self._predict_group(table, version, cohort, rows, indices, event_ids, results)
        answered = [r for r in results if r is not None]
        with self._count_lock:
            self._requests += 1
            self._unkeyed += unkeyed
            for version, indices in groups.items():
                self._rows["champion" if version == champion else "canary"] += len(indices)
        shadows = {v: table.predictors[v] for v in table.deployment.shadows}
        if shadows:
            self._shadow.offer(ShadowJob(rows, [r.event_id for r in answered], shadows))
        return answered

    def _predict_group(
        self, table: _Table, version: str, cohort: Cohort, rows: Sequence[Mapping[str, Any]],
        indices: list[int], event_ids: Sequence[str | None] | None,
        results: list[RoutedPrediction | None],
    ) -> None:  # fmt: skip
        predictor = table.predictors[version]
        part = rows if len(indices) == len(rows) else [rows[i] for i in indices]
        started = time.perf_counter()
        predictions = predictor.predict(part)
        scores = predictor.predict_proba(part)
        latency = (time.perf_counter() - started) * 1000 / max(len(part), 1)
        client = self._client
        for j, i in enumerate(indices):
            given = None if event_ids is None else event_ids[i]
            row_scores = None if scores is None else scores[j]
            if client is not None:
                event_id = client.log_prediction(
                    part[j], predictions[j], scores=row_scores, event_id=given,
                    latency_ms=latency, segment={"cohort": cohort}, model_version=version,
                )  # fmt: skip
            else:
                event_id = given if given is not None else new_event_id()
            results[i] = RoutedPrediction(
                prediction=predictions[j], scores=row_scores, model_version=version,
                cohort=cohort, event_id=event_id,
            )  # fmt: skip

    def _log_shadow(
        self, version: str, rows: Sequence[Mapping[str, Any]], event_ids: Sequence[str],
        predictions: list[Any], scores: list[dict[str, float]] | None, latency: float,
    ) -> None:  # fmt: skip
        client = self._client
        if client is None:
            return
        for j, row in enumerate(rows):
            client.log_prediction(
                row, predictions[j], scores=None if scores is None else scores[j],
                event_id=event_id_for(f"{event_ids[j]}/shadow/{version}"), latency_ms=latency,
                segment={"cohort": "shadow"}, model_version=version,
            )  # fmt: skip

    # -- what happened ---------------------------------------------------------------------

    def wait_for_shadows(self) -> None:
        """Block until every queued shadow job ran."""
        self._shadow.join()

    def stats(self) -> RouterStats:
        """Return the counters and what is served now."""
        deployment = self.deployment
        canary = None if deployment is None else deployment.canary
        with self._count_lock:
            return RouterStats(
                revision=None if deployment is None else deployment.revision,
                champion=None if deployment is None else deployment.champion,
                canary=None if canary is None else canary.version,
                canary_weight=0.0 if canary is None else canary.weight,
                shadows=() if deployment is None else deployment.shadows,
                requests=self._requests, rows=dict(self._rows), unkeyed=self._unkeyed,
                swaps=self._swaps, poll_errors=self._poll_errors,
                load_errors=self._load_errors, last_error=self._last_error,
                shadow_enqueued=self._shadow.enqueued, shadow_dropped=self._shadow.dropped,
                shadow_errors=self._shadow.errors,
            )  # fmt: skip
