"""chi2 against scipy.stats.chi2_contingency, ztest against statsmodels (rtol 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportions_ztest

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import chi2, ztest

RTOL = 1e-9


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        ([50, 30, 20], [30, 30, 40]),
        ([10, 20], [25, 5]),  # 2 x 2: Yates' correction
        ([1000, 1, 3, 200, 7], [900, 4, 0, 260, 9]),
        ([5, 5, 5, 5], [5, 5, 5, 6]),
    ],
)
def test_chi2_matches_scipy(reference: list[int], current: list[int]) -> None:
    expected = scipy_stats.chi2_contingency(np.array([reference, current]))
    result = chi2(reference, current)
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)
    assert result.details == {"dof": float(expected.dof)}
    assert (result.n_reference, result.n_current) == (sum(reference), sum(current))
    assert type(result.statistic) is float
    assert type(result.p_value) is float


def test_chi2_drops_categories_empty_on_both_sides() -> None:
    expected = scipy_stats.chi2_contingency(np.array([[50, 30, 20], [30, 30, 40]]))
    result = chi2([0, 50, 30, 0, 20], [0, 30, 30, 0, 40])
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)
    assert result.details == {"dof": 2.0}


def test_chi2_with_a_single_category_is_no_test() -> None:
    result = chi2([0, 12, 0], [0, 30, 0])
    assert (result.statistic, result.p_value, result.details) == (0.0, 1.0, {"dof": 0.0})
    assert (result.n_reference, result.n_current) == (12, 30)


@pytest.mark.parametrize(
    ("reference", "current"),
    [([80, 20], [60, 40]), ([500, 3], [480, 12]), ([7, 9], [9, 7]), ([1, 1], [1000, 2])],
)
def test_ztest_matches_statsmodels(reference: list[int], current: list[int]) -> None:
    statistic, p_value = proportions_ztest(
        [reference[1], current[1]], [sum(reference), sum(current)]
    )
    result = ztest(reference, current)
    assert result.method == "ztest"
    assert result.statistic == pytest.approx(float(statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(p_value), rel=RTOL)
    assert result.details == {
        "proportion_reference": reference[1] / sum(reference),
        "proportion_current": current[1] / sum(current),
    }
    assert type(result.statistic) is float


@pytest.mark.parametrize(("reference", "current"), [([10, 0], [4, 0]), ([0, 3], [0, 8])])
def test_ztest_with_pooled_proportion_zero_or_one(reference: list[int], current: list[int]) -> None:
    result = ztest(reference, current)
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_ztest_needs_two_categories() -> None:
    with pytest.raises(InvalidParameterError, match="length 2"):
        ztest([1, 2, 3], [3, 2, 1])


@st.composite
def count_pairs(draw: st.DrawFn, size: st.SearchStrategy[int]) -> tuple[np.ndarray, np.ndarray]:
    length = draw(size)
    counts = hnp.arrays(np.int64, length, elements=st.integers(0, 500))
    reference = draw(counts.filter(lambda c: c.sum() > 0))
    current = draw(counts.filter(lambda c: c.sum() > 0))
    return reference, current


@settings(max_examples=100, deadline=None)
@given(pair=count_pairs(st.integers(1, 8)), data=st.data())
def test_chi2_properties(pair: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    reference, current = pair
    result = chi2(reference, current)
    assert result.statistic >= 0.0
    assert result.p_value is not None
    assert 0.0 <= result.p_value <= 1.0
    order = data.draw(st.permutations(range(reference.size)))
    permuted = chi2(reference[order], current[order])
    assert permuted.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
    swapped = chi2(current, reference)
    assert swapped.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
    same = chi2(reference, reference)
    assert same.statistic == pytest.approx(0.0, abs=1e-9)
    assert same.p_value == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(pair=count_pairs(st.just(2)))
def test_ztest_properties(pair: tuple[np.ndarray, np.ndarray]) -> None:
    reference, current = pair
    result = ztest(reference, current)
    assert result.p_value is not None
    assert 0.0 <= result.p_value <= 1.0
    swapped = ztest(current, reference)
    assert swapped.statistic == pytest.approx(-result.statistic, rel=1e-12, abs=1e-12)
    assert swapped.p_value == pytest.approx(result.p_value, rel=1e-12, abs=1e-15)
    same = ztest(reference, reference)
    assert (same.statistic, same.p_value) == (0.0, 1.0)
    assume(reference[1] * current.sum() != current[1] * reference.sum())
    # The sign says which side has the larger share of successes.
    assert (result.statistic > 0) == (reference[1] / reference.sum() > current[1] / current.sum())


@pytest.mark.parametrize("kernel", [chi2, ztest])
def test_bad_counts_are_rejected(kernel: object) -> None:
    with pytest.raises(InvalidParameterError, match="same length"):
        kernel([1, 2], [1, 2, 3])  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match="non-negative"):
        kernel([1, -2], [1, 2])  # type: ignore[operator]
    with pytest.raises(InsufficientDataError, match="'reference_counts'"):
        kernel([0, 0], [1, 2])  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match="finite"):
        kernel([1.0, np.nan], [1, 2])  # type: ignore[operator]
