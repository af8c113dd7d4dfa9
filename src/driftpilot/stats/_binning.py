"""Quantile bin edges from a reference sample, and fast counting of values into them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.stats._validation import as_sample, check_finite, check_int, check_sorted

if TYPE_CHECKING:
    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = ["bin_counts", "quantile_edges", "sorted_quantiles"]


def quantile_edges(
    reference: npt.ArrayLike, *, bins: int = 10, assume_sorted: bool = False
) -> FloatArray:
    """Compute bin edges at the quantiles of a reference sample, open at both ends.

    The edges are ``numpy.unique(numpy.quantile(reference, numpy.linspace(0, 1, bins + 1)))``
    with the first replaced by ``-inf`` and the last by ``+inf``, so every finite value
    falls in a bin. Repeated quantiles (ties in the reference) merge bins, so there may be
    fewer than ``bins`` bins.

    Degenerate case: if that leaves fewer than 2 bins (the reference is constant, or its
    quantiles take only two values, as for a zero-inflated or binary variable), the edges
    are instead built around each distinct quantile value ``u_0 < ... < u_k``:
    ``[-inf, u_0, nextafter(u_0, inf), u_1, nextafter(u_1, inf), ..., +inf]``. Each
    ``u_i`` then has a bin of its own, ``[u_i, nextafter(u_i, inf))``, that holds exactly
    the values equal to it, with bins below, between and above.

    Parameters
    ----------
    reference
        Finite, non-empty sample.
    bins
        Number of quantile bins to aim for, at least 1.
    assume_sorted
        Whether ``reference`` is sorted (checked). Then the quantiles are read off it by
        index, with numpy's interpolation (bit for bit), instead of partitioning it again.

    Returns
    -------
    FloatArray
        Strictly increasing edges, starting at ``-inf`` and ending at ``+inf``, to use with
        :func:`bin_counts` (or ``numpy.histogram``); at least 3 edges (2 bins).

    References
    ----------
    .. [1] Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages.
       The American Statistician, 50(4), 361-365.

    Examples
    --------
    >>> from driftpilot.stats import quantile_edges
    >>> quantile_edges([1.0, 2.0, 3.0, 4.0, 5.0], bins=4).tolist()
    [-inf, 2.0, 3.0, 4.0, inf]
    >>> quantile_edges([0.0, 0.0, 0.0, 1.0], bins=2).tolist()
    [-inf, 0.0, 5e-324, 1.0, 1.0000000000000002, inf]
    """
    bins = check_int(bins, name="bins", func="quantile_edges", minimum=1)
    sample = as_sample(reference, name="reference", func="quantile_edges")
    probabilities = np.linspace(0.0, 1.0, bins + 1)
    if assume_sorted:
        check_sorted(sample, name="reference", func="quantile_edges")
    with np.errstate(over="ignore", invalid="ignore"):
        raw = (
            sorted_quantiles(sample, probabilities)
            if assume_sorted
            else np.quantile(sample, probabilities)
        )
    if not np.all(np.isfinite(raw)):
        # Interpolating between values near +-1.8e308 overflows; take the nearest order
        # statistic there instead, which is always finite.
        bad = ~np.isfinite(raw)
        raw[bad] = np.quantile(sample, probabilities[bad], method="inverted_cdf")
    quantiles = np.unique(raw)
    if quantiles.size >= 3:
        edges = quantiles.copy()
        edges[0], edges[-1] = -np.inf, np.inf
        return edges
    with np.errstate(over="ignore"):  # the largest float's successor is inf: the last edge
        above = np.nextafter(quantiles, np.inf)
    inner = np.column_stack((quantiles, above)).ravel()
    return np.unique(np.concatenate(([-np.inf], inner, [np.inf])))


def sorted_quantiles(sample: FloatArray, probabilities: FloatArray) -> FloatArray:
    """``numpy.quantile(sample, probabilities)`` (method ``"linear"``) of a sorted sample.

    The same operations as numpy's (virtual index ``(n - 1) q``, its floor and the next
    index, numpy's two-sided ``lerp``), so the result is equal bit for bit, without the
    ``partition`` numpy runs on the whole sample.
    """
    virtual = (sample.size - 1) * probabilities
    previous = np.floor(virtual)
    gamma = virtual - previous
    below = np.clip(previous.astype(np.intp), 0, sample.size - 1)
    above = np.clip(below + 1, 0, sample.size - 1)
    a, b = sample[below], sample[above]
    diff_b_a = b - a
    out = a + diff_b_a * gamma
    np.subtract(b, diff_b_a * (1 - gamma), out=out, where=gamma >= 0.5)
    return np.asarray(out, dtype=np.float64)


def bin_counts(
    values: npt.ArrayLike, edges: npt.ArrayLike, *, assume_sorted: bool = False
) -> IntArray:
    """Count values into bins, exactly as ``numpy.histogram(values, edges)`` does.

    Bins are half-open ``[edges[i], edges[i + 1])`` except the last, which is closed;
    values outside ``[edges[0], edges[-1]]`` are not counted. With the open-ended edges of
    :func:`quantile_edges` every value is counted, in one ``searchsorted`` and one
    ``bincount``, several times faster than ``numpy.histogram``.

    Parameters
    ----------
    values
        Finite sample, possibly empty.
    edges
        Strictly increasing bin edges, at least 2, not NaN (infinite ends allowed).
    assume_sorted
        Whether ``values`` is sorted (checked). Then the counts come from one binary search
        per edge instead of one per value.

    Returns
    -------
    IntArray
        Count per bin, ``len(edges) - 1`` of them.

    Examples
    --------
    >>> import numpy as np
    >>> from driftpilot.stats import bin_counts
    >>> bin_counts([0.5, 1.0, 2.0, 3.0, 7.0], [-np.inf, 1.0, 2.0, np.inf]).tolist()
    [1, 1, 3]
    """
    edge_array = np.asarray(edges, dtype=np.float64)
    if (
        edge_array.ndim != 1
        or edge_array.size < 2
        or bool(np.any(np.isnan(edge_array)))
        or bool(np.any(edge_array[1:] <= edge_array[:-1]))
    ):
        msg = (
            "The 'edges' argument of bin_counts must be a 1-D array of at least 2 strictly "
            f"increasing numbers. Got {edge_array.tolist()!r} instead."
        )
        raise InvalidParameterError(msg)
    sample = np.asarray(values, dtype=np.float64)
    if sample.ndim != 1:
        msg = (
            "The 'values' argument of bin_counts must be a 1-D array. "
            f"Got an array of shape {sample.shape} instead."
        )
        raise InvalidParameterError(msg)
    check_finite(sample, name="values", func="bin_counts")
    if assume_sorted:
        check_sorted(sample, name="values", func="bin_counts")
        starts = np.searchsorted(sample, edge_array[:-1], side="left")
        end = np.searchsorted(sample, edge_array[-1:], side="right")
        return np.diff(np.concatenate((starts, end))).astype(np.int64, copy=False)
    n_bins = edge_array.size - 1
    if edge_array[0] > -np.inf or edge_array[-1] < np.inf:
        sample = sample[(sample >= edge_array[0]) & (sample <= edge_array[-1])]
    indices = np.searchsorted(edge_array[1:-1], sample, side="right")
    return np.bincount(indices, minlength=n_bins).astype(np.int64, copy=False)
