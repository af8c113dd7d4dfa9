"""An exact quantile grid: a fixed set of a column's order statistics with their exact ranks.

A summary built directly from a column of more than ``kll_k`` finite values keeps, instead
of a randomized KLL sketch, the values at these 1-based ranks of the sorted column:

* ``ceil(i * n / cells)`` for ``i = 0 .. cells`` (``cells`` is ``ProfileConfig.quantile_grid``);
* ``1 + 2**j`` and ``n - 2**j`` for every ``2**j < n / cells`` (the tails, on a geometric
  scale, so that a heavy tail's extreme values are known closely too);

and, for each distinct one, the exact number of values below it (``below``) and at or below
it (``at_or_below``). The grid is a deterministic function of the values (same data, same
bytes, in any row order) and gives a band that holds the column's CDF with certainty: for
``x`` in ``[v[j], v[j+1])``, ``at_or_below[j] <= n * F(x) <= below[j + 1]``. Between two
consecutive points at most ``n / cells`` values are left out, so the band is at most
``1 / cells`` wide (:attr:`QuantileGrid.rank_error`), and 0 wide wherever the data holds
no value between two points (a column with few distinct values is known exactly).

Order statistics do not merge: the merge of two grids is a KLL sketch of the grids' values
weighted by their cells (see ``NumericSummary.merge``).

Saved form: ``{"values": <base64 of float64 LE>, "below": <base64 of uint64 LE>,
"at_or_below": <base64 of uint64 LE>}``; about 24 bytes a point (32 in base64).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot._typing import FloatArray, IntArray
from driftpilot.errors import ProfileFormatError
from driftpilot.profile._serial import Fields, b64

__all__ = ["QuantileGrid", "grid_ranks"]


def grid_ranks(n: int, cells: int) -> IntArray:
    """Return the sorted distinct 1-based ranks a grid of ``cells`` keeps for ``n`` values."""
    uniform = np.ceil(np.arange(cells + 1, dtype=np.float64) * (n / cells)).astype(np.int64)
    steps = []
    step = 1
    while step < n / cells:
        steps.append(step)
        step *= 2
    tail = np.asarray(steps, dtype=np.int64)
    ranks = np.concatenate([uniform, 1 + tail, n - tail, np.asarray([1, n], dtype=np.int64)])
    return np.unique(np.clip(ranks, 1, n))


@dataclass(frozen=True, slots=True, eq=False)
class QuantileGrid:
    """Distinct order statistics of a column and the exact counts below and at each.

    Build one with :meth:`from_sorted`. ``values`` is strictly increasing; ``below`` and
    ``at_or_below`` are the numbers of values ``< v`` and ``<= v`` (so the first point is
    the minimum, with ``below[0] == 0``, and the last the maximum, with
    ``at_or_below[-1] == n``).
    """

    values: FloatArray
    below: IntArray
    at_or_below: IntArray
    n: int

    @classmethod
    def from_sorted(cls, x: FloatArray, cells: int) -> QuantileGrid:
        """Return the grid of ``cells`` cells of the sorted finite values ``x``."""
        values = np.unique(x[grid_ranks(int(x.size), cells) - 1])
        below = np.searchsorted(x, values, side="left").astype(np.int64)
        at_or_below = np.searchsorted(x, values, side="right").astype(np.int64)
        return cls(values=values, below=below, at_or_below=at_or_below, n=int(x.size))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuantileGrid):
            return NotImplemented
        return (
            self.n == other.n
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.below, other.below)
            and np.array_equal(self.at_or_below, other.at_or_below)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def rank_error(self) -> float:
        """Widest band between two points, as a fraction of ``n`` (at most ``1 / cells``)."""
        if self.values.size < 2:
            return 0.0
        gaps = self.below[1:] - self.at_or_below[:-1]
        return float(gaps.max()) / self.n

    def band(self, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return lower and upper bounds of ``F(x)`` at each point.

        They hold for every ``x`` from the point up to the next grid point above it.
        """
        j = np.searchsorted(self.values, points, side="right") - 1
        inside = j >= 0
        jj = np.where(inside, j, 0)
        low = np.where(inside, self.at_or_below[jj], 0)
        nxt = np.minimum(jj + 1, self.values.size - 1)
        high = np.where(inside, np.where(jj + 1 < self.values.size, self.below[nxt], self.n), 0)
        return low / self.n, high / self.n

    def cdf(self, points: FloatArray) -> FloatArray:
        """Return the middle of the band at each point: within ``rank_error / 2`` of ``F``."""
        low, high = self.band(points)
        exact = np.searchsorted(self.values, points)
        at_point = (exact < self.values.size) & (
            self.values[np.minimum(exact, self.values.size - 1)] == points
        )
        middle = (low + high) / 2
        # At a grid point itself F is known exactly.
        return np.where(at_point, low, middle)

    def quantiles(self, ranks: FloatArray) -> FloatArray:
        """Return, per rank ``q``, the smallest grid value with ``ceil(q * n)`` values at or below.

        Exact at the grid's own ranks; otherwise the true quantile's rank is within
        :attr:`rank_error` of the returned value's.
        """
        target = np.maximum(np.ceil(ranks * self.n), 1)
        j = np.searchsorted(self.at_or_below, target, side="left")
        return np.asarray(self.values[np.minimum(j, self.values.size - 1)], dtype=np.float64)

    def weighted_values(self) -> tuple[FloatArray, IntArray]:
        """Return the points and the number of values each stands for in a merge.

        A point stands for its own ties and for the values strictly between it and the next
        point, so the CDF of the weighted points is the band's upper bound: within
        :attr:`rank_error` of the column's.
        """
        nxt = np.append(self.below[1:], self.n)
        return self.values, nxt - self.below

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (three base64 arrays)."""
        return {
            "values": b64(self.values.astype("<f8").tobytes()),
            "below": b64(self.below.astype("<u8").tobytes()),
            "at_or_below": b64(self.at_or_below.astype("<u8").tobytes()),
        }

    @classmethod
    def from_dict(cls, data: object, *, n: int, where: str) -> QuantileGrid:
        """Read a grid written by :meth:`to_dict` for a column of ``n`` finite values."""
        fields = Fields(data, where)
        arrays = {}
        for key, dtype in (("values", "<f8"), ("below", "<u8"), ("at_or_below", "<u8")):
            raw = fields.get_sketch(key)
            if len(raw) % 8:
                raise fields.fail(key, "a base64 array of 8-byte numbers")
            arrays[key] = np.frombuffer(raw, dtype=dtype)
        values = arrays["values"].astype(np.float64)
        below = arrays["below"].astype(np.int64)
        at_or_below = arrays["at_or_below"].astype(np.int64)
        problem = (
            "its arrays differ in length"
            if not (values.size == below.size == at_or_below.size)
            else "it is empty" if values.size == 0
            else "its values are not finite and strictly increasing"
            if not (np.all(np.isfinite(values)) and np.all(np.diff(values) > 0))
            else "its counts are not increasing from 0 to n"
            if not (
                below[0] == 0 and at_or_below[-1] == n and np.all(below < at_or_below)
                and np.all(at_or_below[:-1] <= below[1:])
            )
            else None
        )  # fmt: skip
        if problem is not None:
            raise ProfileFormatError(f"{where} is inconsistent: {problem}.")
        return cls(values=values, below=below, at_or_below=at_or_below, n=n)
