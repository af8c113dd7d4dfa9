"""ks and ks_pvalue against scipy.stats.ks_2samp (relative tolerance 1e-9)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as scipy_stats

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import MAX_AUTO_N, ks, ks_pvalue

RTOL = 1e-9

VALUES = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
SAMPLES = hnp.arrays(np.float64, st.integers(1, 40), elements=VALUES)


def _data(kind: str, n1: int, n2: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=n1), rng.normal(0.03, 1.1, size=n2)
    if kind == "rounded":
        return np.round(rng.normal(size=n1), 1), np.round(rng.normal(0.05, size=n2), 1)
    if kind == "integers":
        return (
            rng.integers(0, 10, size=n1).astype(float),
            rng.integers(0, 11, size=n2).astype(float),
        )
    return rng.exponential(size=n1), rng.lognormal(size=n2)  # "skewed"


CASES = [
    ("normal", 40, 70, 0),
    ("normal", 1000, 1000, 1),
    ("rounded", 500, 3000, 2),
    ("integers", 200, 150, 3),
    ("normal", 10_000, 9_973, 4),  # largest exact case with unequal n
    ("skewed", 3, 10_000, 5),
    ("normal", 10_001, 10_001, 6),  # smallest asymptotic case
    ("normal", 20_000, 15_000, 7),
    ("rounded", 30_000, 12_000, 8),  # ties within and across samples
    ("integers", 25_000, 40_000, 9),
    ("skewed", 11_000, 2, 10),
    ("skewed", 50_000, 50_000, 11),
]


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_ks_matches_scipy(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    expected = scipy_stats.ks_2samp(reference, current)
    result = ks(reference, current)
    assert result.method == "ks"
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)
    assert (result.n_reference, result.n_current) == (n1, n2)
    assert type(result.statistic) is float
    assert type(result.p_value) is float


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_assume_sorted_gives_the_same_result(kind: str, n1: int, n2: int, seed: int) -> None:
    reference, current = _data(kind, n1, n2, seed)
    presorted = ks(np.sort(reference), np.sort(current), assume_sorted=True)
    assert presorted == ks(reference, current)


def test_shifted_large_samples_have_tiny_p_value() -> None:
    reference, current = _data("normal", 20_000, 20_000, 12)
    result = ks(reference, current + 0.5)
    expected = scipy_stats.ks_2samp(reference, current + 0.5)
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL, abs=1e-300)
    assert result.p_value < 1e-100


@pytest.mark.parametrize(
    ("n1", "n2", "statistic"),
    [(1, 1, 1.0), (5, 3, 0.4), (100, 90, 0.2), (12_000, 30_000, 0.01), (10**6, 10**6, 0.002)],
)
def test_ks_pvalue_asymptotic_matches_scipy(n1: int, n2: int, statistic: float) -> None:
    # scipy's asymptotic p-value for this statistic, from its own formula in ks_2samp.
    m, n = max(n1, n2), min(n1, n2)
    effective_n = max(1.0, float(np.round(m * n / (m + n))))
    expected = float(np.clip(scipy_stats.kstwo.sf(statistic, effective_n), 0, 1))
    assert ks_pvalue(statistic, n1, n2) == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(("kind", "n1", "n2", "seed"), CASES)
def test_ks_pvalue_from_an_exact_statistic_matches_ks(
    kind: str, n1: int, n2: int, seed: int
) -> None:
    reference, current = _data(kind, n1, n2, seed)
    result = ks(reference, current)
    if max(n1, n2) > MAX_AUTO_N:
        assert ks_pvalue(result.statistic, n1, n2) == pytest.approx(result.p_value, rel=RTOL)
    assert ks_pvalue(result.statistic, n1, n2, method="auto") == pytest.approx(
        result.p_value, rel=RTOL
    )


def test_ks_pvalue_asymptotic_is_close_to_exact_for_moderate_sizes() -> None:
    reference, current = _data("normal", 2000, 1500, 13)
    result = ks(reference, current)
    assert ks_pvalue(result.statistic, 2000, 1500) == pytest.approx(result.p_value, abs=0.02)


@pytest.mark.parametrize(
    ("statistic", "n1", "n2", "method"),
    [(-0.1, 5, 5, "asymp"), (1.5, 5, 5, "asymp"), (float("nan"), 5, 5, "asymp"),
     (True, 5, 5, "asymp"), (0.5, 0, 5, "asymp"), (0.5, 5, 2.5, "asymp"),
     (0.5, 5, 5, "exact")],
)  # fmt: skip
def test_ks_pvalue_rejects_bad_parameters(statistic: float, n1: int, n2: int, method: str) -> None:
    with pytest.raises(InvalidParameterError, match="ks_pvalue"):
        ks_pvalue(statistic, n1, n2, method=method)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(reference=SAMPLES, current=SAMPLES)
def test_properties(reference: np.ndarray, current: np.ndarray) -> None:
    forward = ks(reference, current)
    backward = ks(current, reference)
    assert 0.0 <= forward.statistic <= 1.0
    assert forward.p_value is not None
    assert 0.0 <= forward.p_value <= 1.0
    assert backward.statistic == pytest.approx(forward.statistic, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-15)
    same = ks(reference, reference)
    assert same.statistic == 0.0
    assert same.p_value == 1.0


@settings(max_examples=50, deadline=None)
@given(reference=SAMPLES, current=SAMPLES, data=st.data())
def test_order_of_values_does_not_matter(
    reference: np.ndarray, current: np.ndarray, data: st.DataObject
) -> None:
    order_reference = data.draw(st.permutations(range(reference.size)))
    order_current = data.draw(st.permutations(range(current.size)))
    shuffled = ks(reference[order_reference], current[order_current])
    assert shuffled == ks(reference, current)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(0, 0.1), ties=st.booleans())
def test_large_sample_properties(seed: int, shift: float, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=12_000)
    current = rng.normal(shift, size=10_500)
    if ties:
        reference, current = np.round(reference, 1), np.round(current, 1)
    forward, backward = ks(reference, current), ks(current, reference)
    assert forward.statistic == backward.statistic
    assert forward.p_value == pytest.approx(backward.p_value, rel=1e-12)
    assert forward.p_value is not None
    assert 0.0 <= forward.p_value <= 1.0
    shuffled = ks(rng.permutation(reference), rng.permutation(current))
    assert shuffled == forward
    same = ks(reference, reference)
    assert (same.statistic, same.p_value) == (0.0, 1.0)


@pytest.mark.parametrize("argument", ["reference", "current"])
def test_empty_sample_is_insufficient(argument: str) -> None:
    samples = {"reference": np.array([1.0, 2.0]), "current": np.array([1.5])}
    samples[argument] = np.array([])
    with pytest.raises(InsufficientDataError, match=f"'{argument}' argument of ks"):
        ks(**samples)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(InvalidParameterError, match="'current' argument of ks must contain"):
        ks(np.array([1.0, 2.0]), np.array([0.5, bad]))


def test_two_dimensional_input_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="1-D"):
        ks(np.ones((2, 2)), np.ones(3))


def test_non_numeric_input_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="array of numbers"):
        ks(["a", "b"], [1.0])


@pytest.mark.parametrize("n", [5, 20_000])
def test_unsorted_input_with_assume_sorted_is_rejected(n: int) -> None:
    values = np.arange(n, dtype=float)[::-1]
    with pytest.raises(InvalidParameterError, match="must be sorted"):
        ks(values, np.arange(3.0), assume_sorted=True)


def test_details_say_whether_the_p_value_is_exact() -> None:
    reference, current = _data("normal", 100, 80, 14)
    assert ks(reference, current).details == {"exact": 1.0}
    reference, current = _data("normal", 10_001, 80, 14)
    assert ks(reference, current).details == {"exact": 0.0}


def test_failed_exact_computation_is_recorded_not_warned() -> None:
    # scipy's exact routine fails for these sizes and statistic; it warns and falls back.
    reference = np.zeros(36)
    current = np.concatenate((np.zeros(35), [1.0]))
    with pytest.warns(RuntimeWarning, match="Exact calculation unsuccessful"):
        expected = scipy_stats.ks_2samp(reference, current)
    result = ks(reference, current)
    assert result.details == {"exact": 0.0}
    assert result.statistic == pytest.approx(float(expected.statistic), rel=RTOL)
    assert result.p_value == pytest.approx(float(expected.pvalue), rel=RTOL)


def test_ks_pvalue_auto_falls_back_to_asymptotic_when_exact_fails() -> None:
    # The same sizes and statistic as above, where scipy's exact routine fails.
    assert ks_pvalue(1 / 36, 36, 36, method="auto") == ks_pvalue(1 / 36, 36, 36)


def test_ks_pvalue_auto_without_scipys_private_routine(monkeypatch: pytest.MonkeyPatch) -> None:
    # The package exports the function ks, which hides the module of the same name.
    module = importlib.import_module("driftpilot.stats.ks")
    monkeypatch.setattr(module, "_attempt_exact", None)
    assert ks_pvalue(0.75, 4, 4, method="auto") == ks_pvalue(0.75, 4, 4)


def test_ks_pvalue_accepts_numpy_numbers() -> None:
    assert ks_pvalue(np.float64(0.5), np.int64(20), np.int32(30)) == ks_pvalue(0.5, 20, 30)


@settings(max_examples=100, deadline=None)
@given(reference=SAMPLES, current=SAMPLES)
def test_sorted_statistic_equals_scipy_on_small_samples(
    reference: np.ndarray, current: np.ndarray
) -> None:
    # The fast path normally runs only above MAX_AUTO_N; here it meets scipy on small,
    # tie-heavy samples too, bit for bit. method="asymp" because the exact method snaps
    # the statistic to the nearest multiple of 1/lcm(n, m), which can move the last bit.
    from driftpilot.stats.ks import _sorted_statistic

    with np.errstate(divide="ignore", invalid="ignore"):  # its p-value for n = 1
        expected = scipy_stats.ks_2samp(reference, current, method="asymp").statistic
    assert _sorted_statistic(np.sort(reference), np.sort(current)) == expected
