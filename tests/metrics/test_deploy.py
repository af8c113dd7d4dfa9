"""The Prometheus rules and the Grafana dashboard in ``deploy/`` against what the service exports.

promtool is Debian's ``prometheus`` package (``.ci/run`` installs it). Without it the promtool
tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from driftpilot.server.metrics import ServiceMetrics
from driftpilot.store import Store

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "driftpilot.json"
_NAME = re.compile(r"\bdriftpilot_[a-z_]+")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def _exported(store: Store) -> tuple[set[str], set[str]]:
    """Every name ``/metrics`` can export, and the names of its histograms."""
    metrics = ServiceMetrics(store, alerts_firing=dict)
    assert metrics.store is not None
    names: set[str] = set()
    histograms: set[str] = set()
    for family in [*metrics.registry.collect(), *metrics.store.describe()]:
        if family.type == "counter":  # the family is named without the series' "_total"
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            histograms.add(family.name)
        else:
            names.add(family.name)
    return names, histograms


def _rule_expressions() -> Iterator[tuple[str, str]]:
    document = yaml.safe_load(RULES.read_text())
    for group in document["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule["record"], rule["expr"]


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels of a collapsed row


def _panel_expressions() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in _panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


def _unknown(expression: str, names: set[str], histograms: set[str]) -> list[str]:
    unknown = []
    for name in _NAME.findall(expression):
        base = next((name.removesuffix(s) for s in _HISTOGRAM_SUFFIXES if name.endswith(s)), "")
        if name not in names and base not in histograms:
            unknown.append(name)
    return unknown


def test_rules_and_panels_use_only_exported_metrics(store: Store) -> None:
    names, histograms = _exported(store)
    assert "driftpilot_prediction_latency_seconds" in histograms
    assert "driftpilot_predictions_ingested_total" in names
    expressions = [*_rule_expressions(), *_panel_expressions()]
    assert len(expressions) > 10
    used = set()
    for where, expression in expressions:
        assert _unknown(expression, names, histograms) == [], f"{where}: {expression}"
        used.update(_NAME.findall(expression))
    # The check itself: a misspelt name is caught, and a histogram's series are known.
    assert _unknown("rate(driftpilot_predictions_ingested[5m])", names, histograms)
    assert not _unknown("driftpilot_prediction_latency_seconds_count", names, histograms)
    assert {"driftpilot_feature_psi", "driftpilot_drift_detected",
            "driftpilot_check_status"} <= used  # fmt: skip


def test_the_dashboard_has_its_variables_and_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 39
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["model"]["datasource"]["uid"] == "${datasource}"
    panels = [p for p in _panels(dashboard) if p["type"] != "row"]
    assert len({p["id"] for p in _panels(dashboard)}) == len(list(_panels(dashboard)))
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            assert 'model=~"$model"' in target["expr"], panel["title"]
    expressions = " ".join(t["expr"] for p in panels for t in p["targets"])
    for needed in (
        "driftpilot_feature_psi",  # drift per feature over time
        "driftpilot_drift_detected",  # drift status
        "driftpilot_missing_ratio",  # data quality
        "histogram_quantile(0.99",  # latency percentiles
        "rate(driftpilot_predictions_ingested_total",  # throughput
    ):
        assert needed in expressions


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing; .ci/run installs Debian's 'prometheus' package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run(
        [_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_rules_fire_when_they_should() -> None:
    """promtool's unit tests of the rules (``rules_test.yml`` beside this file)."""
    here = Path(__file__).parent
    done = subprocess.run(
        [_promtool(), "test", "rules", "rules_test.yml"],
        capture_output=True, text=True, check=False, cwd=here,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_panels_do_not_overlap() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    taken: dict[tuple[int, int], str] = {}
    for panel in _panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']!r} covers {taken[(x, y)]!r}"
                taken[(x, y)] = panel["title"]


def _status_panel() -> dict[str, Any]:
    dashboard = json.loads(DASHBOARD.read_text())
    (panel,) = [p for p in _panels(dashboard) if p["type"] != "row"
                and any("driftpilot_check_status" in t["expr"] for t in p["targets"])]  # fmt: skip
    return panel


def test_a_panel_counts_the_checks_in_error_or_no_data_per_monitor(tmp_path: Path) -> None:
    """The panel's own query, run by promtool over series as ``/metrics`` exports them: two
    replicas, one monitor with a check in error and one without data, another monitor fine."""
    panel = _status_panel()
    (target,) = panel["targets"]
    assert "monitor" in target["legendFormat"]
    assert "status" in target["legendFormat"]
    expression = target["expr"].replace("$model", ".+")
    series = []
    for instance in ("a", "b"):  # every replica exports the same monitor series
        for monitor, check, status in (
            ("hourly", "kpi", "error"), ("hourly", "performance", "no_data"),
            ("hourly", "feature_drift", "ok"), ("daily", "feature_drift", "ok"),
        ):  # fmt: skip
            for each in ("ok", "no_data", "error"):
                labels = (f'model="loans",monitor="{monitor}",check="{check}",status="{each}",'
                          f'instance="{instance}"')  # fmt: skip
                series.append({"series": f"driftpilot_check_status{{{labels}}}",
                               "values": "1x10" if each == status else "0x10"})  # fmt: skip
    expected = [
        {"labels": f'{{model="loans",monitor="{monitor}",status="{status}"}}', "value": value}
        for monitor, status, value in (
            ("daily", "error", 0), ("daily", "no_data", 0),
            ("hourly", "error", 1), ("hourly", "no_data", 1),
        )
    ]  # fmt: skip
    test = {
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": [
            {"expr": expression, "eval_time": "5m", "exp_samples": expected},
        ]}],
    }  # fmt: skip
    path = tmp_path / "panel_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    done = subprocess.run(
        [_promtool(), "test", "rules", path.name],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
