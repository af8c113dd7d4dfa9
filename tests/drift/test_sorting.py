"""sort_sample: numpy or polars, whichever is chosen, sorts exactly like numpy."""

from __future__ import annotations

import numpy as np
import pytest

from driftpilot.drift import _sorting
from driftpilot.drift._sorting import sort_backend, sort_sample


@pytest.mark.parametrize("size", [10, 60_000, 200_001])
def test_sort_sample_equals_numpy_sort(size: int) -> None:
    rng = np.random.default_rng(size)
    values = np.round(rng.normal(size=size), 2)  # many ties
    values[:3] = [0.0, -0.0, 0.0]
    got = sort_sample(values)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.sort(values))
    assert values[1] == 0.0  # the input is left alone


def test_numpy_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    _sorting._polars.cache_clear()
    monkeypatch.setenv("DRIFTPILOT_SORT", "numpy")
    try:
        assert sort_backend() == "numpy"
        values = np.random.default_rng(0).normal(size=100_000)
        np.testing.assert_array_equal(sort_sample(values), np.sort(values))
    finally:
        _sorting._polars.cache_clear()


@pytest.mark.parametrize("forced", ["polars", ""])
def test_polars_sorts_like_numpy_when_chosen(monkeypatch: pytest.MonkeyPatch, forced: str) -> None:
    pytest.importorskip("polars")
    _sorting._polars.cache_clear()
    monkeypatch.setenv("DRIFTPILOT_SORT", forced)
    try:
        # Forced, polars; measured, whichever sorted the probe faster on this machine.
        assert sort_backend() == "polars" if forced else sort_backend() in ("numpy", "polars")
        values = np.round(np.random.default_rng(1).normal(size=120_000), 3)
        np.testing.assert_array_equal(sort_sample(values), np.sort(values))
    finally:
        _sorting._polars.cache_clear()
