"""Check results and monitor reports: severities, JSON-ready data and its round trip
(``driftpilot.monitor.results``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from driftpilot.monitor import CheckResult, MonitorReport, worst


def test_worst_severity() -> None:
    assert worst([]) == "none"
    assert worst(["none", "warning", "none"]) == "warning"
    assert worst(["warning", "critical", "none"]) == "critical"


def _report() -> MonitorReport:
    return MonitorReport(
        monitor="m", model="loans", window_start=0, window_end=3_600_000_000,
        reference={"kind": "baseline", "version": "v1"}, revision=2, evaluated_at=7,
        n_events=100, n_labels=90, notes=("a note",),
        results=[
            CheckResult(check="feature_drift", kind="drift", metric="psi", feature="age",
                        value=0.3, upper=0.2, severity="warning", n=100,
                        details={"psi": np.float64(0.3), "bins": (1, 2), "ok": np.bool_(True),
                                 "count": np.int64(4), "gap": math.inf}),
            CheckResult(check="performance", kind="performance", metric="accuracy",
                        value=math.nan, lower=0.7, n=100, n_labels=np.int64(90),  # type: ignore[arg-type]
                        reason="too few labels"),
            CheckResult(check="volume", kind="quality", metric="volume", value=100.0,
                        severity="critical", segment="region=north"),
        ],
    )  # fmt: skip


def test_report_severity_and_flagged() -> None:
    report = _report()
    assert report.severity == "critical"
    assert [r.check for r in report.flagged] == ["feature_drift", "volume"]
    assert not report.results[1].flagged


def test_to_dict_is_json_ready_with_none_for_non_finite_numbers() -> None:
    data = _report().to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["window"] == {"start": 0, "end": 3_600_000_000}
    assert (data["severity"], data["n_flagged"], data["revision"]) == ("critical", 2, 2)
    drift, performance, _ = data["results"]
    assert drift["details"] == {"psi": 0.3, "bins": [1, 2], "ok": True, "count": 4, "gap": None}
    assert drift["flagged"] is True
    assert performance["value"] is None
    assert performance["n_labels"] == 90


def test_from_dict_rebuilds_the_report() -> None:
    data = _report().to_dict()
    again = MonitorReport.from_dict(data)
    assert again.to_dict() == data
    assert again.results[2] == CheckResult(check="volume", kind="quality", metric="volume",
                                           value=100.0, severity="critical",
                                           segment="region=north")  # fmt: skip


def test_check_result_from_dict_defaults() -> None:
    found = CheckResult.from_dict({"check": "c", "kind": "kpi", "metric": "kpi"})
    assert found == CheckResult(check="c", kind="kpi", metric="kpi", value=None)
    assert found.severity == "none"
    assert found.n == 0
    with pytest.raises(KeyError):
        CheckResult.from_dict({"check": "c", "kind": "kpi"})
