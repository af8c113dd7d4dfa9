"""The registry of check types: what validation, the runner, ``/metrics`` and alerting read.

Each :class:`CheckType` knows its spec model (the pydantic model of its YAML mapping), its
runner, the ``kind`` of its results (which ``/metrics`` family their values go to), the
metrics its results can carry (so an alert condition naming a metric no check produces fails
when the definition is loaded, not by never firing), what it reads (so a backfill preloads
raw events only when a check needs them) and its load-time checks against the model (task,
column kinds). Adding a check type is one entry here plus its spec model in
:mod:`driftpilot.monitor.spec` (an import-time assertion keeps the two in step).

Validation happens in two places, both when a definition is loaded, never first at run time:

* the spec models themselves (test names, detector parameters against the detector's
  signature, metric names, thresholds in range), whenever a definition is parsed;
* :func:`validate_monitor`, when a definition is stored or a file is loaded: KPI functions
  must import, and given :class:`ModelFacts` (the model's task and its columns' kinds, from
  its feature schema or baseline) test names must fit the columns they will meet, metrics
  the task, and named features must exist.

What can only be known at run time (a column of a kind no one declared) gives a result of
status ``error`` naming the problem, never a silent substitution.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from driftpilot._columns import ColumnType
from driftpilot.drift import TEST_SPECS
from driftpilot.errors import DriftpilotError, MonitorDefinitionError
from driftpilot.monitor import spec as s
from driftpilot.monitor.detector_methods import DETECTORS
from driftpilot.monitor.results import CheckResult

if TYPE_CHECKING:
    from driftpilot.monitor._context import WindowContext

__all__ = [
    "CHECK_ERROR_RULE",
    "CHECK_TYPES",
    "KIND_FAMILIES",
    "CheckType",
    "ModelFacts",
    "check_conditions",
    "check_type",
    "load_function",
    "validate_monitor",
]

Reads = Literal["profile", "events", "features"]
Runner = Callable[["WindowContext", Any], list[CheckResult]]

#: The ``/metrics`` family the values of each result ``kind`` are exported to (``None``: the
#: value is not exported; its check still has ``driftpilot_check_status`` and ``..._severity``).
KIND_FAMILIES: dict[str, str | None] = {
    "drift": "driftpilot_feature_psi / driftpilot_feature_drift_score",
    "quality": "driftpilot_missing_ratio / driftpilot_data_quality_value",
    "performance": "driftpilot_model_performance",
    "estimated_performance": "driftpilot_estimated_performance",
    "decay": None,
    "detector": None,
    "kpi": None,
}

#: The built-in rule every monitor gets unless ``alert_on_error: false``: one alert per check
#: that could not evaluate (status ``error``), tier ``warning``.
CHECK_ERROR_RULE = s.AlertRuleSpec.model_validate(
    {"name": "check-error", "when": {"status": "error"}, "tier": "warning", "group_by": ["check"]}
)

_DRIFT_METRICS = frozenset((*TEST_SPECS, "drift"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFacts:
    """What a monitor's checks are validated against: the model's task and column kinds.

    ``kinds`` is ``None`` when the model declares no feature schema and has no baseline yet;
    ``origin`` says where the kinds came from (for messages).
    """

    task: str | None
    kinds: Mapping[str, ColumnType] | None = None
    origin: str = "the model's feature schema"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckType:
    """One check type of the registry (module docstring)."""

    name: str
    spec: type[Any]
    kind: str
    reads: Reads
    run: Callable[[], Runner]
    metrics: Callable[[Any], frozenset[str]]
    validate: Callable[[Any, ModelFacts], list[str]] | None = None


def _features(check: Any, facts: ModelFacts) -> list[str]:
    """Problems with the features a check names (they must be columns of the model)."""
    if facts.kinds is None or check.features == "all":
        return []
    missing = [f for f in check.features if f not in facts.kinds]
    return [f"'features' names {missing}, not columns of the model ({facts.origin})"] * bool(
        missing
    )


def _fits(test: str, kind: ColumnType) -> bool:
    return kind in TEST_SPECS[test].kinds


def _drift_problems(check: s.FeatureDriftCheck, facts: ModelFacts) -> list[str]:
    problems = _features(check, facts)
    if facts.kinds is None:
        return problems
    kinds = facts.kinds
    tests = check.tests or {}
    for column, test in tests.items():
        if column not in kinds:
            problems.append(f"'tests' names {column!r}, not a column of the model")
        elif not _fits(test, kinds[column]):
            problems.append(f"'tests': {test!r} cannot test {column!r}, which is "
                            f"{kinds[column].value} ({facts.origin})")  # fmt: skip
    if check.test is not None:
        names = list(kinds) if check.features == "all" else list(check.features)
        misfit = [
            f"{n} ({kinds[n].value})" for n in names
            if n in kinds and n not in tests and not _fits(check.test, kinds[n])
            and not (kinds[n] is ColumnType.DATETIME and check.features == "all")
        ]  # fmt: skip
        if misfit:
            problems.append(
                f"'test': {check.test!r} cannot test {', '.join(misfit)} ({facts.origin}); "
                "name those columns' tests in 'tests', or list only the features it fits"
            )
    return problems


def _output_kind(facts: ModelFacts) -> ColumnType | None:
    if facts.task is None:
        return None
    return ColumnType.NUMERIC if facts.task == "regression" else ColumnType.CATEGORICAL


def _output_problems(check: Any, facts: ModelFacts) -> list[str]:
    kind = _output_kind(facts)
    if check.test is None or kind is None or _fits(check.test, kind):
        return []
    return [f"'test': {check.test!r} cannot test the {facts.task} model's "
            f"{'predictions' if check.type == 'prediction_drift' else 'labels'}, which are "
            f"{kind.value}"]  # fmt: skip


def _task_metrics(metrics: Iterable[str], facts: ModelFacts, field: str) -> list[str]:
    if facts.task is None:
        return []
    wrong = sorted(set(metrics) - s.TASK_METRICS[facts.task])
    if not wrong:
        return []
    return [f"'{field}': {wrong} are not metrics of a {facts.task} model; choose from "
            f"{sorted(s.TASK_METRICS[facts.task])}"]  # fmt: skip


def _only(task: str, what: str) -> Callable[[Any, ModelFacts], list[str]]:
    def problems(check: Any, facts: ModelFacts) -> list[str]:
        if facts.task is None or facts.task == task:
            return []
        return [f"{what} is for {task} models; this model is {facts.task}"]

    return problems


def _classifiers(check: Any, facts: ModelFacts) -> list[str]:
    if facts.task == "regression":
        return ["the confidence check reads class scores; this model is a regression"]
    return []


def _out_of_range(check: s.OutOfRangeCheck, facts: ModelFacts) -> list[str]:
    problems = _features(check, facts)
    if facts.kinds is not None:
        for feature in check.bounds:
            kind = facts.kinds.get(feature)
            if kind is None:
                problems.append(f"'bounds' names {feature!r}, not a column of the model")
            elif kind is not ColumnType.NUMERIC:
                problems.append(f"'bounds' of {feature!r}: the column is {kind.value}, not "
                                "numeric")  # fmt: skip
    return problems


def _detector_problems(check: s.DetectorCheck, facts: ModelFacts) -> list[str]:
    if DETECTORS[check.method].binary and facts.task == "regression":
        return [f"{check.method} is fed 0/1 errors; a regression's errors are absolute "
                "differences: choose adwin, page_hinkley or kswin"]  # fmt: skip
    return []


def _runner(module: str, name: str) -> Callable[[], Runner]:
    """Import the runner when first used (the runners import this module's spec models)."""

    def get() -> Runner:
        function: Runner = getattr(importlib.import_module(module), name)
        return function

    return get


def _fixed(*metrics: str) -> Callable[[Any], frozenset[str]]:
    found = frozenset(metrics)
    return lambda check: found


_DRIFT = "driftpilot.monitor._drift"
_PERF = "driftpilot.monitor._performance"
_QUALITY = "driftpilot.monitor._quality"

CHECK_TYPES: dict[str, CheckType] = {
    c.name: c
    for c in (
        CheckType(name="feature_drift", spec=s.FeatureDriftCheck, kind="drift",
                  reads="profile", run=_runner(_DRIFT, "drift_results"),
                  metrics=lambda c: _DRIFT_METRICS, validate=_drift_problems),
        CheckType(name="prediction_drift", spec=s.PredictionDriftCheck, kind="drift",
                  reads="profile", run=_runner(_DRIFT, "drift_results"),
                  metrics=lambda c: _DRIFT_METRICS, validate=_output_problems),
        CheckType(name="target_drift", spec=s.TargetDriftCheck, kind="drift",
                  reads="profile", run=_runner(_DRIFT, "drift_results"),
                  metrics=lambda c: _DRIFT_METRICS, validate=_output_problems),
        CheckType(name="missing_values", spec=s.MissingValuesCheck, kind="quality",
                  reads="profile", run=_runner(_QUALITY, "quality_results"),
                  metrics=_fixed("missing_rate", "missing_values"), validate=_features),
        CheckType(name="out_of_range", spec=s.OutOfRangeCheck, kind="quality",
                  reads="profile", run=_runner(_QUALITY, "quality_results"),
                  metrics=_fixed("out_of_range"), validate=_out_of_range),
        CheckType(name="unseen_categories", spec=s.UnseenCategoriesCheck, kind="quality",
                  reads="profile", run=_runner(_QUALITY, "quality_results"),
                  metrics=_fixed("unseen_categories"), validate=_features),
        CheckType(name="type_violations", spec=s.TypeViolationsCheck, kind="quality",
                  reads="profile", run=_runner(_QUALITY, "quality_results"),
                  metrics=_fixed("type_violations")),
        CheckType(name="volume", spec=s.VolumeCheck, kind="quality", reads="profile",
                  run=_runner(_QUALITY, "quality_results"), metrics=_fixed("volume")),
        CheckType(name="freshness", spec=s.FreshnessCheck, kind="quality", reads="profile",
                  run=_runner(_QUALITY, "quality_results"),
                  metrics=_fixed("event_age_seconds")),
        CheckType(name="performance", spec=s.PerformanceCheck, kind="performance",
                  reads="events", run=_runner(_PERF, "performance_results"),
                  metrics=lambda c: frozenset(c.metrics),
                  validate=lambda c, f: _task_metrics(c.metrics, f, "metrics")),
        CheckType(name="estimated_performance", spec=s.EstimatedPerformanceCheck,
                  kind="estimated_performance", reads="events",
                  run=_runner(_PERF, "estimated_results"),
                  metrics=lambda c: frozenset(c.metrics),
                  validate=_only("binary", "estimated performance")),
        CheckType(name="performance_decay", spec=s.PerformanceDecayCheck, kind="decay",
                  reads="events", run=_runner(_PERF, "decay_results"),
                  metrics=lambda c: frozenset((f"{c.metric}_drop",)),
                  validate=lambda c, f: _task_metrics([c.metric], f, "metric")),
        CheckType(name="detector", spec=s.DetectorCheck, kind="detector", reads="events",
                  run=_runner("driftpilot.monitor._detector", "detector_results"),
                  metrics=lambda c: frozenset((c.method,)), validate=_detector_problems),
        CheckType(name="confidence", spec=s.ConfidenceCheck, kind="quality", reads="events",
                  run=_runner(_PERF, "confidence_results"),
                  metrics=_fixed("share_confident"), validate=_classifiers),
        CheckType(name="kpi", spec=s.KpiCheck, kind="kpi", reads="features",
                  run=_runner(_QUALITY, "kpi_results"),
                  metrics=lambda c: frozenset((c.metric,))),
    )
}  # fmt: skip

_SPECS = set(get_args(get_args(s.CheckSpec)[0]))
assert {c.spec for c in CHECK_TYPES.values()} == _SPECS, "a check type has no registry entry"
assert set(CHECK_TYPES) == s._TAGS
assert {c.kind for c in CHECK_TYPES.values()} == set(KIND_FAMILIES)


def check_type(check: Any) -> CheckType:
    """Return the registry entry of a check spec."""
    return CHECK_TYPES[check.type]


def load_function(spec: str) -> Callable[..., Any]:
    """Import ``module:function`` and return it; raise ``DriftpilotError`` naming the problem."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, attribute)
    except (ImportError, AttributeError) as err:
        raise DriftpilotError(f"cannot import KPI function {spec!r}: {err}") from err
    if not callable(function):
        raise DriftpilotError(f"the KPI function {spec!r} is not callable")
    return function  # type: ignore[no-any-return]


def check_judgeable(checks: Iterable[Any], reference: s.ReferenceSpec) -> None:
    """Raise ``ValueError`` if a label check would compute values it has nothing to judge by.

    A metric is judged against its fixed threshold, else a band calibrated on the reference's
    raw events (metrics ``thresholds`` leaves out are calibrated), which a baseline reference
    does not have; the label-free estimate is fitted on those events too.
    """
    for check in checks:
        name = s.check_name(check)
        if isinstance(check, s.EstimatedPerformanceCheck) and reference.kind == "baseline":
            raise ValueError(f"check {name!r}: the label-free estimate is fitted on the "
                             "reference's labelled events; give a time-range or trailing "
                             "reference")  # fmt: skip
        if isinstance(check, s.PerformanceCheck | s.EstimatedPerformanceCheck):
            fixed = set(check.thresholds or {})
            loose = [m for m in check.metrics if m not in fixed]
            if loose and reference.kind == "baseline":
                raise ValueError(f"check {name!r}: {loose} have no threshold; give "
                                 "'thresholds', or a time-range or trailing reference to "
                                 "calibrate them on")  # fmt: skip


def check_conditions(
    checks_: Iterable[Any], rules: Iterable[s.AlertRuleSpec], *, alert_on_error: bool
) -> None:
    """Raise ``ValueError`` if an alert rule names a check, kind or metric no check produces.

    A condition that can never match would never fire: a typo there is as silent as a typo in
    a check, so it fails when the definition is loaded.
    """
    checks = {s.check_name(c): c for c in checks_}
    rules = list(rules)
    if alert_on_error and any(r.name == CHECK_ERROR_RULE.name for r in rules):
        raise ValueError(f"the alert rule name {CHECK_ERROR_RULE.name!r} is the built-in rule "
                         "for checks that cannot evaluate; rename yours, or give "
                         "'alert_on_error: false'")  # fmt: skip
    for rule in rules:
        for leaf in rule.when.leaves():
            chosen = list(checks.values())
            if leaf.check is not None:
                if leaf.check not in checks:
                    raise ValueError(f"alert rule {rule.name!r}: no check named {leaf.check!r}; "
                                     f"the checks are {sorted(checks)}")  # fmt: skip
                chosen = [checks[leaf.check]]
            if leaf.kind is not None:
                kinds = sorted({check_type(c).kind for c in chosen})
                if leaf.kind not in kinds:
                    raise ValueError(f"alert rule {rule.name!r}: kind {leaf.kind!r} is not one "
                                     f"these checks produce ({kinds})")  # fmt: skip
                chosen = [c for c in chosen if check_type(c).kind == leaf.kind]
            if leaf.metric is not None:
                metrics: set[str] = set()
                for c in chosen:
                    metrics |= check_type(c).metrics(c)
                if leaf.metric not in metrics:
                    raise ValueError(f"alert rule {rule.name!r}: metric {leaf.metric!r} is not "
                                     f"one these checks produce ({sorted(metrics)})")  # fmt: skip


def validate_monitor(
    spec: s.MonitorSpec, facts: ModelFacts | None = None, *, where: str | None = None
) -> None:
    """Check what needs more than the definition: KPI imports, and ``facts`` if known.

    ``where`` (a file name) starts the message.

    Raises
    ------
    MonitorDefinitionError
        Naming the monitor, the check (index and name), the field and the problem.
    """
    for i, check in enumerate(spec.checks):
        problems: list[str] = []
        if isinstance(check, s.KpiCheck):
            try:
                load_function(check.function)
            except DriftpilotError as err:
                problems.append(f"'function': {err}")
        entry = check_type(check)
        if facts is not None and entry.validate is not None:
            problems += entry.validate(check, facts)
        if problems:
            at = f"{where}: " if where else ""
            raise MonitorDefinitionError(
                f"{at}Monitor {spec.name!r}, check {i} ({s.check_name(check)}): {problems[0]}."
            )
