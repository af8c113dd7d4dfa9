"""One registry of detector methods, read by validation, the runner, the check registry, docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftpilot.datasets import make_traffic
from driftpilot.detectors import ADWIN
from driftpilot.errors import MonitorDefinitionError
from driftpilot.monitor import Window, evaluate, parse_monitors
from driftpilot.monitor.checks import CHECK_TYPES, ModelFacts, validate_monitor
from driftpilot.monitor.detector_methods import DETECTORS, DetectorMethod
from driftpilot.store import Store
from traffic_fixtures import _load

README = Path(__file__).resolve().parents[2] / "README.md"


def _monitor(check: dict[str, object]) -> dict[str, object]:
    return {"name": "m", "model": "loans", "checks": [{"type": "detector", **check}]}


def _refused(check: dict[str, object]) -> str:
    with pytest.raises(MonitorDefinitionError) as caught:
        parse_monitors(_monitor(check))
    return str(caught.value)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_method_builds_validates_and_is_documented(name: str) -> None:
    method = DETECTORS[name]
    detector = method.build({})
    assert type(detector) is method.detector
    (spec,) = parse_monitors(_monitor({"method": name}))
    assert CHECK_TYPES["detector"].metrics(spec.checks[0]) == frozenset({name})
    row = next(line for line in README.read_text(encoding="utf-8").splitlines()
               if line.startswith("| `detector` |"))  # fmt: skip
    assert f"`{name}`" in row


def test_a_method_or_parameter_the_registry_does_not_know_fails_naming_the_field() -> None:
    message = _refused({"method": "adwn"})
    assert "field 'checks.0.method'" in message
    assert str(sorted(DETECTORS)) in message
    message = _refused({"method": "page_hinkley", "params": {"dleta": 0.1}})
    assert "field 'checks.0.params'" in message
    assert "page_hinkley has no parameter 'dleta'" in message
    assert "'delta'" in message
    assert "must be" in _refused({"method": "adwin", "params": {"delta": 1.5}})


@pytest.mark.parametrize("name", [n for n, m in sorted(DETECTORS.items()) if m.binary])
def test_a_detector_of_zero_one_values_watches_errors_of_a_classifier_only(name: str) -> None:
    assert "'stream: error'" in _refused({"method": name, "stream": "score"})
    (spec,) = parse_monitors(_monitor({"method": name}))
    validate_monitor(spec, ModelFacts(task="binary"))
    with pytest.raises(MonitorDefinitionError, match="regression"):
        validate_monitor(spec, ModelFacts(task="regression"))


def test_validation_and_the_runner_read_the_same_registry(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A method added to the registry alone is accepted by validation and run by the check."""
    traffic = make_traffic(hours=2, per_hour=60, reference_hours=1, seed=3)
    _load(store, traffic)
    added = DetectorMethod(name="adwin_fast", detector=ADWIN, title="ADWIN")
    monkeypatch.setitem(DETECTORS, "adwin_fast", added)  # type: ignore[index]
    (spec,) = parse_monitors(_monitor({"method": "adwin_fast", "params": {"delta": 0.5}}))
    report = evaluate(spec, store.source, Window(traffic.hour(1), traffic.hour(2)))
    (result,) = report.results
    assert result.metric == "adwin_fast"
    assert result.status == "ok"
    assert result.n > 0
    assert result.details["n_seen"] == result.n
