"""Exact counts of a column's finite values on fixed bin edges.

Bins are ``[edges[i], edges[i + 1])``, the last one closed, as ``numpy.histogram`` counts;
the edges start at ``-inf`` and end at ``+inf`` so every finite value is counted. Two
histograms merge only on identical edges: counts on different edges cannot be combined
exactly, and driftpilot never re-bins silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot._typing import FloatArray, IntArray
from driftpilot.errors import IncompatibleProfilesError, InvalidParameterError, ProfileFormatError
from driftpilot.profile._serial import Fields, encode_floats

__all__ = ["Histogram"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Histogram:
    """Counts of values per bin.

    Parameters
    ----------
    edges
        Strictly increasing bin edges, ``len(counts) + 1`` of them, from ``-inf`` to ``+inf``.
    counts
        Number of values in each bin.

    Both arrays are copied and made read-only.

    Examples
    --------
    >>> import numpy as np
    >>> h = Histogram(edges=np.array([-np.inf, 0.0, np.inf]), counts=np.array([2, 3]))
    >>> h.merge(h).counts.tolist()
    [4, 6]
    """

    edges: FloatArray
    counts: IntArray

    def __post_init__(self) -> None:
        edges = np.array(self.edges, dtype=np.float64, copy=True).reshape(-1)
        counts = np.array(self.counts, dtype=np.int64, copy=True).reshape(-1)
        if (
            edges.size < 2
            or counts.size != edges.size - 1
            or bool(np.any(np.isnan(edges)))
            or bool(np.any(edges[1:] <= edges[:-1]))
            or edges[0] != -np.inf
            or edges[-1] != np.inf
            or bool(np.any(counts < 0))
        ):
            raise InvalidParameterError(
                "A Histogram needs strictly increasing edges from -inf to inf and one "
                f"non-negative count per bin. Got edges {edges.tolist()!r} and counts "
                f"{counts.tolist()!r} instead."
            )
        edges.flags.writeable = False
        counts.flags.writeable = False
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)

    @classmethod
    def _trusted(cls, edges: FloatArray, counts: IntArray) -> Histogram:
        """Return a histogram of arrays known to be valid, without checking or copying them.

        Private to the store, which reads back partial profiles it validated when it wrote
        them (``store.partials``). ``edges`` must be 1-D float64 and ``counts`` 1-D int64,
        as ``__post_init__`` would make them; both are made read-only here.
        """
        histogram: Histogram = object.__new__(cls)
        edges.flags.writeable = False
        counts.flags.writeable = False
        object.__setattr__(histogram, "edges", edges)
        object.__setattr__(histogram, "counts", counts)
        return histogram

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return bool(
            np.array_equal(self.edges, other.edges) and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays, like them not hashable

    @property
    def total(self) -> int:
        """Number of values counted."""
        return int(self.counts.sum())

    def same_edges(self, other: Histogram) -> bool:
        """Whether ``other`` has exactly the same edges."""
        return bool(np.array_equal(self.edges, other.edges))

    def merge(self, other: Histogram) -> Histogram:
        """Return the histogram of both inputs' values; the edges must be identical.

        Raises
        ------
        IncompatibleProfilesError
            The edges differ.
        """
        if not self.same_edges(other):
            raise IncompatibleProfilesError(
                f"the histograms have different bin edges ({_short(self.edges)} vs "
                f"{_short(other.edges)}), so their counts cannot be added without re-binning. "
                "Profile both data sets against the same reference profile with "
                "profile(data, reference=reference_profile) so they share its edges."
            )
        return Histogram(edges=self.edges, counts=self.counts + other.counts)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; the infinite end edges are written ``"-inf"``/``"inf"``."""
        return {"edges": encode_floats(self.edges), "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: object, *, where: str = "the histogram") -> Histogram:
        """Read a histogram written by :meth:`to_dict`."""
        fields = Fields(data, where)
        edges, counts = fields.get_floats("edges"), fields.get_ints("counts")
        try:
            return cls(edges=edges, counts=counts)
        except InvalidParameterError as err:
            raise ProfileFormatError(f"{where} is invalid: {err}") from err


def _short(edges: FloatArray) -> str:
    shown = edges.tolist()
    if len(shown) > 6:
        return f"[{', '.join(map(repr, shown[:3]))}, ..., {shown[-1]!r}] ({len(shown)} edges)"
    return repr(shown)
