"""Monitor definitions: what a YAML file (or an API body) says a monitor is.

A file describes one model's monitors::

    model: loan-default
    monitors:
      - name: loans-hourly
        reference: {baseline: latest}        # or {start: ..., end: ...} or {trailing: 7d}
        window: {size: 1h, every: 1h}        # tumbling; every < size slides
        schedule: {interval: 5m}             # or {cron: "5 * * * *"}
        segments: [region]
        checks:
          - type: feature_drift
          - type: missing_values
            tolerance: 0.02

A file may also hold a single monitor at its top level (``name`` and ``model`` beside
``checks``). Every mapping forbids unknown keys, so a typo fails naming file, line and field.
Durations are ``90s``, ``15m``, ``1h``, ``7d`` or ``2w``; times are ISO 8601 (UTC unless they
say). Windows lie on a grid of ``every`` counted from the Unix epoch, so a window is the same
on every replica and every run; ``size`` and ``every`` must be whole multiples of the
service's bucket length (checked when the monitor is loaded by the service).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pydantic
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from driftpilot.drift import TEST_SPECS
from driftpilot.errors import MonitorDefinitionError
from driftpilot.monitor._durations import parse_duration, parse_time
from driftpilot.monitor._yaml import Lines, load_yaml
from driftpilot.monitor.detector_methods import DETECTORS, detector_method

__all__ = [
    "AlertRuleSpec",
    "CheckSpec",
    "Condition",
    "MonitorDefinitionError",
    "MonitorSpec",
    "ReferenceSpec",
    "SLOSpec",
    "ScheduleSpec",
    "WindowSpec",
    "load_monitors",
    "parse_monitors",
]

Duration = Annotated[int, pydantic.BeforeValidator(parse_duration)]
Time = Annotated[int, pydantic.BeforeValidator(parse_time)]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_test(test: str | None) -> str | None:
    """Refuse a drift test name the drift core does not know (a typo, say)."""
    if test is not None and test not in TEST_SPECS:
        raise ValueError(f"unknown drift test {test!r}; choose from {sorted(TEST_SPECS)}")
    return test


def _finite(value: float | None, name: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"'{name}' must be a finite number, got {value!r}")


class Bound(_Strict):
    """Fixed limits of a value: flagged below ``min`` or above ``max``."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bound:
        _finite(self.min, "min")
        _finite(self.max, "max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) must not exceed 'max' ({self.max})")
        return self


class ReferenceSpec(_Strict):
    """What the window is compared with: a baseline, a fixed range, or a trailing window."""

    baseline: str | None = None
    start: Time | None = None
    end: Time | None = None
    trailing: Duration | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ReferenceSpec:
        kinds = [self.baseline is not None, self.start is not None or self.end is not None,
                 self.trailing is not None]  # fmt: skip
        if sum(kinds) != 1:
            raise ValueError(
                "give exactly one of 'baseline' (a version or 'latest'), 'start' and 'end', "
                "or 'trailing'"
            )
        if kinds[1] and (self.start is None or self.end is None or self.start >= self.end):
            raise ValueError("a reference range needs 'start' before 'end'")
        return self

    @property
    def kind(self) -> Literal["baseline", "range", "trailing"]:
        """Which of the three kinds this reference is."""
        if self.baseline is not None:
            return "baseline"
        return "range" if self.start is not None else "trailing"


class WindowSpec(_Strict):
    """The monitored window: ``size`` long, one every ``every``, evaluated ``delay`` after."""

    size: Duration = 3600
    every: Duration | None = None
    delay: Annotated[int, pydantic.BeforeValidator(lambda v: 0 if v in (0, "0") else
                                                    parse_duration(v))] = 0  # fmt: skip

    @field_validator("every")
    @classmethod
    def _no_gaps(cls, every: int | None, info: pydantic.ValidationInfo) -> int | None:
        size = info.data.get("size")
        if every is not None and size is not None and every > size:
            raise ValueError(f"'every' ({every} s) must not exceed 'size' ({size} s): windows "
                             "would leave gaps")  # fmt: skip
        return every

    @property
    def step(self) -> int:
        """Seconds between window starts (``size`` for tumbling windows)."""
        return self.every if self.every is not None else self.size


class ScheduleSpec(_Strict):
    """When the service looks for windows to evaluate: an interval or a cron expression."""

    interval: Duration | None = None
    cron: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleSpec:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of 'interval' and 'cron'")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"{self.cron!r} is not a valid cron expression")
        return self


Features = Literal["all"] | list[str]


class _Check(_Strict):
    name: str | None = None
    severity: Literal["warning", "critical"] = "warning"


class _Tested(_Check):
    """A drift check: its test names must be known, its threshold a positive distance."""

    test: str | None = None
    threshold: float | None = Field(None, gt=0)
    min_events: int = Field(300, ge=1)
    alpha: float = Field(0.05, gt=0, lt=1)

    @field_validator("test")
    @classmethod
    def _test(cls, value: str | None) -> str | None:
        return _known_test(value)

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float | None) -> float | None:
        _finite(value, "threshold")
        return value


class FeatureDriftCheck(_Tested):
    """Drift of features (all or named) with the drift core; ``exact`` reads raw events.

    The test is PSI unless ``test``/``tests`` name others; windows (and segments) with fewer
    than ``min_events`` events are reported but not judged (status ``no_data``). In profile
    mode a test on raw values must be one the profiles' sketches can compute (``ks``,
    ``wasserstein``, ``wasserstein_norm``) or a test on counts; others need ``mode: exact``.
    """

    type: Literal["feature_drift"]
    features: Features = "all"
    tests: dict[str, str] | None = None
    correction: Literal["fdr_bh", "holm", "bonferroni", "none"] = "fdr_bh"
    mode: Literal["profile", "exact"] = "profile"

    @field_validator("tests")
    @classmethod
    def _tests(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for test in (value or {}).values():
            _known_test(test)
        return value

    @model_validator(mode="after")
    def _sketchable(self) -> FeatureDriftCheck:
        if self.mode == "profile":
            named = [self.test, *(self.tests or {}).values()]
            for test in (t for t in named if t is not None):
                spec = TEST_SPECS[test]
                if spec.inputs == "samples" and not spec.from_sketch:
                    raise ValueError(f"the test {test!r} needs the raw values: give 'mode: "
                                     "exact', or a test profiles can compute")  # fmt: skip
        return self


class PredictionDriftCheck(_Tested):
    """Drift of the predicted classes or values, and of the scores."""

    type: Literal["prediction_drift"]
    scores: bool = True


class TargetDriftCheck(_Tested):
    """Drift of the labels that have arrived."""

    type: Literal["target_drift"]


class MissingValuesCheck(_Check):
    """Missing-value rate per feature above the reference's rate plus ``tolerance``."""

    type: Literal["missing_values"]
    features: Features = "all"
    tolerance: float = Field(0.05, ge=0, le=1)
    max_rate: float | None = Field(None, ge=0, le=1)


class OutOfRangeCheck(_Check):
    """Share of numeric values outside the reference's range or declared ``bounds``."""

    type: Literal["out_of_range"]
    features: Features = "all"
    bounds: dict[str, tuple[float | None, float | None]] = {}
    max_share: float = Field(0.01, ge=0, le=1)

    @field_validator("bounds")
    @classmethod
    def _ordered(
        cls, bounds: dict[str, tuple[float | None, float | None]]
    ) -> dict[str, tuple[float | None, float | None]]:
        for feature, (low, high) in bounds.items():
            if low is not None and high is not None and low > high:
                raise ValueError(f"the bounds of {feature!r} are reversed: {low} > {high}")
        return bounds


class UnseenCategoriesCheck(_Check):
    """Share of categorical values never seen in the reference."""

    type: Literal["unseen_categories"]
    features: Features = "all"
    max_share: float = Field(0.05, ge=0, le=1)


class TypeViolationsCheck(_Check):
    """Share of events the service flagged with schema or type violations at ingest."""

    type: Literal["type_violations"]
    max_share: float = Field(0.01, ge=0, le=1)


class VolumeCheck(_Check):
    """Events in the window against the mean and spread of the ``history`` windows before."""

    type: Literal["volume"]
    history: int = Field(24, ge=2)
    k: float = Field(3.0, gt=0)


class FreshnessCheck(_Check):
    """No event for ``max_age`` before the window's end."""

    type: Literal["freshness"]
    max_age: Duration = 3600


_BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier",
           "ece")  # fmt: skip
_MULTICLASS = ("accuracy", "precision_macro", "recall_macro", "f1_macro",
               "precision_weighted", "recall_weighted", "f1_weighted", "roc_auc", "pr_auc",
               "log_loss", "brier", "ece")  # fmt: skip
_REGRESSION = ("mae", "rmse", "mape", "r2")
PERFORMANCE_METRICS = frozenset((*_BINARY, *_MULTICLASS, *_REGRESSION, "label_coverage"))
ESTIMATED_METRICS = frozenset(("accuracy", "precision", "recall", "f1", "roc_auc"))
#: Metrics where a higher value is better (the others: lower is better).
HIGHER_IS_BETTER = frozenset(("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc",
    "precision_macro", "recall_macro", "f1_macro", "precision_weighted", "recall_weighted",
    "f1_weighted", "r2", "label_coverage"))  # fmt: skip


class _Scored(_Check):
    positive: str | int | bool = 1
    score: str | None = None
    decision_threshold: float = Field(0.5, ge=0, le=1)
    thresholds: dict[str, Bound] | None = None
    k: float = Field(3.0, gt=0)
    min_labels: int = Field(30, ge=1)


#: The realized metrics of each task (``label_coverage`` is known for every task).
TASK_METRICS: dict[str, frozenset[str]] = {
    "binary": frozenset((*_BINARY, "label_coverage")),
    "multiclass": frozenset((*_MULTICLASS, "label_coverage")),
    "regression": frozenset((*_REGRESSION, "label_coverage")),
}


def _thresholds_named(check: Any) -> None:
    extra = sorted(set(check.thresholds or {}) - set(check.metrics))
    if extra:
        raise ValueError(f"'thresholds' names metrics {extra} that 'metrics' does not list")


class PerformanceCheck(_Scored):
    """Realized performance where labels exist; thresholds fixed or calibrated (mean ± k·std)."""

    type: Literal["performance"]
    metrics: list[str] = ["accuracy"]

    @field_validator("metrics")
    @classmethod
    def _known(cls, metrics: list[str]) -> list[str]:
        unknown = sorted(set(metrics) - PERFORMANCE_METRICS)
        if unknown:
            raise ValueError(
                f"unknown metrics {unknown}; choose from {sorted(PERFORMANCE_METRICS)}"
            )
        return metrics

    @model_validator(mode="after")
    def _named(self) -> PerformanceCheck:
        _thresholds_named(self)
        return self


class EstimatedPerformanceCheck(_Scored):
    """Binary classifiers: performance estimated from scores alone (confidence-based)."""

    type: Literal["estimated_performance"]
    metrics: list[str] = ["accuracy", "roc_auc"]
    confidence: float = Field(0.95, gt=0, lt=1)

    @field_validator("metrics")
    @classmethod
    def _known(cls, metrics: list[str]) -> list[str]:
        unknown = sorted(set(metrics) - ESTIMATED_METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; choose from {sorted(ESTIMATED_METRICS)}")
        return metrics

    @model_validator(mode="after")
    def _named(self) -> EstimatedPerformanceCheck:
        _thresholds_named(self)
        return self


class PerformanceDecayCheck(_Check):
    """A drop of a metric below the baseline's training or validation value."""

    type: Literal["performance_decay"]
    metric: str = "accuracy"
    max_drop: float = Field(0.05, ge=0)
    relative: bool = False
    source: Literal["training", "validation"] = "validation"
    expected: float | None = None
    positive: str | int | bool = 1
    score: str | None = None
    decision_threshold: float = Field(0.5, ge=0, le=1)
    min_labels: int = Field(30, ge=1)

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str) -> str:
        if metric not in PERFORMANCE_METRICS - {"label_coverage"}:
            choices = sorted(PERFORMANCE_METRICS - {"label_coverage"})
            raise ValueError(f"unknown metric {metric!r}; choose from {choices}")
        return metric


class DetectorCheck(_Check):
    """A streaming concept-drift detector over the window's per-event errors or scores.

    ``method`` is a key of :data:`driftpilot.monitor.detector_methods.DETECTORS`; ``params``
    are checked against that detector's signature and built once when the definition is
    loaded, so a misspelt or out-of-range parameter fails then. A detector of 0/1 values
    (DDM, EDDM) watches the error stream only.
    """

    type: Literal["detector"]
    method: Annotated[str, Field(json_schema_extra={"enum": sorted(DETECTORS)})] = "adwin"
    stream: Literal["error", "score"] = "error"
    params: dict[str, Any] = {}
    positive: str | int | bool = 1
    score: str | None = None
    decision_threshold: float = Field(0.5, ge=0, le=1)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        return detector_method(value).name

    @field_validator("params")
    @classmethod
    def _params(cls, params: dict[str, Any], info: pydantic.ValidationInfo) -> dict[str, Any]:
        if "method" in info.data:  # else the method failed validation already
            DETECTORS[info.data["method"]].build(params)
        return params

    @model_validator(mode="after")
    def _stream(self) -> DetectorCheck:
        if DETECTORS[self.method].binary and self.stream == "score":
            raise ValueError(f"{self.method} is fed 0/1 errors; give 'stream: error', or a "
                             "detector of real values (adwin, page_hinkley, kswin) for "
                             "scores")  # fmt: skip
        return self


class ConfidenceCheck(_Check):
    """Share of predictions whose top score is at least ``min_confidence``."""

    type: Literal["confidence"]
    min_confidence: float = Field(0.7, ge=0, le=1)
    min_share: float = Field(0.9, ge=0, le=1)


class KpiCheck(_Check):
    """A business KPI: ``module:function`` given the window's events, returning a number.

    The function gets one frame of the window's events with their labels: a ``pyarrow.Table``
    by default, or a pandas or polars ``DataFrame`` (``frame``); its columns are listed in
    ``driftpilot.monitor._kpi_frame``.
    """

    type: Literal["kpi"]
    function: str
    frame: Literal["pyarrow", "pandas", "polars"] = "pyarrow"
    metric: str = "kpi"
    min: float | None = None
    max: float | None = None

    @field_validator("frame")
    @classmethod
    def _importable(cls, kind: str) -> str:
        """Refuse a frame whose library does not import (now, not first when a window runs)."""
        if kind != "pyarrow":
            from driftpilot._optional import require
            from driftpilot.errors import MissingDependencyError

            try:
                require(kind, extra=kind, purpose=f"A KPI check with 'frame: {kind}'")
            except MissingDependencyError as err:
                raise ValueError(str(err)) from None
        return kind

    @field_validator("function")
    @classmethod
    def _shape(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise ValueError(f"expected 'module:function', got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> KpiCheck:
        _finite(self.min, "min")
        _finite(self.max, "max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) must not exceed 'max' ({self.max})")
        return self


CheckSpec = Annotated[
    FeatureDriftCheck
    | PredictionDriftCheck
    | TargetDriftCheck
    | MissingValuesCheck
    | OutOfRangeCheck
    | UnseenCategoriesCheck
    | TypeViolationsCheck
    | VolumeCheck
    | FreshnessCheck
    | PerformanceCheck
    | EstimatedPerformanceCheck
    | PerformanceDecayCheck
    | DetectorCheck
    | ConfidenceCheck
    | KpiCheck,
    Field(discriminator="type"),
]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}  # fmt: skip


class SLOSpec(_Strict):
    """A service-level objective over a rolling ``period`` of a check's window values.

    ``kind: windows``: the share of windows whose value meets ``objective`` must be at least
    ``target`` ("accuracy >= 0.95 in 95% of daily windows"). ``kind: mean``: the mean of the
    values (weighted by events with ``weighted``) must meet ``objective`` ("mean PSI < 0.1",
    or "99% of predictions have confidence >= 0.7" as the weighted mean of ``share_confident``
    >= 0.99).
    """

    name: str
    metric: str
    check: str | None = None
    feature: str | None = None
    kind: Literal["windows", "mean"] = "windows"
    objective: str
    target: float = Field(0.95, gt=0, le=1)
    weighted: bool = False
    period: Duration = 30 * 86400
    short_period: Duration = 86400

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: str) -> str:
        match = re.fullmatch(r"\s*(>=|<=|>|<)\s*(-?\d+(\.\d+)?(e-?\d+)?)\s*", value)
        if match is None:
            raise ValueError(f"expected a comparison such as '>= 0.95' or '< 0.1', got {value!r}")
        return f"{match.group(1)} {match.group(2)}"

    def meets(self, value: float) -> bool:
        """Whether ``value`` meets the objective."""
        op, number = self.objective.split()
        return _OPERATORS[op](value, float(number))


class Condition(_Strict):
    """A condition over a report's results: a leaf, or ``all``/``any`` of conditions.

    A leaf matches each result with the given ``check`` (name), ``kind``, ``metric``,
    ``feature``, ``segment``, a ``severity`` at least the one given, and, with ``op`` and
    ``value``, a value so compared; it holds when at least one result matches. Without
    ``severity`` or ``op`` a leaf matches only flagged results. With ``status`` (``error`` or
    ``no_data``) a leaf matches the results of that status instead. The names a leaf gives
    are checked against the monitor's checks when the definition is loaded.
    """

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    check: str | None = None
    kind: str | None = None
    metric: str | None = None
    feature: str | None = None
    segment: str | None = None
    severity: Literal["warning", "critical"] | None = None
    op: Literal["<", "<=", ">", ">=", "==", "!="] | None = None
    value: float | None = None
    status: Literal["error", "no_data"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        combined = self.all is not None or self.any is not None
        fields = ("check", "kind", "metric", "feature", "segment", "severity", "op", "value",
                  "status")  # fmt: skip
        leaf = any(getattr(self, f) is not None for f in fields)
        if combined and leaf:
            raise ValueError("a condition is either 'all'/'any' of conditions or a leaf, not both")
        if self.all is not None and self.any is not None:
            raise ValueError("give one of 'all' and 'any' per condition; nest them to combine")
        if (self.op is None) != (self.value is None):
            raise ValueError("'op' and 'value' go together")
        if not combined and not leaf:
            raise ValueError("an empty condition; name a 'check', 'kind' or 'metric'")
        if self.status is not None and (self.severity is not None or self.op is not None):
            raise ValueError("'status' matches results that were not judged; it does not go "
                             "with 'severity' or 'op'")  # fmt: skip
        _finite(self.value, "value")
        return self

    def leaves(self) -> list[Condition]:
        """Return the leaf conditions, depth first."""
        parts = self.all if self.all is not None else self.any
        if parts is None:
            return [self]
        return [leaf for part in parts for leaf in part.leaves()]


class AlertRuleSpec(_Strict):
    """When a monitor's results raise an alert, how bad it is and how it behaves.

    ``group_by`` splits the findings into one alert per value (``feature``, ``segment``,
    ``check``, ``metric``); by default one alert lists them all (one notification for 12
    drifted features, not 12). ``for``/``clear`` are flap protection: consecutive breaching
    windows before firing, clear windows before resolving.
    """

    name: str
    when: Condition
    tier: Literal["info", "warning", "critical"] = "warning"
    group_by: list[Literal["feature", "segment", "check", "metric"]] = []
    for_windows: int = Field(1, ge=1, alias="for")
    clear_windows: int = Field(1, ge=1, alias="clear")
    renotify: Duration | None = 4 * 3600
    labels: dict[str, str] = {}
    message: str | None = None
    context: list[str] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("message")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            import jinja2

            try:
                jinja2.Environment(autoescape=False).parse(value)
            except jinja2.TemplateSyntaxError as err:
                raise ValueError(f"the message template does not parse: {err.message}") from None
        return value


def _default_checks() -> list[Any]:
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(CheckSpec)
    kinds = ("feature_drift", "prediction_drift", "missing_values", "type_violations")
    return [adapter.validate_python({"type": kind}) for kind in kinds]


class MonitorSpec(_Strict):
    """One monitor of one model."""

    name: str
    model: str
    version: str | None = None
    reference: ReferenceSpec = ReferenceSpec(baseline="latest")
    window: WindowSpec = WindowSpec()
    schedule: ScheduleSpec | None = None
    label_horizon: Duration = 7 * 86400
    segments: list[str] = []
    max_segments: int = Field(20, ge=1)
    checks: list[CheckSpec] = Field(default_factory=_default_checks)
    slos: list[SLOSpec] = []
    alert_on_error: bool = True
    alerts: list[AlertRuleSpec] = []

    @field_validator("name", "model")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                "expected 1-200 letters, digits, '.', '_' or '-' starting with a letter or digit"
            )
        return value

    @field_validator("checks")
    @classmethod
    def _unique_checks(cls, checks: list[Any]) -> list[Any]:
        names = [check_name(c) for c in checks]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"check names must be unique; give 'name' to repeated {repeated}")
        return checks

    @property
    def effective_schedule(self) -> ScheduleSpec:
        """The schedule, defaulting to one look per window step."""
        return self.schedule or ScheduleSpec(interval=self.window.step)

    @field_validator("alerts")
    @classmethod
    def _unique_rules(cls, rules: list[AlertRuleSpec]) -> list[AlertRuleSpec]:
        names = [r.name for r in rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"alert rule names must be unique; repeated {repeated}")
        return rules

    @field_validator("checks")
    @classmethod
    def _judgeable(cls, checks: list[Any], info: pydantic.ValidationInfo) -> list[Any]:
        from driftpilot.monitor.checks import check_judgeable  # the registry reads this module

        if "reference" in info.data:
            check_judgeable(checks, info.data["reference"])
        return checks

    @field_validator("alerts")
    @classmethod
    def _rules_match(
        cls, rules: list[AlertRuleSpec], info: pydantic.ValidationInfo
    ) -> list[AlertRuleSpec]:
        from driftpilot.monitor.checks import check_conditions  # the registry reads this module

        if "checks" in info.data:  # else the checks failed validation already
            check_conditions(info.data["checks"], rules,
                             alert_on_error=info.data.get("alert_on_error", True))  # fmt: skip
        return rules

    @property
    def rules(self) -> list[AlertRuleSpec]:
        """The alert rules stepped on each report: the monitor's, then the built-in ones."""
        from driftpilot.monitor.checks import CHECK_ERROR_RULE

        return [*self.alerts, CHECK_ERROR_RULE] if self.alert_on_error else list(self.alerts)

    @field_validator("alerts")
    @classmethod
    def _context_checks(
        cls, rules: list[AlertRuleSpec], info: pydantic.ValidationInfo
    ) -> list[AlertRuleSpec]:
        if "checks" not in info.data:  # the checks failed to validate: that error is reported
            return rules
        names = [check_name(c) for c in info.data["checks"]]
        for rule in rules:
            unknown = [n for n in rule.context if n not in names]
            if unknown:
                raise ValueError(
                    f"alert rule {rule.name!r}: 'context' names {unknown[0]!r}, which is not a "
                    f"check of this monitor (its checks: {', '.join(names) or 'none'})"
                )
        return rules

    def to_dict(self) -> dict[str, Any]:
        """Return the definition as JSON-ready data (durations in seconds, times in µs)."""
        return self.model_dump(mode="json", by_alias=True)


def check_name(check: Any) -> str:
    """Return a check's name: its ``name`` or its ``type``."""
    return str(check.name or check.type)


def parse_monitors(data: object, *, where: str = "the monitor definition",
                   lines: Lines | None = None) -> list[MonitorSpec]:  # fmt: skip
    """Validate parsed YAML/JSON data: a file with ``monitors:`` or a single monitor."""
    if isinstance(data, Mapping) and "monitors" in data:
        extra = sorted(set(data) - {"model", "monitors"})
        if extra:
            raise _error(where, lines, (extra[0],), "not a field; a file with 'monitors' holds "
                         "only 'model' and 'monitors'")  # fmt: skip
        items = data["monitors"]
        if not isinstance(items, list) or not items:
            raise _error(where, lines, ("monitors",), "expected a non-empty list of monitors")
        model = data.get("model")
        if model is not None and (not isinstance(model, str) or not _NAME.fullmatch(model)):
            raise _error(where, lines, ("model",), "expected 1-200 letters, digits, '.', '_' or "
                         "'-' starting with a letter or digit")  # fmt: skip
        specs = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and model is not None:
                item = {"model": model, **item}
            specs.append(_validate(item, where, lines, ("monitors", i)))
    else:
        specs = [_validate(data, where, lines, ())]
    names = [s.name for s in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _error(where, lines, ("monitors", i, "name"), f"monitor {name!r} is repeated")
    return specs


def load_monitors(source: str | Path, *, text: str | None = None) -> list[MonitorSpec]:
    """Read and validate one YAML (or JSON) monitor file (KPI functions must import)."""
    path = Path(source)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise MonitorDefinitionError(
                f"Cannot read monitor file {path}: {err.strerror}."
            ) from err
        except UnicodeDecodeError as err:
            raise MonitorDefinitionError(
                f"Cannot read monitor file {path}: it is not UTF-8 text "
                f"(byte 0x{err.object[err.start]:02x} at offset {err.start})."
            ) from None
    data, lines = load_yaml(text, where=str(path))
    specs = parse_monitors(data, where=str(path), lines=lines)
    from driftpilot.monitor.checks import validate_monitor  # the registry reads this module

    for spec in specs:
        validate_monitor(spec, where=str(path))
    return specs


def _validate(item: object, where: str, lines: Lines | None,
              prefix: tuple[str | int, ...]) -> MonitorSpec:  # fmt: skip
    try:
        return MonitorSpec.model_validate(item)
    except pydantic.ValidationError as err:
        problems = err.errors()
        first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
        path = _data_path(item, tuple(first["loc"]))
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "not a field here (is it misspelt?)"
        message = message.removeprefix("Value error, ")
        raise _error(where, lines, (*prefix, *path), message) from err


def _data_path(data: object, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic location that walk the data (drop union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str) and part not in node:
            if part in _TAGS:
                continue
            path.append(part)
            break
    return tuple(path)


#: The check types, read off the ``type`` literal of each member of ``CheckSpec``.
_TAGS = frozenset(
    tag
    for check in get_args(get_args(CheckSpec)[0])
    for tag in get_args(check.model_fields["type"].annotation)
)


def _error(where: str, lines: Lines | None, path: tuple[str | int, ...],
           message: str) -> MonitorDefinitionError:  # fmt: skip
    line = None
    if lines:
        for cut in range(len(path), -1, -1):
            if path[:cut] in lines:
                line = lines[path[:cut]]
                break
    field = ".".join(str(p) for p in path) or "(top level)"
    at = f"{where}, line {line}" if line is not None else where
    return MonitorDefinitionError(f"{at}, field '{field}': {message}.")
