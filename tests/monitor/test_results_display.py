"""A monitor report in a notebook and as a table: reprs, the scoped fragment, to_arrow /
to_pandas / to_polars and pickling (``driftpilot.monitor.results``, ``monitor._html``)."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import polars as pl

from driftpilot.monitor import CheckResult, MonitorReport
from html_tree import css_rules, parse

HOUR = 3_600_000_000


def _report() -> MonitorReport:
    return MonitorReport(
        monitor="daily", model="loans", window_start=1_700_000_000_000_000,
        window_end=1_700_000_000_000_000 + HOUR, reference={"kind": "baseline", "version": "v1"},
        revision=2, evaluated_at=1_700_000_000_000_000 + 2 * HOUR, n_events=500, n_labels=90,
        notes=("labels arrive late",),
        results=[
            CheckResult(check="feature_drift", kind="drift", metric="psi", feature="<age>",
                        value=0.31, upper=0.2, severity="warning", n=500,
                        details={"psi": 0.31, "n_reference": 1000}),
            CheckResult(check="performance", kind="performance", metric="accuracy",
                        value=None, lower=0.7, n=500, n_labels=3, status="no_data",
                        reason="too few labels"),
            CheckResult(check="volume", kind="quality", metric="volume", value=500.0,
                        lower=1000.0, severity="critical", segment="region=north", n=500),
        ],
    )  # fmt: skip


def test_reprs_are_one_line() -> None:
    report = _report()
    assert repr(report) == (
        "MonitorReport('daily' on 'loans', 2023-11-14T22:13:20Z to 2023-11-14T23:13:20Z, "
        "revision=2, severity=critical, 2/3 results flagged, n_events=500)"
    )
    assert repr(report.results[0]) == "CheckResult(feature_drift/psi <age>=0.31, severity=warning)"
    assert repr(report.results[1]) == (
        "CheckResult(performance/accuracy=None, severity=none, status=no_data)"
    )


def test_fragment_lists_every_result_with_scoped_styles() -> None:
    report = _report()
    html = report._repr_html_()
    root = parse(html)
    (div,) = [n for n in root.children if not isinstance(n, str) and n.tag != "#text"]
    assert "dp-run" in div.classes
    css = "".join(c for c in div.find("style").children if isinstance(c, str))
    for selector, _ in css_rules(css):
        assert all(p.strip().startswith(".dp-run") for p in selector.split(","))
    rows = [[td.text() for td in tr.find_all("td")] for tr in div.find("tbody").find_all("tr")]
    assert [r[0] for r in rows] == ["feature_drift", "performance", "volume"]
    assert rows[0][2] == "<age>"  # escaped in the markup, text again once parsed
    assert "&lt;age&gt;" in html
    assert rows[0][4:6] == ["0.31", "\u2264 0.2"]
    assert rows[1][8] == "no_data"
    assert rows[1][10] == "too few labels"
    assert rows[2][7] == "critical"
    flagged = [tr.find("td").text() for tr in div.find_all("tr") if "dp-flagged" in tr.classes]
    assert flagged == ["feature_drift", "volume"]
    assert div.find("ul", cls="dp-notes").text() == "labels arrive late"


def test_tables_have_one_row_per_result() -> None:
    report = _report()
    table = report.to_arrow()
    assert table.num_rows == 3
    assert table.column("check").to_pylist() == ["feature_drift", "performance", "volume"]
    assert table.column("value").to_pylist() == [0.31, None, 500.0]
    assert json.loads(table.column("details")[0].as_py()) == {"psi": 0.31, "n_reference": 1000}
    frame = report.to_pandas()
    assert frame["window_start"].iloc[0] == pd.Timestamp("2023-11-14T22:13:20Z")
    assert frame["status"].tolist() == ["ok", "no_data", "ok"]
    polars = report.to_polars()
    assert isinstance(polars, pl.DataFrame)
    assert polars["flagged"].to_list() == [True, False, True]


def test_empty_report_keeps_its_schema() -> None:
    empty = MonitorReport(
        monitor="m", model="x", window_start=0, window_end=1, reference={},
        revision=1, evaluated_at=1, n_events=0, n_labels=0, results=[],
    )  # fmt: skip
    assert empty.to_arrow().num_rows == 0
    assert "p_value" in empty.to_pandas().columns


def test_pickle_round_trip() -> None:
    report = _report()
    assert pickle.loads(pickle.dumps(report)) == report
