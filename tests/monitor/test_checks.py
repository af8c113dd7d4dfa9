"""The check-type registry and load-time validation (``driftpilot.monitor.checks``).

Issue 11 §1: a typo in a check (a test name, a detector parameter, a metric, a KPI function,
an alert condition) used to pass validation and give every window "value None, not flagged";
each is now refused when the definition is loaded, naming the field.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import pytest

from driftpilot._columns import ColumnType
from driftpilot.monitor import MonitorDefinitionError, load_monitors, parse_monitors
from driftpilot.monitor import spec as spec_module
from driftpilot.monitor.checks import (
    CHECK_ERROR_RULE,
    CHECK_TYPES,
    KIND_FAMILIES,
    ModelFacts,
    validate_monitor,
)


def _monitor(checks: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"name": "m", "model": "loans", "reference": {"trailing": "7d"}, "checks": checks,
            **fields}  # fmt: skip


def _refused(checks: list[dict[str, Any]], **fields: Any) -> str:
    with pytest.raises(MonitorDefinitionError) as err:
        parse_monitors(_monitor(checks, **fields))
    return str(err.value)


def test_an_unknown_drift_test_is_refused_naming_the_field() -> None:
    message = _refused([{"type": "feature_drift", "test": "kss"}])
    assert "checks.0.test" in message
    assert "unknown drift test 'kss'" in message
    assert "'ks'" in message  # the choices are listed


@pytest.mark.parametrize("kind", ["prediction_drift", "target_drift"])
def test_an_unknown_test_of_an_output_drift_check_is_refused(kind: str) -> None:
    assert "unknown drift test 'chi3'" in _refused([{"type": kind, "test": "chi3"}])


def test_an_unknown_test_in_tests_is_refused() -> None:
    message = _refused([{"type": "feature_drift", "tests": {"age": "ks", "region": "jsd"}}])
    assert "unknown drift test 'jsd'" in message


def test_a_test_profiles_cannot_compute_needs_exact_mode() -> None:
    assert "mode: exact" in _refused([{"type": "feature_drift", "test": "anderson"}])
    parse_monitors(_monitor([{"type": "feature_drift", "test": "anderson", "mode": "exact"}]))


def test_a_misspelt_detector_parameter_is_refused_naming_the_accepted_ones() -> None:
    message = _refused([{"type": "detector", "params": {"dleta": 0.1}}])
    assert "adwin has no parameter 'dleta'" in message
    assert "'delta'" in message


def test_an_out_of_range_detector_parameter_is_refused() -> None:
    message = _refused([{"type": "detector", "method": "adwin", "params": {"delta": 1.5}}])
    assert "bad adwin params" in message
    assert "delta" in message
    parse_monitors(_monitor([{"type": "detector", "method": "page_hinkley",
                              "params": {"threshold": 20.0}}]))  # fmt: skip


def test_an_unknown_decay_metric_is_refused() -> None:
    assert "unknown metric 'acuracy'" in _refused(
        [{"type": "performance_decay", "metric": "acuracy"}]
    )


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ({"type": "performance", "thresholds": {"accuracy": {"min": 0.9, "max": 0.8}}},
         "must not exceed 'max'"),
        ({"type": "performance", "metrics": ["accuracy"], "thresholds": {"f1": {"min": 0.5}}},
         "names metrics ['f1']"),
        ({"type": "kpi", "function": "traffic_fixtures:mean_income", "min": 5, "max": 1},
         "must not exceed 'max'"),
        ({"type": "out_of_range", "bounds": {"age": [90, 18]}}, "reversed"),
        ({"type": "feature_drift", "threshold": 0}, "greater than 0"),
        ({"type": "feature_drift", "threshold": float("inf")}, "finite"),
    ],
)  # fmt: skip
def test_thresholds_out_of_range_are_refused(check: dict[str, Any], expected: str) -> None:
    assert expected in _refused([check])


def test_an_alert_condition_naming_no_check_is_refused() -> None:
    message = _refused(
        [{"type": "feature_drift"}],
        alerts=[{"name": "drift", "when": {"check": "feature_drfit"}}],
    )
    assert "no check named 'feature_drfit'" in message
    assert "field 'alerts'" in message


def test_an_alert_condition_naming_a_metric_no_check_produces_is_refused() -> None:
    message = _refused(
        [{"type": "performance", "metrics": ["accuracy"]}],
        alerts=[{"name": "f1", "when": {"check": "performance", "metric": "f1", "op": "<",
                                       "value": 0.5}}],
    )  # fmt: skip
    assert "metric 'f1' is not one these checks produce" in message
    kind = _refused([{"type": "feature_drift"}], alerts=[{"name": "x", "when": {"kind": "drfit"}}])
    assert "kind 'drfit' is not one these checks produce (['drift'])" in kind


def test_the_builtin_rule_name_is_reserved_unless_turned_off() -> None:
    rule = {"name": "check-error", "when": {"status": "error"}}
    assert "built-in rule" in _refused([{"type": "volume"}], alerts=[rule])
    (spec,) = parse_monitors(_monitor([{"type": "volume"}], alerts=[rule], alert_on_error=False))
    assert [r.name for r in spec.rules] == ["check-error"]


def test_every_monitor_gets_the_builtin_error_rule_unless_turned_off() -> None:
    (spec,) = parse_monitors(_monitor([{"type": "volume"}]))
    assert spec.rules == [CHECK_ERROR_RULE]
    assert CHECK_ERROR_RULE.tier == "warning"
    (off,) = parse_monitors(_monitor([{"type": "volume"}], alert_on_error=False))
    assert off.rules == []


def test_a_kpi_function_that_does_not_import_fails_when_the_file_is_loaded() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - type: kpi\n    function: no_such_module:kpi\n"
    with pytest.raises(MonitorDefinitionError, match="cannot import KPI function") as err:
        load_monitors("kpis.yaml", text=text)
    assert str(err.value).startswith("kpis.yaml: Monitor 'a', check 0 (kpi)")
    text = "name: a\nmodel: m\nchecks:\n  - type: kpi\n    function: traffic_fixtures:CHUNK\n"
    with pytest.raises(MonitorDefinitionError, match="not callable"):
        load_monitors("kpis.yaml", text=text)
    ok = "name: a\nmodel: m\nchecks:\n  - type: kpi\n    function: traffic_fixtures:mean_income\n"
    assert load_monitors("kpis.yaml", text=ok)[0].checks[0].type == "kpi"


_KINDS = {"age": ColumnType.NUMERIC, "income": ColumnType.NUMERIC,
          "region": ColumnType.CATEGORICAL, "seen": ColumnType.DATETIME}  # fmt: skip
_FACTS = ModelFacts(task="binary", kinds=_KINDS, origin="baseline 'v1'")


def _against(checks: list[dict[str, Any]], facts: ModelFacts = _FACTS) -> str | None:
    (spec,) = parse_monitors(_monitor(checks))
    try:
        validate_monitor(spec, facts)
    except MonitorDefinitionError as err:
        return str(err)
    return None


def test_ks_on_a_categorical_column_is_refused_when_the_kinds_are_known() -> None:
    message = _against([{"type": "feature_drift", "test": "ks"}])
    assert message is not None
    assert "'ks' cannot test region (categorical) (baseline 'v1')" in message
    assert "seen" not in message  # datetime columns are not tested unless named
    assert (
        _against([{"type": "feature_drift", "test": "ks", "features": ["age", "income"]}]) is None
    )
    assert _against([{"type": "feature_drift", "test": "ks",
                      "tests": {"region": "chi2"}}]) is None  # fmt: skip
    named = _against([{"type": "feature_drift", "tests": {"region": "ks"}}])
    assert named is not None
    assert "'ks' cannot test 'region', which is categorical" in named


def test_features_the_model_does_not_have_are_refused() -> None:
    message = _against([{"type": "missing_values", "features": ["age", "incme"]}])
    assert message is not None
    assert "['incme'], not columns of the model" in message
    assert _against([{"type": "out_of_range", "bounds": {"region": [0, 1]}}]) is not None


def test_metrics_must_fit_the_task() -> None:
    message = _against([{"type": "performance", "metrics": ["accuracy", "rmse"]}])
    assert message is not None
    assert "['rmse'] are not metrics of a binary model" in message
    regression = ModelFacts(task="regression")
    assert _against([{"type": "performance", "metrics": ["rmse"]}], regression) is None
    assert "for binary models" in (_against([{"type": "estimated_performance"}], regression) or "")
    assert "regression" in (_against([{"type": "confidence"}], regression) or "")
    assert _against([{"type": "prediction_drift", "test": "ks"}]) is not None  # classes
    assert _against([{"type": "prediction_drift", "test": "ks"}], regression) is None


def test_without_kinds_only_what_is_known_is_checked() -> None:
    assert _against([{"type": "feature_drift", "test": "ks"}], ModelFacts(task="binary")) is None


def test_the_registry_knows_every_check_type_of_the_spec() -> None:
    models = set(get_args(get_args(spec_module.CheckSpec)[0]))
    assert {c.spec for c in CHECK_TYPES.values()} == models
    for name, entry in CHECK_TYPES.items():
        assert entry.spec.model_fields["type"].annotation == Literal[name]
        assert entry.kind in KIND_FAMILIES
        assert callable(entry.run())


def test_a_label_check_with_nothing_to_judge_by_is_refused() -> None:
    """Before, such a check reported values with "no threshold" and never flagged a window."""
    baseline = {"baseline": "latest"}
    assert "['accuracy'] have no threshold" in _refused(
        [{"type": "performance"}], reference=baseline
    )
    assert "fitted on the reference's labelled events" in _refused(
        [{"type": "estimated_performance", "thresholds": {"accuracy": {"min": 0.8},
                                                          "roc_auc": {"min": 0.7}}}],
        reference=baseline,
    )  # fmt: skip
    partial = {"type": "performance", "metrics": ["accuracy", "f1"],
               "thresholds": {"accuracy": {"min": 0.8}}}  # fmt: skip
    assert "['f1'] have no threshold" in _refused([partial], reference=baseline)
    parse_monitors(_monitor([partial]))  # f1 is calibrated on the trailing reference
    parse_monitors(_monitor([{"type": "performance", "thresholds": {"accuracy": {"min": 0.8}}}],
                            reference=baseline))  # fmt: skip
    parse_monitors(_monitor([{"type": "performance"}, {"type": "estimated_performance"}]))
