"""Monitor definitions: valid files, defaults, durations and times, and errors that name file,
line and field (``driftpilot.monitor.spec``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftpilot.errors import InvalidParameterError
from driftpilot.monitor import MonitorDefinitionError, MonitorSpec, load_monitors, parse_monitors
from driftpilot.monitor.spec import (
    FeatureDriftCheck,
    MissingValuesCheck,
    PerformanceCheck,
    PredictionDriftCheck,
    ScheduleSpec,
    TypeViolationsCheck,
)

# 2026-01-01T00:00:00Z: 20454 days after the epoch (56 years of 365 days plus 14 leap days),
# times 86400 s, in microseconds.
JAN_1 = 20_454 * 86_400 * 1_000_000
HOUR_US = 3_600_000_000

FULL = """\
model: loans
monitors:
  - name: loans-hourly
    reference: {start: "2026-01-01T00:00:00Z", end: "2026-01-03T00:00:00Z"}
    window: {size: 6h, every: 1h, delay: 15m}
    schedule: {cron: "5 * * * *"}
    segments: [region]
    checks:
      - type: feature_drift
        features: [age, income]
      - type: missing_values
        tolerance: 0.02
      - type: performance
        metrics: [accuracy, roc_auc]
        thresholds: {accuracy: {min: 0.7}}
    slos:
      - {name: acc, metric: accuracy, objective: ">=0.9", target: 0.9}
  - name: loans-daily
    window: {size: 1d}
"""

SINGLE = """\
name: churn-daily
model: churn
version: "3"
reference: {trailing: 7d}
window: {size: 1d}
checks:
  - type: volume
    history: 7
"""


def _where(err: pytest.ExceptionInfo[BaseException]) -> tuple[str, int | None, str]:
    """Return (file, line, field) named by an error message."""
    match = re.match(r"(?P<file>.+?)(?:, line (?P<line>\d+))?, field '(?P<field>[^']*)': ",
                     str(err.value))  # fmt: skip
    assert match is not None, str(err.value)
    line = match["line"]
    return match["file"], None if line is None else int(line), match["field"]


def _fails(text: str, name: str = "monitors.yaml") -> pytest.ExceptionInfo[MonitorDefinitionError]:
    with pytest.raises(MonitorDefinitionError) as err:
        load_monitors(name, text=text)
    return err


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# -- valid files -------------------------------------------------------------------------------


def test_file_with_model_and_monitors_gives_each_monitor_the_model() -> None:
    first, second = load_monitors("loans.yaml", text=FULL)
    assert (first.name, first.model, second.name, second.model) == (
        "loans-hourly", "loans", "loans-daily", "loans",
    )  # fmt: skip
    assert first.reference.kind == "range"
    assert (first.reference.start, first.reference.end) == (JAN_1, JAN_1 + 48 * HOUR_US)
    assert (first.window.size, first.window.every, first.window.delay) == (21_600, 3_600, 900)
    assert first.window.step == 3_600
    assert first.schedule == ScheduleSpec(cron="5 * * * *")
    assert first.segments == ["region"]
    drift, missing, performance = first.checks
    assert isinstance(drift, FeatureDriftCheck)
    assert drift.features == ["age", "income"]
    assert isinstance(missing, MissingValuesCheck)
    assert missing.tolerance == 0.02
    assert isinstance(performance, PerformanceCheck)
    assert performance.thresholds is not None
    assert performance.thresholds["accuracy"].min == 0.7
    assert first.slos[0].objective == ">= 0.9"  # normalised
    assert first.slos[0].meets(0.9)
    assert not first.slos[0].meets(0.89)


def test_single_monitor_file() -> None:
    (spec,) = load_monitors("churn.yaml", text=SINGLE)
    assert (spec.name, spec.model, spec.version) == ("churn-daily", "churn", "3")
    assert spec.reference.kind == "trailing"
    assert spec.reference.trailing == 7 * 86_400
    assert spec.window.size == 86_400
    assert [c.type for c in spec.checks] == ["volume"]


def test_json_file_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"name": "a", "model": "m", "window": {"size": 7200}}')
    (spec,) = load_monitors(path)
    assert spec.window.size == 7_200


def test_defaults() -> None:
    (spec,) = parse_monitors({"name": "a", "model": "m"})
    assert spec.reference.kind == "baseline"
    assert spec.reference.baseline == "latest"
    assert (spec.window.size, spec.window.every, spec.window.delay) == (3_600, None, 0)
    assert spec.schedule is None
    assert spec.label_horizon == 7 * 86_400
    assert [type(c) for c in spec.checks] == [
        FeatureDriftCheck, PredictionDriftCheck, MissingValuesCheck, TypeViolationsCheck,
    ]  # fmt: skip
    assert spec.slos == []


def test_tumbling_when_every_is_omitted_and_schedule_defaults_to_the_step() -> None:
    (tumbling,) = parse_monitors({"name": "a", "model": "m", "window": {"size": "6h"}})
    assert tumbling.window.step == tumbling.window.size == 21_600
    assert tumbling.effective_schedule == ScheduleSpec(interval=21_600)
    (sliding,) = parse_monitors(
        {"name": "a", "model": "m", "window": {"size": "6h", "every": "2h"}}
    )
    assert sliding.window.step == 7_200
    assert sliding.effective_schedule == ScheduleSpec(interval=7_200)
    (scheduled,) = parse_monitors(
        {"name": "a", "model": "m", "window": {"size": "6h"}, "schedule": {"interval": "5m"}}
    )
    assert scheduled.effective_schedule == ScheduleSpec(interval=300)


# -- durations and times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3_600), ("7d", 604_800), ("2w", 1_209_600),
     (" 2h ", 7_200), (90, 90), (3_600.0, 3_600)],
)  # fmt: skip
def test_durations(given: object, seconds: int) -> None:
    (spec,) = parse_monitors({"name": "a", "model": "m", "window": {"size": given}})
    assert spec.window.size == seconds


@pytest.mark.parametrize(
    ("given", "message"),
    [("1hour", "expected a duration such as '90s'"), ("1h30m", "expected a duration"),
     ("", "expected a duration"), (True, "expected a duration"),
     (0, "whole, positive number of seconds, got 0"),
     (-1, "whole, positive number of seconds, got -1"),
     (1.5, "whole, positive number of seconds, got 1.5")],
)  # fmt: skip
def test_bad_durations_are_rejected(given: object, message: str) -> None:
    with pytest.raises(MonitorDefinitionError, match=re.escape(message)) as err:
        parse_monitors({"name": "a", "model": "m", "window": {"size": given}}, where="w")
    assert _where(err)[2] == "window.size"


def test_delay_may_be_zero_but_not_negative() -> None:
    (spec,) = parse_monitors({"name": "a", "model": "m", "window": {"delay": 0}})
    assert spec.window.delay == 0
    with pytest.raises(MonitorDefinitionError, match=r"window\.delay"):
        parse_monitors({"name": "a", "model": "m", "window": {"delay": -60}})


@pytest.mark.parametrize(
    ("given", "expected"),
    [("2026-01-01T00:00:00Z", JAN_1), ("2026-01-01T00:00:00+00:00", JAN_1),
     ("2026-01-01T02:00:00+02:00", JAN_1), ("2026-01-01T00:00:00", JAN_1),
     ("2026-01-01", JAN_1), ("2026-01-01T00:00:00.25Z", JAN_1 + 250_000),
     (datetime(2026, 1, 1, 1, tzinfo=UTC), JAN_1 + HOUR_US),
     (datetime(2026, 1, 1, 1), JAN_1 + HOUR_US), (JAN_1, JAN_1)],
)  # fmt: skip
def test_times_are_iso_8601_in_utc_unless_they_say(given: object, expected: int) -> None:
    (spec,) = parse_monitors(
        {"name": "a", "model": "m", "reference": {"start": given, "end": "2027-01-01T00:00:00Z"}}
    )
    assert spec.reference.start == expected


def test_unquoted_yaml_times_naive_and_with_zone() -> None:
    text = (
        "name: a\nmodel: m\nreference:\n  start: 2026-01-01T00:00:00Z\n  end: 2026-01-02T00:00:00\n"
    )
    (spec,) = load_monitors("m.yaml", text=text)
    assert (spec.reference.start, spec.reference.end) == (JAN_1, JAN_1 + 24 * HOUR_US)


def test_unquoted_yaml_date_is_midnight_utc() -> None:
    # YAML reads an unquoted 2026-01-01 as a date; quoted, the same text is accepted.
    text = "name: a\nmodel: m\nreference:\n  start: 2026-01-01\n  end: 2026-01-02\n"
    (spec,) = load_monitors("m.yaml", text=text)
    assert (spec.reference.start, spec.reference.end) == (JAN_1, JAN_1 + 24 * HOUR_US)


def test_bad_time_names_the_field() -> None:
    text = "name: a\nmodel: m\nreference:\n  start: yesterday\n  end: 2026-01-02T00:00:00Z\n"
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 4, "reference.start")
    assert "expected an ISO 8601 time" in str(err.value)
    assert "'yesterday'" in str(err.value)


# -- errors name file, line and field ----------------------------------------------------------


def test_errors_are_invalid_parameter_and_value_errors_with_their_code() -> None:
    err = _fails("name: a\nmodel: m\nwindow: {size: 1hour}\n")
    assert isinstance(err.value, InvalidParameterError)
    assert isinstance(err.value, ValueError)
    assert MonitorDefinitionError.code == "invalid_monitor"
    assert err.value.code == "invalid_monitor"


def test_misspelt_key_in_a_check() -> None:
    text = FULL.replace("tolerance: 0.02", "tolerence: 0.02")
    err = _fails(text, "loans.yaml")
    assert _where(err) == ("loans.yaml", _line_of(text, "tolerence"),
                           "monitors.0.checks.1.tolerence")  # fmt: skip
    assert "not a field here (is it misspelt?)" in str(err.value)


def test_misspelt_key_in_a_flow_mapping() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - {type: volume, histroy: 3}\n"
    assert _where(_fails(text)) == ("monitors.yaml", 4, "checks.0.histroy")


def test_misspelt_top_level_key_of_a_file_with_monitors() -> None:
    text = "model: loans\nmonitor: x\nmonitors:\n  - name: a\n"
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 2, "monitor")


def test_unknown_check_type() -> None:
    text = FULL.replace("type: missing_values", "type: missing_value")
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", _line_of(text, "missing_value"),
                           "monitors.0.checks.1")  # fmt: skip
    assert "'missing_value'" in str(err.value)


def test_bad_duration() -> None:
    text = FULL.replace("every: 1h", "every: 1hour")
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", _line_of(text, "1hour"), "monitors.0.window.every")


def test_reference_with_both_baseline_and_trailing() -> None:
    text = "name: a\nmodel: m\nreference:\n  baseline: latest\n  trailing: 7d\n"
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 3, "reference")
    assert "give exactly one of 'baseline'" in str(err.value)


@pytest.mark.parametrize("end", ["2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z"])
def test_reference_range_start_must_be_before_end(end: str) -> None:
    text = f'name: a\nmodel: m\nreference:\n  start: "2026-01-01T00:00:00Z"\n  end: "{end}"\n'
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 3, "reference")
    assert "needs 'start' before 'end'" in str(err.value)


def test_reference_range_needs_both_ends() -> None:
    err = _fails("name: a\nmodel: m\nreference:\n  start: 2026-01-01T00:00:00Z\n")
    assert _where(err)[1:] == (3, "reference")


def test_window_every_larger_than_size_names_the_window() -> None:
    text = FULL.replace("every: 1h", "every: 7h")
    err = _fails(text)
    _, line, field = _where(err)
    assert "must not exceed 'size'" in str(err.value)
    assert field in ("monitors.0.window", "monitors.0.window.every")
    assert line == _line_of(text, "every: 7h")


def test_repeated_check_names_name_the_checks() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - type: volume\n  - type: volume\n"
    err = _fails(text)
    _, line, field = _where(err)
    assert "check names must be unique" in str(err.value)
    assert "'volume'" in str(err.value)
    assert field.startswith("checks")
    assert line in (3, 4, 5)


def test_repeated_checks_with_distinct_names_are_fine() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - type: volume\n  - type: volume\n    name: volume-2\n"
    (spec,) = load_monitors("m.yaml", text=text)
    assert [c.name for c in spec.checks] == [None, "volume-2"]


def test_repeated_monitor_names() -> None:
    text = "model: m\nmonitors:\n  - name: a\n  - name: b\n  - name: a\n"
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 5, "monitors.2.name")
    assert "monitor 'a' is repeated" in str(err.value)


@pytest.mark.parametrize("cron", ["61 * * * *", "every hour", "* * *"])
def test_invalid_cron(cron: str) -> None:
    text = f'name: a\nmodel: m\nschedule:\n  cron: "{cron}"\n'
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 3, "schedule")
    assert "not a valid cron expression" in str(err.value)


def test_schedule_needs_exactly_one_of_interval_and_cron() -> None:
    err = _fails("name: a\nmodel: m\nschedule: {interval: 5m, cron: '* * * * *'}\n")
    assert _where(err)[1:] == (3, "schedule")
    assert "exactly one of 'interval' and 'cron'" in str(err.value)


def test_unknown_performance_metric() -> None:
    text = FULL.replace("metrics: [accuracy, roc_auc]", "metrics: [accuracy, acuracy]")
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", _line_of(text, "acuracy"),
                           "monitors.0.checks.2.metrics")  # fmt: skip
    assert "unknown metrics ['acuracy']" in str(err.value)


def test_estimated_performance_takes_only_estimable_metrics() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - type: estimated_performance\n    metrics: [log_loss]\n"
    assert _where(_fails(text)) == ("monitors.yaml", 5, "checks.0.metrics")


@pytest.mark.parametrize(
    ("text", "line"),
    [("name: a\nmodel: m\nchecks: [\n  - type: volume\n", 4),
     ("name: a\nmodel: m\n  checks: x\n", 3),
     ("name: a\nmodel: m\nchecks:\n  - type: 'volume\n", 5)],
)  # fmt: skip
def test_invalid_yaml_reports_the_line(text: str, line: int) -> None:
    with pytest.raises(InvalidParameterError) as err:
        load_monitors("broken.yaml", text=text)
    assert str(err.value).startswith(f"broken.yaml, line {line}: not valid YAML")


@pytest.mark.parametrize("function", ["mymodule.fn", "mod:", ":fn", "mod:fn:x", "1mod:fn"])
def test_bad_kpi_function_spec(function: str) -> None:
    text = f'name: a\nmodel: m\nchecks:\n  - type: kpi\n    function: "{function}"\n'
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 5, "checks.0.function")
    assert "expected 'module:function'" in str(err.value)


def test_kpi_function_spec_with_a_dotted_module() -> None:
    data = {
        "name": "a",
        "model": "m",
        "checks": [{"type": "kpi", "function": "my.pkg.kpis:revenue"}],
    }
    (spec,) = parse_monitors(data)
    assert spec.checks[0].function == "my.pkg.kpis:revenue"  # type: ignore[union-attr]


def test_missing_required_field_points_at_its_mapping() -> None:
    text = "name: a\nmodel: m\nchecks:\n  - type: kpi\n    metric: revenue\n"
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 4, "checks.0.function")
    assert "Field required" in str(err.value)


def test_invalid_top_level_model_name_points_at_the_model() -> None:
    text = 'model: "bad model"\nmonitors:\n  - name: a\n'
    err = _fails(text)
    assert _where(err) == ("monitors.yaml", 1, "model")


def test_monitor_name_is_checked() -> None:
    err = _fails("name: -a\nmodel: m\n")
    assert _where(err) == ("monitors.yaml", 1, "name")


@pytest.mark.parametrize("data", [None, [], "text", [{"name": "a", "model": "m"}]])
def test_data_that_is_not_a_mapping(data: object) -> None:
    with pytest.raises(MonitorDefinitionError) as err:
        parse_monitors(data, where="body")
    assert _where(err) == ("body", None, "(top level)")


@pytest.mark.parametrize("monitors", [[], {"name": "a"}, "a"])
def test_monitors_must_be_a_non_empty_list(monitors: object) -> None:
    with pytest.raises(MonitorDefinitionError, match="expected a non-empty list of monitors"):
        parse_monitors({"model": "m", "monitors": monitors})


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(MonitorDefinitionError, match="Cannot read monitor file"):
        load_monitors(tmp_path / "absent.yaml")


# -- round trip --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [FULL, SINGLE])
def test_to_dict_round_trips_through_parse_monitors(text: str) -> None:
    for spec in load_monitors("m.yaml", text=text):
        data = spec.to_dict()
        (again,) = parse_monitors(data)
        assert again == spec
        assert again.to_dict() == data


def test_to_dict_is_json_ready_with_seconds_and_microseconds() -> None:
    import json

    first, _ = load_monitors("loans.yaml", text=FULL)
    data = json.loads(json.dumps(first.to_dict()))
    assert data["window"] == {"size": 21_600, "every": 3_600, "delay": 900}
    assert data["reference"]["start"] == JAN_1
    assert parse_monitors(data) == [first]


def test_a_spec_is_frozen() -> None:
    (spec,) = parse_monitors({"name": "a", "model": "m"})
    assert isinstance(spec, MonitorSpec)
    with pytest.raises(ValueError, match="frozen"):
        spec.name = "b"  # type: ignore[misc]
