"""missing_rate: counts by hand, every summary kind, merge consistency and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot import ProfileConfig, profile
from driftpilot.errors import InsufficientDataError, UnsupportedDataError
from driftpilot.quality import missing_rate


def test_numeric_counts_nulls_and_nan_but_not_infinities() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=1000)
    x[rng.choice(1000, 40, replace=False)] = np.nan
    x[:3] = np.inf
    values: list[float | None] = x.tolist()
    for i in rng.choice(np.arange(3, 1000), 25, replace=False):
        values[i] = None
    summary = profile({"x": values}).columns["x"]
    expected = sum(1 for v in values if v is None or (isinstance(v, float) and math.isnan(v)))
    result = missing_rate(summary)
    assert result.n == 1000
    assert result.n_missing == expected
    assert result.share == expected / 1000
    assert result.stderr == pytest.approx(math.sqrt(result.share * (1 - result.share) / 1000))
    assert result.reference_share is None
    assert result.kind == "numeric"


@pytest.mark.parametrize(
    ("column", "kind", "n_missing"),
    [
        (["a", None, "b", "a", None], "categorical", 2),
        ([True, None, False, True, True], "boolean", 1),
        ([1.5, None, float("nan"), 2.0, 3.0], "categorical", 2),  # NaN is no category
        (["2024-01-01T00:00:00", None, "2024-01-02T00:00:00", None, None], "datetime", 3),
        (["a long sentence of free text number " + str(i) for i in range(4)] + [None], "text", 1),
    ],
)
def test_every_summary_kind(column: list[object], kind: str, n_missing: int) -> None:
    data: dict[str, object] = {"c": column}
    if kind == "datetime":
        data = {"c": np.array([np.datetime64(v) if v else np.datetime64("NaT") for v in column])}
    summary = profile(data, {"c": kind}).columns["c"]
    result = missing_rate(summary, summary)
    assert result.kind == kind
    assert (result.n, result.n_missing) == (5, n_missing)
    assert result.share == result.reference_share == n_missing / 5
    assert result.stderr == result.reference_stderr
    assert json.loads(json.dumps(result.to_dict()))["n_missing"] == n_missing


def test_reference_of_another_summary_class_is_accepted() -> None:
    current = profile({"c": ["a", None]}).columns["c"]
    reference = profile({"c": [1.0, None, None, 2.0]}).columns["c"]
    result = missing_rate(current, reference)
    assert (result.share, result.reference_share, result.reference_n) == (0.5, 0.5, 4)


@given(
    a=st.lists(st.one_of(st.none(), st.just(math.nan), st.floats(-1e6, 1e6)), min_size=1),
    b=st.lists(st.one_of(st.none(), st.just(math.nan), st.floats(-1e6, 1e6)), min_size=1),
)
def test_bounds_and_merge_consistency(a: list[float | None], b: list[float | None]) -> None:
    config = ProfileConfig(histograms=False)  # merging needs shared bin edges otherwise
    pa_ = profile({"x": a}, {"x": "numeric"}, config=config)
    pb = profile({"x": b}, {"x": "numeric"}, config=config)
    ra, rb = missing_rate(pa_.columns["x"]), missing_rate(pb.columns["x"])
    merged = missing_rate(pa_.merge(pb).columns["x"])
    assert merged.n == ra.n + rb.n
    assert merged.n_missing == ra.n_missing + rb.n_missing
    for result in (ra, rb, merged):
        assert 0.0 <= result.share <= 1.0
        assert result.stderr >= 0.0


def test_errors_name_the_argument() -> None:
    empty = profile({"x": np.array([], dtype=float)}).columns["x"]
    with pytest.raises(InsufficientDataError, match=r"'current'"):
        missing_rate(empty)
    ok = profile({"x": [1.0]}).columns["x"]
    with pytest.raises(InsufficientDataError, match=r"'reference'"):
        missing_rate(ok, empty)
    with pytest.raises(UnsupportedDataError, match=r"'current'.*list"):
        missing_rate([1.0, None])  # type: ignore[arg-type]
    with pytest.raises(UnsupportedDataError, match=r"'reference'"):
        missing_rate(ok, {"n": 3})  # type: ignore[arg-type]
