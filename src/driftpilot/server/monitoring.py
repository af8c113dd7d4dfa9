"""Monitors in the service: load definition files, look up specs, and the scheduler loop.

``serve --monitors PATH`` (or ``DRIFTPILOT_MONITORS``) reads every ``*.yaml``/``*.yml`` file
of a folder (or one file) at start and stores each monitor with origin ``file``; monitors put
through the API have origin ``api``. The scheduler wakes every ``monitor_tick_seconds`` and
runs each monitor whose schedule fired (``Runner.run_due``: new complete windows, and
revisions of windows whose labels grew). Every replica may run the loop: the per-window lease
in the database makes each (monitor, window) run once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from fastapi.concurrency import run_in_threadpool

from driftpilot.errors import DriftpilotError, InvalidParameterError, NotFoundError
from driftpilot.monitor import (
    MonitorSpec,
    Runner,
    RunOutcome,
    check_alignment,
    load_monitors,
    parse_monitors,
)
from driftpilot.monitor.checks import ModelFacts, validate_monitor
from driftpilot.monitor.windows import next_fire
from driftpilot.profile import Baseline
from driftpilot.store import MonitorOrigin, MonitorRecord, Store, now_us

__all__ = [
    "apply_files",
    "check_against_model",
    "load_files",
    "model_facts",
    "monitor_files",
    "pause",
    "run_scheduler",
    "spec_of",
    "specs",
    "store_specs",
]

logger = logging.getLogger("driftpilot.monitor")


def monitor_files(path: Path) -> list[Path]:
    """Return the monitor files of a folder (``*.yaml``, ``*.yml``, ``*.json``), or ``[path]``."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    if not path.exists():
        raise InvalidParameterError(f"Monitor path {str(path)!r} does not exist.")
    return [path]


def load_files(paths: Sequence[Path], *, bucket_seconds: int) -> list[MonitorSpec]:
    """Read and validate every monitor file (any problem raises, naming file and line)."""
    specs: list[MonitorSpec] = []
    for path in paths:
        for file in monitor_files(path):
            specs.extend(load_monitors(file))
    for spec in specs:
        check_alignment(spec, bucket_seconds)
    return specs


def model_facts(store: Store, model: str) -> ModelFacts:
    """Return what a monitor of ``model`` is validated against: its task and column kinds.

    The kinds come from the model's declared feature schema, else from its newest baseline;
    without either only the task is known (the kinds are then checked at run time).

    Raises
    ------
    NotFoundError
        There is no model named ``model``.
    """
    record = store.models.get_model(model)
    task = record.task.value
    if record.feature_schema is not None:
        kinds = {name: f.type for name, f in record.feature_schema.features.items()}
        return ModelFacts(task=task, kinds=kinds)
    reference = store.source.reference(model)
    if reference is None:
        return ModelFacts(task=task)
    document = reference.document
    profile = document.profile if isinstance(document, Baseline) else document
    kinds = {name: summary.kind for name, summary in profile.columns.items()}
    return ModelFacts(task=task, kinds=kinds, origin=f"baseline {reference.version!r}")


def check_against_model(store: Store, spec: MonitorSpec) -> None:
    """Validate ``spec`` against its model (``MonitorDefinitionError`` naming the problem)."""
    validate_monitor(spec, model_facts(store, spec.model))


def store_specs(
    store: Store, specs: Sequence[MonitorSpec], *, origin: MonitorOrigin = "file"
) -> list[MonitorSpec]:
    """Store each spec whose model exists; return the ones whose model does not exist yet.

    Each is first validated against its model (task, column kinds), so a check that could
    never judge is refused when it is stored.
    """
    pending = []
    for spec in specs:
        try:
            check_against_model(store, spec)
            store.monitors.put(spec.name, model=spec.model, definition=spec.to_dict(),
                               origin=origin)  # fmt: skip
        except NotFoundError:
            pending.append(spec)
    return pending


def apply_files(
    store: Store, paths: Sequence[Path], *, bucket_seconds: int, origin: MonitorOrigin = "file"
) -> list[MonitorSpec]:
    """Validate every monitor file, then store all of them (none if any file is invalid).

    Raises ``NotFoundError`` if a monitor's model does not exist.
    """
    specs = load_files(paths, bucket_seconds=bucket_seconds)
    pending = store_specs(store, specs, origin=origin)
    if pending:
        names = ", ".join(f"{s.name!r} (model {s.model!r})" for s in pending)
        raise NotFoundError(f"Monitors {names} name models that do not exist; create them first.")
    return specs


def spec_of(record: MonitorRecord) -> MonitorSpec:
    """Return the spec of a stored monitor."""
    return parse_monitors(record.definition, where=f"stored monitor {record.name!r}")[0]


def specs(store: Store, *, model: str | None = None, name: str | None = None) -> list[MonitorSpec]:
    """Return the stored monitors (of ``model``, or the one named ``name``)."""
    if name is not None:
        return [spec_of(store.monitors.get(name))]
    return [spec_of(r) for r in store.monitors.list_monitors(model)]


def _log(outcomes: Sequence[RunOutcome]) -> None:
    for outcome in outcomes:
        if outcome.report is None:
            continue
        flagged = outcome.report.flagged
        logger.info(
            "monitor %s window %s: %s revision %d, %d findings%s",
            outcome.monitor, outcome.window.iso(), outcome.status, outcome.report.revision,
            len(flagged), (": " + ", ".join(sorted({f"{r.check}/{r.feature or r.metric}"
                                                   for r in flagged}))[:300]) if flagged else "",
        )  # fmt: skip


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; return whether to go on.

    The service's loops stop this way rather than by cancellation: a cancelled task would leave
    its worker thread running against a store that is being closed.
    """
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return True
    return False


async def run_scheduler(
    store: Store, runner: Runner, *, tick: float, stop: asyncio.Event,
    pending: Sequence[MonitorSpec] = (),
) -> None:  # fmt: skip
    """Run every monitor whose schedule fired, every ``tick`` seconds, until cancelled.

    ``pending`` monitors (from files, whose model did not exist yet) are stored as soon as
    their model is created.
    """
    next_at: dict[str, int] = {}
    waiting = list(pending)
    while not stop.is_set():
        if waiting:
            try:
                left = await run_in_threadpool(store_specs, store, waiting)
            except (sa.exc.SQLAlchemyError, DriftpilotError):
                logger.exception("cannot store the pending monitors; retrying in %s s", tick)
                left = waiting
            for spec in waiting:
                if spec not in left:
                    logger.info("stored monitor %s: its model %s now exists", spec.name, spec.model)
            waiting = left
        try:
            current = await run_in_threadpool(specs, store)
        except (sa.exc.SQLAlchemyError, DriftpilotError):
            logger.exception("cannot read the monitors; retrying in %s s", tick)
            current = []
        now = now_us()
        for spec in current:
            if stop.is_set():
                return
            due = next_at.get(spec.name, now)  # a monitor seen for the first time runs now
            if now < due:
                continue
            next_at[spec.name] = next_fire(spec, now)
            try:
                outcomes = await run_in_threadpool(runner.run_due, spec, now)
            except (sa.exc.SQLAlchemyError, DriftpilotError):
                logger.exception("monitor %s failed; it runs again at its next fire", spec.name)
                continue
            _log(outcomes)
        for gone in set(next_at) - {s.name for s in current}:
            del next_at[gone]
        if not await pause(stop, tick):
            return
