"""volume_anomaly: against numpy, the constant-history rule, properties, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.quality import volume_anomaly


def test_band_and_z_score_against_numpy() -> None:
    history = np.random.default_rng(31).poisson(1000, size=24)
    mean, std = history.mean(), history.std(ddof=1)
    for current in (0, 900, 1000, 1100, 5000):
        result = volume_anomaly(current, history, k=2.5)
        assert result.mean == pytest.approx(mean, rel=1e-12)
        assert result.std == pytest.approx(std, rel=1e-12)
        assert result.z_score == pytest.approx((current - mean) / std, rel=1e-12)
        assert result.lower == pytest.approx(max(0.0, mean - 2.5 * std), rel=1e-12)
        assert result.upper == pytest.approx(mean + 2.5 * std, rel=1e-12)
        assert result.anomalous == (abs(current - mean) > 2.5 * std)
    assert json.loads(json.dumps(result.to_dict()))["n_history"] == 24


def test_the_lower_end_of_the_band_is_never_negative() -> None:
    result = volume_anomaly(0, [0, 10, 0, 12])
    assert result.lower == 0.0
    assert not result.anomalous


def test_a_constant_history_accepts_only_its_own_count() -> None:
    same = volume_anomaly(50, [50, 50, 50])
    assert (same.std, same.z_score, same.lower, same.upper, same.anomalous) == (
        0.0, None, 50.0, 50.0, False
    )  # fmt: skip
    other = volume_anomaly(51, [50, 50, 50])
    assert (other.z_score, other.anomalous) == (None, True)


@given(
    history=st.lists(st.integers(0, 10**6), min_size=2, max_size=50),
    current=st.integers(0, 10**6),
    k=st.floats(0.1, 10.0),
)
def test_band_properties(history: list[int], current: int, k: float) -> None:
    result = volume_anomaly(current, history, k=k)
    assert 0.0 <= result.lower <= result.mean <= result.upper
    assert result.std >= 0.0
    assert result.anomalous == (not result.lower <= current <= result.upper)
    if result.z_score is not None and abs(abs(result.z_score) - k) > 1e-9:
        assert result.anomalous == (abs(result.z_score) > k)


def test_errors_name_the_argument() -> None:
    with pytest.raises(InsufficientDataError, match=r"'history'.*at least 2.*Got 1"):
        volume_anomaly(3, [4])
    with pytest.raises(InvalidParameterError, match=r"'history'.*-1"):
        volume_anomaly(3, [4, -1])
    with pytest.raises(InvalidParameterError, match=r"'history'.*1-D"):
        volume_anomaly(3, [[4, 5], [6, 7]])
    with pytest.raises(InvalidParameterError, match=r"'history'.*nan"):
        volume_anomaly(3, [4, float("nan")])
    with pytest.raises(InvalidParameterError, match=r"'history'.*counts"):
        volume_anomaly(3, ["a", "b"])
    with pytest.raises(InvalidParameterError, match=r"'current'.*-3"):
        volume_anomaly(-3, [4, 5])
    with pytest.raises(InvalidParameterError, match=r"'current'.*None"):
        volume_anomaly(None, [4, 5])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'k'.*> 0.*0"):
        volume_anomaly(3, [4, 5], k=0)
