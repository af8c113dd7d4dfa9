"""Detector checks: one streaming detector per stream, kept across windows.

A stream is the whole traffic (segment key ``""``) or one segment value (``"region=north"``,
the top ``max_segments`` values of each of the monitor's segment keys in the window, as drift
checks choose them). Each stream has its own detector and its own saved state, per monitor,
check and segment: the state after a window is saved under that window's end, and the next
window (or a revision of this one) starts from the newest state ending at or before its start.

A stream's detector starts afresh when what it was built for changes (the fingerprint: the
method and its params, the stream, the task, the monitor's version, the reference and for a
baseline reference the baseline itself), or when the model version serving it changes: the
version of most of the window's stream events (a new champion). On a version change the
detector is fed from that version's first event in the window, so the old model's last
errors do not open the new model's stream; the result says when (``reset_at``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot._typing import BoolArray, FloatArray
from driftpilot.detectors import StreamingDetector
from driftpilot.errors import DriftpilotError
from driftpilot.monitor._context import WindowContext
from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor._drift import segment_values
from driftpilot.monitor._outputs import score_values
from driftpilot.monitor._realized import invalid_note
from driftpilot.monitor.detector_methods import DETECTORS
from driftpilot.monitor.results import CheckResult
from driftpilot.monitor.source import DetectorState
from driftpilot.monitor.spec import DetectorCheck, check_name

__all__ = ["ALL_TRAFFIC", "detector_results"]

#: The segment key of the detector fed the whole window's traffic.
ALL_TRAFFIC = ""
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class _Stream:
    """The window's values of a check's stream, aligned with the window's events."""

    values: FloatArray  # one per event; meaningful where ``fed``
    fed: BoolArray  # events that feed the stream (labelled, or with a valid score)
    invalid: BoolArray  # events left out for an invalid score (score streams)


def _stream(ctx: WindowContext, check: DetectorCheck) -> _Stream:
    events = ctx.events
    n = len(events)
    if check.stream == "score":
        values = score_values(events.scores, name=check.score, positive=check.positive)
        fed = ~np.isnan(values)
        return _Stream(values=values, fed=fed, invalid=~fed)
    fed = events.labelled
    values = np.full(n, np.nan)
    index = np.flatnonzero(fed).tolist()
    try:
        if ctx.task == "regression":
            values[index] = [abs(float(events.labels[i]) - float(events.predictions[i]))
                             for i in index]  # fmt: skip
        else:
            values[index] = [float(str(events.labels[i]) != str(events.predictions[i]))
                             for i in index]  # fmt: skip
    except (TypeError, ValueError) as err:
        raise DriftpilotError(f"a label or prediction is not a number: {err}") from None
    return _Stream(values=values, fed=fed, invalid=np.zeros(n, dtype=np.bool_))


def _segments(ctx: WindowContext, name: str) -> list[tuple[str, BoolArray]]:
    """Return ``(segment, mask)`` of the top ``max_segments`` values of each segment key."""
    events = ctx.events
    out = []
    for key in ctx.spec.segments:
        values = segment_values(events, key)
        counts = Counter(v for v in values if v is not None)
        kept = counts.most_common(ctx.spec.max_segments)
        if len(kept) < len(counts):
            ctx.notes.append(f"{name}: segment {key!r} has {len(counts)} values; the "
                             f"{len(counts) - len(kept)} with fewest events fed no detector "
                             f"this window (max_segments={ctx.spec.max_segments})")  # fmt: skip
        for value, _ in kept:
            mask = np.fromiter((v == value for v in values), dtype=np.bool_, count=len(values))
            out.append((f"{key}={value}", mask))
    return out


def _fingerprint(ctx: WindowContext, check: DetectorCheck) -> str:
    """Return what a saved state was built for; another value starts a fresh detector."""
    reference = ctx.spec.reference
    if reference.kind == "baseline":
        found = ctx.baseline  # "latest" follows a newly registered version's baseline
        document = None if found is None else found.document
        ref: Any = ["baseline", None if found is None else found.version,
                    getattr(document, "fingerprint", None),
                    getattr(document, "created_at", None)]  # fmt: skip
    elif reference.kind == "range":
        ref = ["range", ctx.reference_span]
    else:
        ref = ["trailing", reference.trailing]
    identity = {
        "method": check.method, "params": check.params, "stream": check.stream,
        "score": check.score, "positive": check.positive, "task": ctx.task,
        "version": ctx.spec.version, "reference": ref,
    }  # fmt: skip
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _serving_version(versions: list[str]) -> str | None:
    """Return the version of most events (a tie goes to the newest event's version)."""
    if not versions:
        return None
    counts = Counter(versions)
    top = max(counts.values())
    return next(v for v in reversed(versions) if counts[v] == top)


@dataclass(slots=True)
class _Start:
    detector: StreamingDetector
    details: dict[str, Any]
    skip: int = 0  # events of the window fed to no detector (the old version's, on a reset)


def _start(ctx: WindowContext, check: DetectorCheck, segment: str, fingerprint: str,
           versions: list[str], times: list[int]) -> _Start:  # fmt: skip
    """Return the detector to feed this window's stream: the saved one before it, or fresh."""
    fresh = DETECTORS[check.method].build(check.params)
    if ctx.states is None:
        return _Start(fresh, {"state": "fresh (not kept: no state store)"})
    saved = ctx.states.detector_state(ctx.spec.name, check_name(check), segment,
                                      at=ctx.window.start)  # fmt: skip
    if saved is None:
        return _Start(fresh, {"state": "fresh"})
    if saved.fingerprint != fingerprint:
        return _Start(fresh, {"state": "reset", "reset_reason": (
            "the detector, its stream, the watched version or the reference changed since "
            f"the state saved at {saved.window_end}")})  # fmt: skip
    serving = _serving_version(versions)
    if serving is not None and saved.model_version not in (None, serving):
        first = versions.index(serving)
        return _Start(fresh, {"state": "reset", "reset_at": times[first], "reset_reason": (
            f"the model version changed from {saved.model_version!r} to {serving!r} (the "
            "version of most of the window's events): a new champion's stream starts at its "
            "first event")}, skip=first)  # fmt: skip
    try:
        kind: Any = type(fresh)
        detector: StreamingDetector = kind.from_dict(dict(saved.state))
    except DriftpilotError as err:
        return _Start(fresh, {"state": "reset", "reset_reason": f"saved state unreadable: {err}"})
    return _Start(detector, {"state": "continued", "continued_from": saved.window_end})


def _judge(ctx: WindowContext, check: DetectorCheck, segment: str, mask: BoolArray,
           stream: _Stream, fingerprint: str) -> CheckResult:  # fmt: skip
    """Feed one stream's events of the window, in time order, and save its state."""
    name = check_name(check)
    events: WindowEvents = ctx.events
    chosen = np.flatnonzero(mask & stream.fed)
    chosen = chosen[np.argsort(events.timestamps[chosen], kind="stable")]
    versions = [str(events.versions[i]) for i in chosen.tolist()]
    times = [int(events.timestamps[i]) for i in chosen.tolist()]
    start = _start(ctx, check, segment, fingerprint, versions, times)
    detector, details = start.detector, dict(start.details)
    base: dict[str, Any] = {"check": name, "kind": "detector", "metric": check.method,
                            "segment": segment or None}  # fmt: skip
    details["stream"] = check.stream
    if check.stream == "score":
        details["n_invalid_scores"] = int(np.count_nonzero(mask & stream.invalid))
    fed = chosen[start.skip :]
    if fed.size == 0:  # nothing to feed: the state carries on unchanged to the next window
        what = "labelled events" if check.stream == "error" else "events with a valid score"
        return CheckResult(**base, value=None, status="no_data", n=0,
                           reason=f"no {what} in the window",
                           details={**details, "change_points": [],
                                    "n_seen": detector.n_seen})  # fmt: skip
    try:
        indices = detector.update_many(stream.values[fed]).batch_drifts
    except DriftpilotError as err:
        return CheckResult(**base, value=None, reason=str(err), status="error")
    serving = _serving_version(versions[start.skip :])
    if ctx.states is not None:
        length = ctx.window.end - ctx.window.start
        ctx.states.save_detector_state(
            ctx.spec.name, name, segment,
            DetectorState(window_start=ctx.window.start, window_end=ctx.window.end,
                          fingerprint=fingerprint, state=detector.to_dict(), n_fed=int(fed.size),
                          model_version=serving),
            keep_from=ctx.window.start - ctx.spec.label_horizon * _US - length,
        )  # fmt: skip
    change_points = [int(events.timestamps[fed[i]]) for i in indices]
    return CheckResult(
        **base, value=float(len(change_points)), upper=0.0,
        severity=check.severity if change_points else "none", n=int(fed.size),
        n_labels=int(fed.size) if check.stream == "error" else None,
        details={**details, "change_points": change_points, "n_seen": detector.n_seen,
                 "model_version": serving},
    )  # fmt: skip


def detector_results(ctx: WindowContext, check: DetectorCheck) -> list[CheckResult]:
    """Run the check's detector over the whole traffic and each segment of the window.

    One result per stream (``segment`` ``None`` for the whole traffic): ``value`` is the number
    of change points, ``details.change_points`` their times (µs, the events whose update
    flagged drift), ``details.state`` how the detector started (module docstring).
    """
    name = check_name(check)
    base: dict[str, Any] = {"check": name, "kind": "detector", "metric": check.method}
    try:
        DETECTORS[check.method].build(check.params)
        stream = _stream(ctx, check)
    except (ValueError, DriftpilotError) as err:
        return [CheckResult(**base, value=None, reason=str(err), status="error")]
    n_invalid = int(np.count_nonzero(stream.invalid))
    if n_invalid:
        ctx.notes.append(invalid_note(name, n_invalid, "events", "the score stream"))
    fingerprint = "" if ctx.states is None else _fingerprint(ctx, check)
    everything = np.ones(len(ctx.events), dtype=np.bool_)
    streams = [(ALL_TRAFFIC, everything), *_segments(ctx, name)]
    return [_judge(ctx, check, segment, mask, stream, fingerprint) for segment, mask in streams]
