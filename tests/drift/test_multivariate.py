"""compare(multivariate=...): MMD over several numeric columns."""

from __future__ import annotations

import json

import numpy as np
import pytest

import driftpilot as dp
from driftpilot.errors import IncompatibleProfilesError, InvalidParameterError


def _correlated(rng: np.random.Generator, n: int, rho: float) -> dict[str, np.ndarray]:
    cov = [[1.0, rho], [rho, 1.0]]
    xy = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    return {"x": xy[:, 0], "y": xy[:, 1], "z": rng.normal(size=n)}


def test_a_flipped_correlation_is_found_jointly_but_not_per_column() -> None:
    rng = np.random.default_rng(0)
    reference, current = _correlated(rng, 3000, 0.8), _correlated(rng, 3000, -0.8)
    report = dp.compare(reference, current, multivariate=["x", "y"])
    assert not any(c.drifted for c in report.columns.values())  # marginals unchanged
    joint = report.multivariate
    assert joint is not None
    assert joint.drifted
    assert joint.p_value < 0.01
    assert (joint.n_used_reference, joint.n_used_current) == (1000, 1000)  # subsampled
    assert report.dataset_drift
    data = json.loads(report.to_json())
    assert data["multivariate"]["columns"] == ["x", "y"]
    assert "Multivariate" in report.to_html()


def test_no_change_is_not_flagged_and_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    reference, current = _correlated(rng, 800, 0.5), _correlated(rng, 800, 0.5)
    first = dp.compare(reference, current, multivariate=True, seed=3)
    second = dp.compare(reference, current, multivariate=True, seed=3)
    assert first.multivariate is not None
    assert first.multivariate.columns == ("x", "y", "z")
    assert not first.multivariate.drifted
    assert first.multivariate == second.multivariate


def test_rows_with_missing_values_are_left_out_and_counted() -> None:
    rng = np.random.default_rng(2)
    reference = _correlated(rng, 200, 0.0)
    current = _correlated(rng, 200, 0.0)
    current["x"][:15] = np.nan
    joint = dp.compare(reference, current, multivariate=["x", "y"]).multivariate
    assert joint is not None
    assert joint.n_excluded_current == 15
    assert joint.n_current == 185


def test_bad_requests_are_named() -> None:
    rng = np.random.default_rng(3)
    data = {**_correlated(rng, 50, 0.0), "c": np.array(["a", "b"] * 25)}
    with pytest.raises(InvalidParameterError, match="'c'"):
        dp.compare(data, data, multivariate=["x", "c"])
    with pytest.raises(InvalidParameterError, match="'nope'"):
        dp.compare(data, data, multivariate=["nope"])
    with pytest.raises(InvalidParameterError, match="'mmd_max_rows'"):
        dp.compare(data, data, multivariate=["x"], mmd_max_rows=1)
    with pytest.raises(IncompatibleProfilesError, match="raw data"):
        dp.compare(dp.profile(data), data, multivariate=["x", "y"])
