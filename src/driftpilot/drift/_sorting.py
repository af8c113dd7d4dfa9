"""Sorting finite float samples, the one cost no kernel can avoid.

Which sort is fastest depends on the CPU and on numpy's build: numpy 2 sorts float64 with
SIMD kernels (AVX2, AVX-512) and beat polars' sort by 2x to 4x on the two machines this
project measured (an AVX-512 Xeon and an AVX2 EPYC), while a numpy without them can lose
to polars. So the choice is measured, once per process, on the machine at hand: the first
time a sample of at least ``_MIN_SIZE`` values is sorted and polars can be imported, both
sort the same seeded 2**17 values twice and the faster one (best of two) is kept. Ties go
to numpy, which has no thread pool to fight other processes for the cores.
``DRIFTPILOT_SORT=numpy`` or ``=polars`` skips the measurement.

This lives in ``drift``, not ``stats``, because the kernels depend on numpy and scipy only;
the kernels accept ``assume_sorted=True`` so that ``compare`` sorts once, here. Both give
the same order: the samples are finite, and values that compare equal (``-0.0`` and
``0.0``) are interchangeable in every statistic.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["sort_backend", "sort_sample"]

# Below this size the cost of handing the array to polars outweighs any faster sort.
_MIN_SIZE = 50_000
_PROBE_SIZE = 2**17


@cache
def _polars() -> Any:
    """Return the polars module if its sort is to be used for large samples, else ``None``."""
    forced = os.environ.get("DRIFTPILOT_SORT", "").lower()
    if forced == "numpy":
        return None
    try:
        import polars
    except ImportError:
        return None
    if forced == "polars":
        return polars
    probe = np.random.default_rng(0).normal(size=_PROBE_SIZE)
    return (
        polars
        if _best_of(lambda: _polars_sort(polars, probe)) < _best_of(lambda: np.sort(probe))
        else None
    )


def _best_of(run: Any, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _polars_sort(polars: Any, values: FloatArray) -> FloatArray:
    return np.asarray(polars.Series(values).sort().to_numpy(), dtype=np.float64)


def sort_backend() -> str:
    """Return ``"polars"`` or ``"numpy"``: what :func:`sort_sample` uses for large samples."""
    return "numpy" if _polars() is None else "polars"


def sort_sample(values: FloatArray) -> FloatArray:
    """Return the finite float64 ``values`` sorted in ascending order (a new array)."""
    if values.size < _MIN_SIZE:
        return np.sort(values)
    polars = _polars()
    if polars is None:
        return np.sort(values)
    return _polars_sort(polars, values)
