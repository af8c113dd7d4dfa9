"""Mergeable summary of a numeric or datetime column: counts, moments, quantiles, histogram.

* Counts: rows ``n``, nulls ``n_missing``, NaN ``n_nan``, infinite ``n_inf``; the rest,
  ``n_valid``, are the finite values everything else describes.
* Moments: ``mean`` and ``m2`` (sum of squared deviations from the mean), merged with Chan,
  Golub and LeVeque's pairwise update (``_moments``), written symmetrically so
  ``a.merge(b)`` and ``b.merge(a)`` agree bit for bit.
* Quantiles: built from the values themselves, a summary of at most ``kll_k`` finite values
  keeps them all in a KLL sketch (Apache DataSketches), which is exact at that size; a
  summary of more keeps an exact quantile grid (:mod:`driftpilot.profile.grid`,
  ``quantile_grid`` cells) and an empty sketch that only records ``k``. Both are
  deterministic: the same values give the same bytes. A merge of summaries with values on
  both sides is a KLL sketch (the grids enter it as weighted points, adding their
  :attr:`QuantileGrid.rank_error` to :attr:`quantization_error`); its answers are within
  :attr:`rank_error` in rank (99 % confidence), and because DataSketches draws its
  compaction coin from an unseeded generator, two merges of the same summaries differ
  slightly in their bytes while both stay within the bound. With ``quantile_grid=0`` a
  summary of more than ``kll_k`` values is such a randomized sketch too (the format before
  schema version 2).
* Histogram: exact counts on bin edges, the column's own quantile edges (a profile built
  without a reference) or the reference profile's edges.

Datetime columns are summarised in seconds since the epoch (``numeric_values``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import datasketches
import numpy as np
import numpy.typing as npt

from driftpilot._columns import ColumnType, NumericValues
from driftpilot._typing import FloatArray, IntArray
from driftpilot.errors import (
    IncompatibleProfilesError,
    InsufficientDataError,
    InvalidParameterError,
    ProfileFormatError,
)
from driftpilot.profile._moments import merge_moments, moments
from driftpilot.profile._serial import Fields, b64, encode_float, load_sketch
from driftpilot.profile.grid import QuantileGrid
from driftpilot.profile.histogram import Histogram
from driftpilot.stats import bin_counts, quantile_edges

__all__ = ["NumericSummary"]

_KINDS = (ColumnType.NUMERIC, ColumnType.DATETIME)


@dataclass(frozen=True, slots=True, kw_only=True)
class NumericSummary:
    """Summary of the values of a numeric-kind column (``numeric`` or ``datetime``).

    Build one with :meth:`from_values` or :meth:`empty`; combine with :meth:`merge`.
    ``min``, ``max`` and ``mean`` are ``None`` when there is no finite value. ``kll`` holds
    the serialized KLL sketch (empty, recording only ``k``, when ``grid`` holds the
    quantiles); query either through :meth:`quantiles`, :meth:`cdf`,
    :meth:`weighted_sample` and :attr:`rank_error`. ``quantization_error`` is the rank
    error that exact grids added to the sketch when they were merged into it.
    """

    kind: ColumnType
    n: int
    n_missing: int
    n_nan: int
    n_inf: int
    min: float | None
    max: float | None
    mean: float | None
    m2: float
    kll: bytes = field(repr=False)
    histogram: Histogram | None = None
    grid: QuantileGrid | None = None
    quantization_error: float = 0.0
    _cache: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def empty(
        cls, kind: ColumnType, *, kll_k: int = 200, edges: FloatArray | None = None
    ) -> NumericSummary:
        """Return the summary of no rows: zero counts on ``edges`` if given."""
        sketch = datasketches.kll_doubles_sketch(kll_k)
        histogram = (
            None
            if edges is None
            else Histogram(edges=edges, counts=np.zeros(len(edges) - 1, dtype=np.int64))
        )
        return cls(
            kind=_check_kind(kind), n=0, n_missing=0, n_nan=0, n_inf=0, min=None, max=None,
            mean=None, m2=0.0, kll=sketch.serialize(), histogram=histogram,
        )  # fmt: skip

    @classmethod
    def from_values(
        cls,
        values: NumericValues,
        *,
        kind: ColumnType = ColumnType.NUMERIC,
        kll_k: int = 200,
        bins: int | None = 10,
        edges: FloatArray | None = None,
        grid: int = 0,
    ) -> NumericSummary:
        """Summarise the output of ``numeric_values``.

        Parameters
        ----------
        values
            A column's finite values and the counts of what was left out.
        kind
            ``numeric`` or ``datetime``.
        kll_k
            Size of the KLL sketch.
        bins
            Without ``edges``: build the histogram on ``quantile_edges(values, bins=bins)``
            (none if there are no finite values, or if ``bins`` is ``None``).
        edges
            Bin the values on these edges instead (a reference profile's).
        grid
            Past ``kll_k`` finite values, keep an exact quantile grid of this many cells
            instead of a randomized sketch (0: the sketch).
        """
        x = values.values
        sketch = datasketches.kll_doubles_sketch(kll_k)
        histogram = None
        quantile_grid = None
        ordered = x
        if x.size > kll_k and grid > 0:
            ordered = np.sort(x)
            quantile_grid = QuantileGrid.from_sorted(ordered, grid)
        elif x.size:
            # The binding only takes writeable arrays; Arrow's zero-copy arrays are read-only.
            sketch.update(x if x.flags.writeable else x.copy())
        if x.size and edges is None and bins is not None:
            edges = quantile_edges(ordered, bins=bins)
        if edges is not None:
            histogram = Histogram(edges=edges, counts=bin_counts(x, edges))
        low, high = (float(x.min()), float(x.max())) if x.size else (None, None)
        mean, m2 = moments(x, max(abs(low or 0.0), abs(high or 0.0)))
        summary = cls(
            kind=_check_kind(kind), n=values.n, n_missing=values.n_missing, n_nan=values.n_nan,
            n_inf=values.n_inf, min=low, max=high, mean=mean, m2=m2, kll=sketch.serialize(),
            histogram=histogram, grid=quantile_grid,
        )  # fmt: skip
        summary._cache.append(sketch)
        return summary
        summary._cache.append(sketch)
        return summary

    @property
    def n_valid(self) -> int:
        """Number of finite values."""
        return self.n - self.n_missing - self.n_nan - self.n_inf

    @property
    def variance(self) -> float | None:
        """Population variance (``ddof=0``) of the finite values, ``None`` without any."""
        return self.m2 / self.n_valid if self.n_valid else None

    @property
    def std(self) -> float | None:
        """Population standard deviation (``ddof=0``), ``None`` without any finite value."""
        variance = self.variance
        return None if variance is None else float(np.sqrt(variance))

    @property
    def kll_k(self) -> int:
        """Size parameter ``k`` of the KLL sketch."""
        return int(self._sketch().k)

    @property
    def rank_error(self) -> float:
        """Bound on the rank error of :meth:`quantiles` and :meth:`cdf`.

        With an exact grid, its :attr:`QuantileGrid.rank_error` (at most
        ``1 / quantile_grid``, with certainty). Otherwise 0 while the sketch is exact (it
        has kept every value), else DataSketches' single-sided normalized rank error for
        ``k``, which holds with 99 % confidence (about 0.0133 for ``k=200``), plus
        :attr:`quantization_error`.
        """
        if self.grid is not None:
            return self.grid.rank_error
        sketch = self._sketch()
        error = float(sketch.normalized_rank_error(False)) if sketch.is_estimation_mode() else 0.0
        return error + self.quantization_error

    def quantiles(self, qs: npt.ArrayLike) -> FloatArray:
        """Return the ``qs`` quantiles of the finite values, from the KLL sketch.

        The quantile at ``q`` is the smallest value ``x`` whose fraction of values ``<= x``
        is at least ``q``: ``numpy.quantile(..., method="inverted_cdf")`` while the sketch
        is exact, within :attr:`rank_error` in rank after.

        Raises
        ------
        InsufficientDataError
            The column has no finite value.
        """
        ranks = np.asarray(qs, dtype=np.float64).reshape(-1)
        if bool(np.any(~((ranks >= 0.0) & (ranks <= 1.0)))):
            raise InvalidParameterError(
                f"The 'qs' argument of NumericSummary.quantiles must hold numbers in [0, 1]. "
                f"Got {ranks.tolist()!r} instead."
            )
        sketch = self._nonempty_sketch("quantiles")
        if self.grid is not None:
            return self.grid.quantiles(ranks)
        return np.asarray(sketch.get_quantiles(ranks.tolist(), True), dtype=np.float64)

    def cdf(self, points: npt.ArrayLike) -> FloatArray:
        """Return the fraction of finite values ``<= x`` for each ``x`` in ``points``.

        Exact while the sketch is exact, within :attr:`rank_error` after. ``-inf`` gives 0
        and ``inf`` gives 1.

        Raises
        ------
        InsufficientDataError
            The column has no finite value.
        """
        x = np.asarray(points, dtype=np.float64).reshape(-1)
        if bool(np.any(np.isnan(x))):
            raise InvalidParameterError(
                "The 'points' argument of NumericSummary.cdf must not hold NaN. "
                f"Got {int(np.isnan(x).sum())} NaN values instead."
            )
        sketch = self._nonempty_sketch("cdf")
        if self.grid is not None:
            return self.grid.cdf(x)
        unique, inverse = np.unique(x, return_inverse=True)
        finite = np.isfinite(unique)
        at_unique = np.where(unique > 0, 1.0, 0.0)
        if finite.any():
            ranks = sketch.get_cdf(unique[finite].tolist(), True)[:-1]
            at_unique[finite] = np.asarray(ranks, dtype=np.float64)
        return np.asarray(at_unique[inverse.reshape(-1)], dtype=np.float64)

    def weighted_sample(self) -> tuple[FloatArray, IntArray]:
        """Return the distinct values the sketch keeps, sorted, and the weight of each.

        The weights sum to ``n_valid``; while the sketch is exact the values are the
        column's distinct finite values and the weights their counts. (The weights are read
        from the sketch's cumulative ranks: DataSketches 5.2's item iterator reports weight
        1 for every item of a merged sketch.)
        """
        if self.grid is not None:
            return self.grid.weighted_values()
        sketch = self._sketch()
        if self.n_valid == 0:
            return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
        values = np.unique(np.asarray([item for item, _ in sketch], dtype=np.float64))
        cumulative = np.asarray(sketch.get_cdf(values.tolist(), True)[:-1], dtype=np.float64)
        totals = np.rint(cumulative * self.n_valid).astype(np.int64)
        return values, np.diff(totals, prepend=0)

    def merge(self, other: NumericSummary) -> NumericSummary:
        """Return the summary of both inputs' values; neither input changes.

        Raises
        ------
        IncompatibleProfilesError
            ``other`` is of another kind, another sketch size, or has a histogram on other
            edges.
        """
        if not isinstance(other, NumericSummary) or other.kind != self.kind:
            found = getattr(other, "kind", type(other).__name__)
            raise IncompatibleProfilesError(
                f"a {self.kind.value} summary cannot be merged with a {found} summary."
            )
        if other.kll_k != self.kll_k:
            raise IncompatibleProfilesError(
                f"the KLL sketches have different sizes (k={self.kll_k} vs k={other.kll_k})."
            )
        mean, m2 = merge_moments(
            (self.n_valid, self.mean, self.m2), (other.n_valid, other.mean, other.m2)
        )
        return NumericSummary(
            kind=self.kind, n=self.n + other.n, n_missing=self.n_missing + other.n_missing,
            n_nan=self.n_nan + other.n_nan, n_inf=self.n_inf + other.n_inf,
            min=_pick(min, self.min, other.min), max=_pick(max, self.max, other.max),
            mean=mean, m2=m2, kll=_merge_sketches(self, other),
            histogram=_merge_histograms(self, other), **_merged_quantiles(self, other),
        )  # fmt: skip

    def mergeable_sketch(self) -> Any:
        """Return a new KLL sketch of this summary's values, to merge others into.

        The stored sketch, or, for a summary with an exact grid, a sketch of the grid's
        points weighted by :meth:`QuantileGrid.weighted_values` (within the grid's rank
        error of the values; a merge adds that error to :attr:`quantization_error`).
        """
        sketch = datasketches.kll_doubles_sketch.deserialize(self.kll)
        if self.grid is not None:
            points, weights = self.grid.weighted_values()
            sketch.update(np.repeat(points, weights))
        return sketch

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (floats exact, the sketch as base64)."""
        return {
            "kind": self.kind.value,
            "n": self.n,
            "n_missing": self.n_missing,
            "n_nan": self.n_nan,
            "n_inf": self.n_inf,
            "min": encode_float(self.min),
            "max": encode_float(self.max),
            "mean": encode_float(self.mean),
            "m2": encode_float(self.m2),
            "kll": b64(self.kll),
            "histogram": None if self.histogram is None else self.histogram.to_dict(),
            "grid": None if self.grid is None else self.grid.to_dict(),
            "quantization_error": encode_float(self.quantization_error),
        }

    @classmethod
    def from_dict(cls, data: object, *, where: str = "the numeric summary") -> NumericSummary:
        """Read a summary written by :meth:`to_dict`, checking that its parts agree."""
        fields = Fields(data, where)
        kind = fields.get_str("kind")
        if kind not in _KINDS:
            raise fields.fail("kind", "'numeric' or 'datetime'")
        kll = fields.get_sketch("kll")
        sketch = load_sketch(datasketches.kll_doubles_sketch, kll, fields, "kll")
        histogram = fields.raw("histogram")
        grid = fields.data.get("grid")  # absent before schema version 2
        n_valid = fields.get_int("n") - sum(
            fields.get_int(key) for key in ("n_missing", "n_nan", "n_inf")
        )
        quantile_grid = None
        if grid is not None and n_valid > 0:
            quantile_grid = QuantileGrid.from_dict(
                grid, n=n_valid, where=f"field 'grid' of {where}"
            )
        quantization = (
            fields.get_float("quantization_error") if "quantization_error" in fields.data else 0.0
        )
        if not 0.0 <= quantization <= 1.0:
            raise fields.fail("quantization_error", "a number in [0, 1]")
        summary = cls(
            kind=ColumnType(kind), n=fields.get_int("n"), n_missing=fields.get_int("n_missing"),
            n_nan=fields.get_int("n_nan"), n_inf=fields.get_int("n_inf"),
            min=fields.get_optional_float("min"), max=fields.get_optional_float("max"),
            mean=fields.get_optional_float("mean"), m2=fields.get_float("m2"), kll=kll,
            histogram=None if histogram is None else Histogram.from_dict(
                histogram, where=f"field 'histogram' of {where}"
            ), grid=quantile_grid, quantization_error=quantization,
        )  # fmt: skip
        held = sketch.n if quantile_grid is None else quantile_grid.n + sketch.n
        has_values = [v is not None for v in (summary.min, summary.max, summary.mean)]
        problem = (
            "its counts add up to more than n" if n_valid < 0
            else "it has a grid but no finite value" if grid is not None and n_valid <= 0
            else f"its {'grid' if quantile_grid else 'sketch'} holds {held} values, not "
            f"n_valid={n_valid}" if held != n_valid
            else "its grid does not span min to max"
            if quantile_grid is not None and (
                quantile_grid.values[0] != summary.min or quantile_grid.values[-1] != summary.max
            )
            else "min, max and mean must be null exactly when there is no finite value"
            if any(has_values) != bool(n_valid) or not (all(has_values) or not any(has_values))
            else "its histogram does not count n_valid values"
            if summary.histogram is not None and summary.histogram.total != n_valid
            else None
        )  # fmt: skip
        if problem is not None:
            raise ProfileFormatError(f"{where} is inconsistent: {problem}.")
        summary._cache.append(sketch)
        return summary

    def _sketch(self) -> Any:
        if not self._cache:
            self._cache.append(datasketches.kll_doubles_sketch.deserialize(self.kll))
        return self._cache[0]

    def _nonempty_sketch(self, method: str) -> Any:
        if self.n_valid == 0:
            raise InsufficientDataError(
                f"NumericSummary.{method} needs at least one finite value; this column has "
                f"none ({self.n} rows: {self.n_missing} null, {self.n_nan} NaN, "
                f"{self.n_inf} infinite)."
            )
        return self._sketch()


def _check_kind(kind: ColumnType) -> ColumnType:
    if kind not in _KINDS:
        raise InvalidParameterError(
            f"A NumericSummary describes a numeric or datetime column. Got kind {kind!r} instead."
        )
    return ColumnType(kind)


def _pick(choose: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else float(choose(a, b))


def _merge_sketches(a: NumericSummary, b: NumericSummary) -> bytes:
    if b.n_valid == 0:
        return a.kll
    if a.n_valid == 0:
        return b.kll
    merged = a.mergeable_sketch()
    merged.merge(b.mergeable_sketch() if b.grid is not None else b._sketch())
    return bytes(merged.serialize())


def _merged_quantiles(a: NumericSummary, b: NumericSummary) -> dict[str, Any]:
    """Return the grid and quantization error of a merge (a side without values keeps both)."""
    if b.n_valid == 0:
        return {"grid": a.grid, "quantization_error": a.quantization_error}
    if a.n_valid == 0:
        return {"grid": b.grid, "quantization_error": b.quantization_error}
    return {"grid": None, "quantization_error": merged_quantization_error([a, b])}


def merged_quantization_error(summaries: list[NumericSummary]) -> float:
    """Rank error the summaries' grids and earlier merges add to the sketch of their union.

    The union's CDF is the count-weighted mean of the parts', so each part's error enters
    weighted by its share of the values.
    """
    total = sum(s.n_valid for s in summaries)
    if total == 0:
        return 0.0
    parts = [
        s.n_valid * (s.grid.rank_error if s.grid is not None else s.quantization_error)
        for s in summaries
    ]
    return min(float(sum(parts)) / total, 1.0)


def _merge_histograms(a: NumericSummary, b: NumericSummary) -> Histogram | None:
    """Add histograms on equal edges; a side without values and without edges adds nothing."""
    ha, hb = a.histogram, b.histogram
    if ha is not None and hb is not None:
        return ha.merge(hb)
    if ha is None and hb is None:
        return None
    if (ha is None and a.n_valid == 0) or (hb is None and b.n_valid == 0):
        return hb if ha is None else ha
    raise IncompatibleProfilesError(
        "one summary has a histogram and the other, with values, has none (its reference "
        "had no bin edges for this column). Profile both data sets against the same "
        "reference profile with profile(data, reference=reference_profile)."
    )
