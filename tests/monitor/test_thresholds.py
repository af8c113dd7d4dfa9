"""Calibrated bands (mean ± k·std of reference chunk values) and judging a value against a band
(``driftpilot.monitor.thresholds``)."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.monitor.thresholds import Band, calibrated_band, judge


def test_band_of_hand_computed_values() -> None:
    # mean 0.8; squared deviations 0.01 + 0 + 0.01 over n - 1 = 2 gives std 0.1 exactly.
    band = calibrated_band([0.7, 0.8, 0.9], k=3)
    assert band is not None
    assert band.mean == pytest.approx(0.8, abs=1e-12)
    assert band.std == pytest.approx(0.1, abs=1e-12)
    assert band.lower == pytest.approx(0.5, abs=1e-12)
    assert band.upper == pytest.approx(1.1, abs=1e-12)
    assert band.n_chunks == 3
    assert band.details() == {"band_chunks": 3, "band_mean": band.mean, "band_std": band.std}


def test_band_of_two_values_uses_ddof_1() -> None:
    # [1, 3]: mean 2, squared deviations 1 + 1 over n - 1 = 1, std sqrt(2) (numpy's default
    # ddof=0 would give 1).
    band = calibrated_band([1.0, 3.0], k=2)
    assert band is not None
    assert band.std == pytest.approx(math.sqrt(2), rel=1e-12)
    assert (band.lower, band.upper) == pytest.approx((2 - 2 * math.sqrt(2), 2 + 2 * math.sqrt(2)))


def test_missing_and_non_finite_chunk_values_are_left_out() -> None:
    band = calibrated_band([0.7, None, math.nan, 0.8, math.inf, -math.inf, 0.9], k=3)
    assert band is not None
    assert band.n_chunks == 3
    assert (band.lower, band.upper) == pytest.approx((0.5, 1.1))


@pytest.mark.parametrize("values", [[], [0.5], [None, 0.5], [math.nan, 0.5, None], [None]])
def test_fewer_than_two_finite_values_give_no_band(values: list[float | None]) -> None:
    assert calibrated_band(values, k=3) is None


def test_constant_values_give_a_zero_width_band() -> None:
    band = calibrated_band([0.25, 0.25, 0.25], k=3)
    assert band is not None
    assert (band.lower, band.upper, band.std) == (0.25, 0.25, 0.0)


BAND = Band(lower=0.5, upper=1.1)


@pytest.mark.parametrize(
    ("value", "higher_is_better", "flagged"),
    [(0.4, True, True), (1.2, True, False), (0.8, True, False),
     (0.4, False, False), (1.2, False, True), (0.8, False, False),
     (0.4, None, True), (1.2, None, True), (0.8, None, False),
     (0.5, None, False), (1.1, None, False)],
)  # fmt: skip
def test_judge_flags_only_the_bad_direction(
    value: float, higher_is_better: bool | None, flagged: bool
) -> None:
    assert judge(value, BAND, higher_is_better=higher_is_better) is flagged


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
def test_judge_never_flags_a_missing_or_non_finite_value(value: float | None) -> None:
    assert judge(value, BAND, higher_is_better=None) is False


def test_judge_without_a_band_or_with_one_open_side() -> None:
    assert judge(0.0, None, higher_is_better=True) is False
    assert judge(-5.0, Band(upper=1.0), higher_is_better=None) is False
    assert judge(5.0, Band(upper=1.0), higher_is_better=None) is True
    assert judge(-5.0, Band(lower=0.0), higher_is_better=True) is True
    assert judge(5.0, Band(lower=0.0), higher_is_better=False) is False


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(values=st.lists(finite, min_size=2, max_size=50), k=st.floats(0.1, 10))
def test_band_contains_the_mean_and_matches_statistics(values: list[float], k: float) -> None:
    band = calibrated_band(values, k=k)
    assert band is not None
    assert band.lower is not None
    assert band.upper is not None
    mean = statistics.fmean(values)
    tolerance = 1e-9 * (1 + max(abs(v) for v in values))
    assert band.lower - tolerance <= mean <= band.upper + tolerance
    assert band.mean == pytest.approx(mean, abs=tolerance)
    assert band.std == pytest.approx(statistics.stdev(values), rel=1e-6, abs=tolerance)
    assert band.upper - band.mean == pytest.approx(band.mean - band.lower, abs=tolerance)
    assert band.n_chunks == len(values)
    assert not judge(band.mean, band, higher_is_better=None)
