"""anderson and cvm against scipy (relative tolerance 1e-9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import anderson, cvm

RTOL = 1e-9

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(2, 30), elements=VALUES)


def _data(kind: str, n1: int, n2: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n1), rng.normal(0.4, 1.2, size=n2)
    if kind == "rounded":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.15, size=n2), 1)
    return (
        rng.integers(0, 6, size=n1).astype(float),
        rng.integers(0, 7, size=n2).astype(float),
    )  # "integers"


CASES = [
    ("normal", 5, 7, 0),
    ("normal", 15, 20, 1),
    ("normal", 60, 40, 2),
    ("rounded", 300, 500, 3),
    ("integers", 150, 100, 4),
    ("normal", 2000, 1500, 5),
]


def _scipy_anderson(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, bool]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = scipy_stats.anderson_ksamp([reference, current], variant="midrank")
    capped = any("p-value capped" in str(w.message) or "floored" in str(w.message) for w in caught)
    return float(result.statistic), float(result.pvalue), capped


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_anderson_matches_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    statistic, p_value, capped = _scipy_anderson(reference, current)
    result = anderson(reference, current)
    assert (result.method, result.n_reference, result.n_current) == ("anderson", n1, n2)
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.p_value == pytest.approx(p_value, rel=RTOL)
    assert result.details == {"p_value_capped": 1.0 if capped else 0.0}
    assert type(result.statistic) is float
    assert type(result.p_value) is float


def test_anderson_records_capped_and_floored_p_values() -> None:
    rng = np.random.default_rng(6)
    reference = rng.normal(size=200)
    floored = anderson(reference, reference + 3.0)
    assert (floored.p_value, floored.details["p_value_capped"]) == (0.001, 1.0)
    capped = anderson(reference, reference)
    assert (capped.p_value, capped.details["p_value_capped"]) == (0.25, 1.0)


def test_anderson_passes_other_warnings_on(monkeypatch: pytest.MonkeyPatch) -> None:
    original = scipy_stats.anderson_ksamp

    def noisy(*args: object, **kwargs: object) -> object:
        warnings.warn("something else", RuntimeWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(scipy_stats, "anderson_ksamp", noisy)
    with pytest.warns(RuntimeWarning, match="something else"):
        result = anderson([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.details == {"p_value_capped": 0.0}


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_cvm_matches_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    expected = scipy_stats.cramervonmises_2samp(reference, current)
    result = cvm(reference, current)
    assert (result.method, result.n_reference, result.n_current) == ("cvm", n1, n2)
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)
    assert type(result.statistic) is float
    assert type(result.p_value) is float


def test_cvm_on_constant_samples() -> None:
    result = cvm([1.0, 1.0, 1.0], [1.0, 1.0])
    expected = scipy_stats.cramervonmises_2samp([1.0, 1.0, 1.0], [1.0, 1.0])
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)


@settings(max_examples=60, deadline=None)
@given(reference=SAMPLES, current=SAMPLES, data=st.data())
def test_properties(reference: np.ndarray, current: np.ndarray, data: st.DataObject) -> None:
    assume(np.ptp(np.concatenate((reference, current))) > 0)
    order_reference = data.draw(st.permutations(range(reference.size)))
    order_current = data.draw(st.permutations(range(current.size)))
    for kernel in (anderson, cvm):
        result = kernel(reference, current)
        assert result.p_value is not None
        assert 0.0 <= result.p_value <= 1.0
        swapped = kernel(current, reference)
        assert swapped.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
        assert swapped.p_value == pytest.approx(result.p_value, rel=1e-9, abs=1e-12)
        shuffled = kernel(reference[order_reference], current[order_current])
        assert shuffled.statistic == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
    assert cvm(reference, current).statistic >= 0.0


@settings(max_examples=50, deadline=None)
@given(reference=SAMPLES)
def test_identical_samples_are_not_significant(reference: np.ndarray) -> None:
    assume(np.ptp(reference) > 0)
    assert anderson(reference, reference).p_value == 0.25  # scipy's cap: "at least 0.25"
    p_value = cvm(reference, reference).p_value
    assert p_value is not None
    assert p_value > 0.5


@pytest.mark.parametrize("kernel", [anderson, cvm])
@pytest.mark.parametrize("argument", ["reference", "current"])
def test_fewer_than_two_values_is_insufficient(kernel: object, argument: str) -> None:
    samples = {"reference": [1.0, 2.0], "current": [1.5, 2.5]}
    samples[argument] = [1.0]
    with pytest.raises(InsufficientDataError, match=rf"'{argument}' argument .* at least 2"):
        kernel(**samples)  # type: ignore[operator]


def test_anderson_needs_two_distinct_values() -> None:
    with pytest.raises(InsufficientDataError, match="distinct"):
        anderson([2.0, 2.0], [2.0, 2.0, 2.0])


@pytest.mark.parametrize("kernel", [anderson, cvm])
def test_non_finite_values_are_rejected(kernel: object) -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        kernel([1.0, np.nan, 2.0], [1.0, 3.0])  # type: ignore[operator]


@pytest.mark.parametrize("kernel", [anderson, cvm])
def test_assume_sorted_is_accepted_and_checked(kernel: object) -> None:
    reference, current = _data("normal", 30, 40, 7)
    sorted_result = kernel(np.sort(reference), np.sort(current), assume_sorted=True)  # type: ignore[operator]
    assert sorted_result == kernel(reference, current)  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match="must be sorted"):
        kernel([2.0, 1.0], [1.0, 3.0], assume_sorted=True)  # type: ignore[operator]
