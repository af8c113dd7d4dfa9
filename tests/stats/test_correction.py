"""adjust_pvalues against statsmodels.stats.multitest.multipletests (rtol 1e-12)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from statsmodels.stats.multitest import multipletests

from driftpilot.errors import InvalidParameterError
from driftpilot.stats import CORRECTION_METHODS, adjust_pvalues

P_VALUES = hnp.arrays(
    np.float64,
    st.integers(0, 30),
    elements=st.one_of(st.sampled_from([0.0, 0.01, 0.05, 1.0]), st.floats(0.0, 1.0)),
)


def _data_sets() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [
        np.array([0.5]),
        np.array([0.01, 0.04, 0.03, 0.2]),
        rng.uniform(size=50),
        np.concatenate((rng.uniform(0, 0.01, size=10), rng.uniform(size=90))),
        np.array([0.0, 1.0, 0.02, 0.02, 0.02, 0.5, 0.5]),  # ties and the bounds
    ]


@pytest.mark.parametrize("method", CORRECTION_METHODS)
@pytest.mark.parametrize("p_values", _data_sets())
def test_matches_statsmodels(method: str, p_values: np.ndarray) -> None:
    expected = multipletests(p_values, method=method)[1]
    np.testing.assert_allclose(adjust_pvalues(p_values, method=method), expected, rtol=1e-12)


def test_methods_are_sorted_and_known() -> None:
    assert (
        tuple(sorted(CORRECTION_METHODS)) == CORRECTION_METHODS == ("bonferroni", "fdr_bh", "holm")
    )


@pytest.mark.parametrize("method", CORRECTION_METHODS)
def test_empty_input_gives_empty_output(method: str) -> None:
    result = adjust_pvalues([], method=method)
    assert result.shape == (0,)
    assert result.dtype == np.float64


@settings(max_examples=100, deadline=None)
@given(p_values=P_VALUES, data=st.data())
def test_properties(p_values: np.ndarray, data: st.DataObject) -> None:
    order = np.array(data.draw(st.permutations(range(p_values.size))), dtype=np.intp)
    for method in CORRECTION_METHODS:
        adjusted = adjust_pvalues(p_values, method=method)
        assert np.all(adjusted >= p_values)
        assert np.all(adjusted <= 1.0)
        # Adjusting keeps the order of the p-values, and follows a reordering of them.
        ranks = np.argsort(p_values, kind="stable")
        assert np.all(np.diff(adjusted[ranks]) >= 0)
        np.testing.assert_array_equal(adjust_pvalues(p_values[order], method=method),
                                      adjusted[order])  # fmt: skip
    holm = adjust_pvalues(p_values, method="holm")
    assert np.all(holm <= adjust_pvalues(p_values, method="bonferroni"))
    assert np.all(adjust_pvalues(p_values, method="fdr_bh") <= holm * (1 + 1e-12))


def test_unknown_method_lists_the_allowed_ones() -> None:
    message = (
        r"The 'method' parameter of adjust_pvalues must be one of 'bonferroni', 'fdr_bh', "
        r"'holm'\. Got 'sidak' instead\."
    )
    with pytest.raises(InvalidParameterError, match=message):
        adjust_pvalues([0.1], method="sidak")


@pytest.mark.parametrize("p_values", [[0.1, 1.5], [-0.1], [np.nan], [[0.1, 0.2]], 0.5, ["a"]])
def test_bad_p_values_are_rejected(p_values: object) -> None:
    with pytest.raises(InvalidParameterError, match="'p_values' argument of adjust_pvalues"):
        adjust_pvalues(p_values, method="holm")  # type: ignore[arg-type]
