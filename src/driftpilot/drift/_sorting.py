"""Sorting finite float samples, the one cost no kernel can avoid.

Sorting a million float64 values takes about 53 ms with ``numpy.sort`` on this project's
2-core reference machine and about 29 ms with polars' sort on one thread (measured in
``benchmarks/bench_compare.py``). Polars is an optional dependency (``driftpilot[polars]``),
so it is used when it can be imported and ``DRIFTPILOT_SORT`` is not ``"numpy"``. This
lives in ``drift``, not ``stats``, because the kernels depend on numpy and scipy only; the
kernels accept ``assume_sorted=True`` so that ``compare`` sorts once, here. Both give
the same order: the samples are finite, and values that compare equal (``-0.0`` and
``0.0``) are interchangeable in every statistic.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from driftpilot._typing import FloatArray

__all__ = ["sort_backend", "sort_sample"]

# Below this size the cost of handing the array to polars outweighs the faster sort.
_POLARS_MIN_SIZE = 50_000


@cache
def _polars() -> Any:
    if os.environ.get("DRIFTPILOT_SORT", "").lower() == "numpy":
        return None
    try:
        import polars
    except ImportError:
        return None
    return polars


def sort_backend() -> str:
    """Return ``"polars"`` or ``"numpy"``: what :func:`sort_sample` uses for large samples."""
    return "numpy" if _polars() is None else "polars"


def sort_sample(values: FloatArray) -> FloatArray:
    """Return the finite float64 ``values`` sorted in ascending order (a new array)."""
    polars = _polars()
    if polars is None or values.size < _POLARS_MIN_SIZE:
        return np.sort(values)
    sorted_values = polars.Series(values).sort().to_numpy()
    return np.asarray(sorted_values, dtype=np.float64)
