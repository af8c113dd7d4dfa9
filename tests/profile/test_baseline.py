"""baseline() and Baseline: parts, validation, save and load, use as a reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from driftpilot.errors import InvalidParameterError, ProfileFormatError, SchemaMismatchError
from driftpilot.profile import (
    Baseline,
    CategoricalSummary,
    NumericSummary,
    Profile,
    baseline,
    fingerprint,
    load_profile,
    profile,
)

RNG = np.random.default_rng(11)
DATA = {
    "age": RNG.normal(40, 10, size=500),
    "plan": RNG.choice(["basic", "pro", "team"], size=500),
    "churned": RNG.integers(0, 2, size=500),
    "score": RNG.uniform(size=500),
}
WHEN = "2024-05-01T12:00:00+00:00"


def make(**options: object) -> Baseline:
    defaults: dict[str, object] = {
        "target": "churned",
        "prediction": "score",
        "model_name": "churn",
        "model_version": "3",
        "performance": {"auc": 0.91, "log_loss": 0.35},
        "thresholds": {"age": 0.1, "score": 0.2},
        "created_at": WHEN,
    }
    return baseline(DATA, **(defaults | options))  # type: ignore[arg-type]


def test_the_parts_of_a_baseline() -> None:
    b = make()
    assert list(b.profile.columns) == ["age", "plan"]
    assert b.profile.n_rows == 500
    assert isinstance(b.target_summary, CategoricalSummary)
    assert b.target_summary.count_of([0, 1]).sum() == 500
    assert isinstance(b.prediction_summary, NumericSummary)
    assert b.prediction_summary.histogram is not None
    assert (b.target, b.prediction, b.model_name, b.model_version) == (
        "churned",
        "score",
        "churn",
        "3",
    )
    assert dict(b.performance) == {"auc": 0.91, "log_loss": 0.35}
    assert dict(b.thresholds) == {"age": 0.1, "score": 0.2}
    assert b.fingerprint == fingerprint(DATA)
    assert b.created_at == WHEN


def test_created_at_is_stored_in_utc() -> None:
    b = make(created_at=dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert b.created_at == WHEN
    assert make(created_at="2024-05-01T12:00:00Z").created_at == WHEN
    now = make(created_at=None).created_at
    assert dt.datetime.fromisoformat(now).tzinfo == dt.UTC
    with pytest.raises(InvalidParameterError, match="timezone-aware"):
        make(created_at=dt.datetime(2024, 5, 1))
    with pytest.raises(InvalidParameterError, match=r"'created_at'.*Got 'yesterday'"):
        make(created_at="yesterday")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"target": "label"}, SchemaMismatchError, "target column 'label' is not in the data"),
        ({"prediction": "churned"}, InvalidParameterError, "different columns"),
        ({"thresholds": {"height": 0.1}}, SchemaMismatchError, r"\['height'\]"),
        ({"thresholds": {"age": -1.0}}, InvalidParameterError, "'thresholds'.*>= 0.*'age': -1.0"),
        ({"performance": {"auc": float("nan")}}, InvalidParameterError, "'performance'.*finite"),
        ({"performance": {"auc": "high"}}, InvalidParameterError, "'performance'"),
    ],
)
def test_invalid_metadata_is_named(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make(**options)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    b = make()
    path = tmp_path / "baseline.json"
    b.save(path)
    assert Baseline.load(path) == b
    loaded = load_profile(path)
    assert isinstance(loaded, Baseline)
    assert loaded == b
    assert Baseline.from_json(b.to_json()) == b
    with pytest.raises(ProfileFormatError, match=r"kind 'baseline', not 'profile'.*load_profile"):
        Profile.load(path)


def test_a_baseline_without_outputs_round_trips() -> None:
    b = baseline({"x": [1.0, 2.0]}, created_at=WHEN)
    assert b.target is None
    assert b.target_summary is None
    assert Baseline.from_dict(b.to_dict()) == b


def test_a_baseline_is_a_reference_for_every_column() -> None:
    b = make()
    current = {k: v[:100] for k, v in DATA.items()}
    p = profile(current, reference=b)
    assert list(p.columns) == ["age", "plan", "churned", "score"]
    score = p.columns["score"]
    assert isinstance(score, NumericSummary)
    assert score.histogram is not None
    assert isinstance(b.prediction_summary, NumericSummary)
    assert b.prediction_summary.histogram is not None
    assert score.histogram.same_edges(b.prediction_summary.histogram)
    assert b.as_profile().schema == p.schema


def test_the_fingerprint_covers_the_columns_the_profile_reads() -> None:
    table = pa.table({"x": [1.0, 2.0], "tags": pa.array([[1], [2]])})
    b = baseline(table, created_at=WHEN)
    assert "tags" in b.profile.skipped
    assert b.fingerprint == fingerprint({"x": [1.0, 2.0]})


def test_an_inconsistent_file_is_refused() -> None:
    data = make().to_dict()
    data["thresholds"] = {"nope": 1.0}
    with pytest.raises(ProfileFormatError, match=r"inconsistent.*nope"):
        Baseline.from_dict(data)
