"""A KPI function gets a documented frame of the window's events with their labels.

A pyarrow Table by default, a pandas or polars DataFrame when the check asks; the same KPI
written against each gives the value computed by hand from the logged traffic. Runs through
``evaluate`` on the store (SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from driftpilot.datasets import Traffic, make_traffic
from driftpilot.monitor import Window, evaluate, parse_monitors
from driftpilot.monitor._data import WindowEvents
from driftpilot.monitor._kpi_frame import arrow_frame
from driftpilot.store import Store
from traffic_fixtures import _load, _to_iso

HOUR = 3_600_000_000


def missed_income_arrow(events: pa.Table) -> float:
    missed = pc.and_(pc.equal(events["label"], 1), pc.equal(events["prediction"], 0))
    return float(pc.sum(pc.filter(events["income"], missed)).as_py() or 0.0)


def missed_income_pandas(events: pd.DataFrame) -> float:
    missed = (events["label"] == 1) & (events["prediction"] == 0)
    return float(events.loc[missed, "income"].sum())


def missed_income_polars(events: pl.DataFrame) -> float:
    missed = events.filter((pl.col("label") == 1) & (pl.col("prediction") == 0))
    return float(missed["income"].sum())


def mean_score_by_type(events: Any) -> float:
    """Fails unless it gets a pyarrow Table with a float score column."""
    assert isinstance(events, pa.Table)
    assert events.schema.field("score_default").type == pa.float64()
    assert events.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    return float(pc.mean(events["score_default"]).as_py())


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return make_traffic(hours=6, per_hour=150, reference_hours=3, seed=3)


def _expected(traffic: Traffic, hour: int) -> tuple[float, float]:
    events = traffic.events[hour * traffic.per_hour : (hour + 1) * traffic.per_hour]
    truth = {str(lb["event_id"]): lb["value"] for lb in traffic.labels}
    missed = sum(
        e["features"]["income"]  # type: ignore[index]
        for e in events
        if truth.get(str(e["event_id"])) == 1 and e["prediction"] == 0
        and e["features"].get("income") is not None  # type: ignore[union-attr]
    )  # fmt: skip
    scores = np.mean([e["scores"]["default"] for e in events])  # type: ignore[index]
    return float(missed), float(scores)


def test_each_frame_kind_gives_the_kpi(store: Store, traffic: Traffic) -> None:
    _load(store, traffic)
    (spec,) = parse_monitors({
        "name": "kpis", "model": "loans", "window": {"size": "1h"},
        "reference": {"start": _to_iso(traffic.hour(0)), "end": _to_iso(traffic.hour(3))},
        "checks": [
            {"type": "kpi", "name": "arrow", "function": f"{__name__}:missed_income_arrow"},
            {"type": "kpi", "name": "pandas", "frame": "pandas",
             "function": f"{__name__}:missed_income_pandas"},
            {"type": "kpi", "name": "polars", "frame": "polars",
             "function": f"{__name__}:missed_income_polars"},
            {"type": "kpi", "name": "scores", "function": f"{__name__}:mean_score_by_type"},
        ],
    })  # fmt: skip
    report = evaluate(spec, store.source, Window(traffic.hour(4), traffic.hour(5)))
    found = {r.check: r for r in report.results}
    assert all(r.reason is None for r in report.results), report.results
    missed, mean_score = _expected(traffic, 4)
    assert missed > 0
    for name in ("arrow", "pandas", "polars"):
        assert found[name].value == pytest.approx(missed, rel=1e-12)
        assert found[name].n == traffic.per_hour
    assert found["scores"].value == pytest.approx(mean_score, rel=1e-12)


def test_the_frame_has_the_documented_columns() -> None:
    events = WindowEvents(
        timestamps=np.array([10, 20, 30], dtype=np.int64), event_ids=["a", "b", "c"],
        versions=["v1", "v1", "v2"],
        features=[{"age": 40, "plan": "pro", "label": "x"}, {"age": 31}, {"age": "n/a"}],
        predictions=[1, 0, 1], scores=[{"yes": 0.8, "no": 0.2}, None, {"yes": "high"}],
        latencies=[3.5, None, 1.0], segments=[{"region": "eu"}, None, {"region": 7}],
        flags=[(), (), ()], labels=[1, None, 0], label_timestamps=[50, None, 70],
    )  # fmt: skip
    table = arrow_frame(events)
    assert table.column_names == [
        "timestamp", "event_id", "model_version", "age", "plan", "feature_label", "prediction",
        "score_yes", "score_no", "latency_ms", "label", "label_timestamp", "segment_region",
    ]  # fmt: skip
    assert table["timestamp"].type == pa.timestamp("us", tz="UTC")
    assert table["age"].to_pylist() == ["40", "31", '"n/a"']  # mixed types: JSON text
    assert table["score_yes"].to_pylist() == [0.8, None, None]
    assert table["label"].to_pylist() == [1, None, 0]
    assert table["label_timestamp"].null_count == 1
    assert table["segment_region"].to_pylist() == ["eu", None, "7"]
    assert table["feature_label"].to_pylist() == ["x", None, None]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_frame_library_that_is_not_installed_fails_at_load_time(
    kind: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``frame: polars`` without polars fails when the file is loaded, naming the extra, the
    file, the line and the field, not first when a window runs."""
    from driftpilot.errors import MissingDependencyError, MonitorDefinitionError
    from driftpilot.monitor import load_monitors
    from driftpilot.monitor._kpi_frame import kpi_frame

    path = tmp_path / "kpi.yaml"
    path.write_text(
        "name: loans-kpi\nmodel: loans\nchecks:\n"
        "  - type: kpi\n"
        "    function: 'traffic_fixtures:mean_income'\n"
        f"    frame: {kind}\n",
        encoding="utf-8",
    )
    assert load_monitors(path)[0].checks[0].frame == kind  # installed here: it loads
    monkeypatch.setitem(__import__("sys").modules, kind, None)  # now it does not import
    with pytest.raises(MonitorDefinitionError) as caught:
        load_monitors(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 6, field 'checks.0.frame': ")
    assert f"needs the '{kind}' extra" in message
    assert f"pip install 'driftpilot[{kind}]'" in message
    # A library uninstalled after loading: the run's error names the extra too.
    with pytest.raises(MissingDependencyError, match=f"driftpilot\\[{kind}\\]") as late:
        kpi_frame(WindowEvents.empty(), kind)  # type: ignore[arg-type]
    assert late.value.extra == kind
