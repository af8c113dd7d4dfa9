"""moments and merge_moments against numpy, symmetry, and the empty sample."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftpilot.profile._moments import merge_moments, moments

samples = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60)


def summary(x: np.ndarray) -> tuple[int, float | None, float]:
    mean, m2 = moments(x, float(np.max(np.abs(x))) if x.size else 0.0)
    return x.size, mean, m2


@settings(max_examples=50, deadline=None)
@given(a=samples, b=samples)
def test_merge_matches_numpy_on_the_concatenation_and_is_symmetric(
    a: list[float], b: list[float]
) -> None:
    xa, xb = np.array(a), np.array(b)
    whole = np.concatenate([xa, xb])
    mean, m2 = merge_moments(summary(xa), summary(xb))
    assert (mean, m2) == merge_moments(summary(xb), summary(xa))  # bit for bit
    scale = float(np.max(np.abs(whole))) or 1.0
    # Reference: numpy's two-pass mean and variance; tolerance 1e-12 relative, with an
    # absolute floor for results near 0 (cancellation) that never drops into subnormal
    # numbers, where float64 keeps only a few significant digits.
    floor = 1e-300
    assert mean == pytest.approx(np.mean(whole), rel=1e-12, abs=max(1e-12 * scale, floor))
    assert m2 / whole.size == pytest.approx(
        np.var(whole), rel=1e-12, abs=max(1e-12 * scale**2, floor)
    )


def test_the_empty_sample_is_the_identity() -> None:
    x = np.array([1.0, 2.0, 4.0])
    empty = summary(np.empty(0))
    assert empty == (0, None, 0.0)
    assert merge_moments(summary(x), empty) == summary(x)[1:]
    assert merge_moments(empty, summary(x)) == summary(x)[1:]
    assert merge_moments(empty, empty) == (None, 0.0)


def test_moments_of_a_sample() -> None:
    mean, m2 = moments(np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 9.0)
    assert (mean, m2) == (5.0, 32.0)  # the textbook example: variance 4, std 2
