"""Partial profiles: what one ingest call adds to one (model version, time bucket).

An events partial holds four profiles, one per role, each a saved-profile document:
``features`` (one column per feature), ``prediction`` (one column, ``prediction``),
``scores`` (one numeric column per class or list position) and ``latency`` (``latency_ms``),
plus ``quality``, the count of each quality flag. A labels partial holds ``labels`` (one
column, ``label``), added when labels are joined to their events, in the bucket and version of
the event.

Binning: every partial is built with the service's ``ProfileConfig`` and, for a version with a
baseline, on the baseline's bin edges (``profile(batch, reference=...)``), so partials of that
version merge exactly and compare exactly with the baseline. Features come from the baseline's
feature profile, the prediction from its prediction summary, the label from its target
summary. Columns without a reference column, and versions without a baseline, get no histogram
(their own quantile edges would differ from batch to batch and never merge); scores and
latency never have one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from driftpilot._columns import ColumnType
from driftpilot.profile import Baseline, ColumnSummary, Profile, ProfileConfig, profile
from driftpilot.store._batch import IncomingEvent, dump_json
from driftpilot.store._checks import (
    MISSING,
    Checked,
    Rule,
    check_column,
    infer_rule,
    rules_from_kinds,
)
from driftpilot.store.records import FeatureSchema, Task

__all__ = [
    "EVENT_ROLES",
    "CheckedEvents",
    "Reference",
    "check_events",
    "event_document",
    "label_document",
    "read_document",
]

EVENT_ROLES = ("features", "prediction", "scores", "latency")
_LATENCY = Rule(kind=ColumnType.NUMERIC, min=0.0)


@dataclass(frozen=True, slots=True)
class Reference:
    """What a version's baseline offers to check and bin against (all ``None`` without one)."""

    id: int | None = None
    features: Profile | None = None
    prediction: ColumnSummary | None = None
    target: ColumnSummary | None = None

    @classmethod
    def of(cls, baseline_id: int, document: Baseline | Profile) -> Reference:
        """Return the reference of a stored baseline or plain profile."""
        if isinstance(document, Profile):
            return cls(baseline_id, document)
        return cls(
            baseline_id, document.profile, document.prediction_summary, document.target_summary
        )


@dataclass(slots=True)
class CheckedEvents:
    """The events of one version, checked: per role, an Arrow table and each column's kind."""

    tables: dict[str, pa.Table]
    kinds: dict[str, dict[str, ColumnType]]


def _output_rule(task: Task) -> Rule:
    kind = ColumnType.NUMERIC if task is Task.REGRESSION else ColumnType.CATEGORICAL
    return Rule(kind=kind, declared=True)


def check_events(
    events: Sequence[IncomingEvent],
    *,
    task: Task,
    schema: FeatureSchema | None,
    reference: Reference,
) -> CheckedEvents:
    """Check the events of one version, adding quality flags to each event's ``flags``."""
    flags = [event.flags for event in events]
    if schema is not None:
        rules: dict[str, Rule] | None = {
            name: Rule(kind=s.type, min=s.min, max=s.max, nullable=s.nullable, declared=True)
            for name, s in schema.features.items()
        }
    elif reference.features is not None:
        rules = rules_from_kinds(reference.features.schema)
    else:
        rules = None
    roles: dict[str, dict[str, Checked]] = {
        "features": _check_features([e.features for e in events], rules, flags),
        "prediction": {
            "prediction": check_column(
                [e.prediction for e in events], _output_rule(task), "prediction", flags
            )
        },
        "latency": {
            "latency_ms": check_column([e.latency for e in events], _LATENCY, "latency_ms", flags)
        },
    }
    scores: dict[str, Checked] = {}
    for name in dict.fromkeys(k for e in events if e.scores for k in e.scores):
        values = [None if e.scores is None else e.scores.get(name) for e in events]
        scores[str(name)] = check_column(values, _SCORE, f"scores.{name}", flags)
    roles["scores"] = scores
    tables, kinds = {}, {}
    for role, checked in roles.items():
        present = {name: c for name, c in checked.items() if c.array is not None}
        tables[role] = pa.table({name: c.array for name, c in present.items()})
        kinds[role] = {name: c.kind for name, c in present.items()}
    return CheckedEvents(tables=tables, kinds=kinds)


_SCORE = Rule(kind=ColumnType.NUMERIC)


def _check_features(
    dicts: Sequence[dict[str, Any]], rules: Mapping[str, Rule] | None, flags: list[list[str]]
) -> dict[str, Checked]:
    checked: dict[str, Checked] = {}
    if rules is None:
        for name in dict.fromkeys(name for d in dicts for name in d):
            values = [d.get(name, MISSING) for d in dicts]
            rule = infer_rule(values)
            if rule is None:
                for i, value in enumerate(values):
                    if value is not MISSING and value is not None:
                        flags[i].append(f"unsupported:features.{name}")
                continue
            checked[name] = check_column(values, rule, f"features.{name}", flags)
        return checked
    known = rules.keys()
    for i, d in enumerate(dicts):
        if not d.keys() <= known:
            flags[i].extend(f"unknown:features.{name}" for name in d if name not in known)
    for name, rule in rules.items():
        values = [d.get(name, MISSING) for d in dicts]
        checked[name] = check_column(values, rule, f"features.{name}", flags)
    return checked


def _role_reference(role: str, reference: Reference) -> Profile | None:
    if role == "features":
        return reference.features
    summary = {"prediction": reference.prediction, "labels": reference.target}.get(role)
    if summary is None:
        return None
    name = "label" if role == "labels" else "prediction"
    return Profile(columns={name: summary}, n_rows=summary.n)


def _profile_role(
    table: pa.Table,
    kinds: Mapping[str, ColumnType],
    n_rows: int,
    reference: Profile | None,
    config: ProfileConfig,
) -> Profile:
    if table.num_columns == 0:
        return Profile(columns={}, n_rows=n_rows, config=config)
    empty = Profile.empty(kinds, config=config, reference=reference)
    return profile(table, reference=empty, config=config)


def event_document(
    checked: CheckedEvents,
    positions: Sequence[int],
    flags: Sequence[Sequence[str]],
    *,
    reference: Reference,
    config: ProfileConfig,
) -> str:
    """Return the JSON of the events partial of the rows at ``positions`` of ``checked``.

    ``flags`` are the quality flags of those rows.
    """
    every = len(positions) == checked.tables["features"].num_rows
    indices = None if every else pa.array(positions, type=pa.int64())
    document: dict[str, Any] = {}
    for role in EVENT_ROLES:
        table = checked.tables[role]
        if indices is not None:
            table = table.take(indices)
        result = _profile_role(
            table, checked.kinds[role], len(positions), _role_reference(role, reference), config
        )
        document[role] = result.to_dict()
    document["quality"] = dict(Counter(flag for row in flags for flag in row))
    return dump_json(document)


def label_document(
    values: Sequence[Any], *, task: Task, reference: Reference, config: ProfileConfig
) -> str:
    """Return the JSON of the labels partial of ``values`` (label values, any JSON)."""
    checked = check_column(values, _output_rule(task), "label", None)
    table = pa.table({"label": checked.array})
    result = _profile_role(
        table, {"label": checked.kind}, len(values), _role_reference("labels", reference), config
    )
    return dump_json({"labels": result.to_dict()})


def read_document(text: str) -> dict[str, Any]:
    """Parse a partial's JSON document."""
    document: dict[str, Any] = json.loads(text)
    return document
