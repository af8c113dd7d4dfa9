"""How a profile is built: bins, the exact-category cap, sketch and grid sizes, histograms.

Two profiles can be merged only if they were built with equal configurations; the
configuration is saved with every profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from driftpilot.errors import InvalidParameterError, ProfileFormatError
from driftpilot.profile._serial import Fields

__all__ = ["HLL_LG_K", "ProfileConfig", "frequent_items_lg_max_k"]

#: log2 of the number of HyperLogLog registers: 16,384 registers, a relative standard error
#: of about 1.04 / sqrt(16384) = 0.8 % on distinct counts.
HLL_LG_K = 14

_KLL_K_RANGE = (8, 65_535)  # what DataSketches' KLL accepts
_GRID_MAX = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileConfig:
    """Settings of a profile.

    Parameters
    ----------
    bins
        Number of quantile bins of a numeric histogram built without a reference
        (ties may merge bins; see ``driftpilot.stats.quantile_edges``).
    category_cap
        Most distinct categories a categorical summary counts exactly. Past it the summary
        switches for good to a frequent-items sketch and a HyperLogLog distinct count.
    kll_k
        Size parameter of the KLL quantile sketches (DataSketches' default 200 gives a
        single-sided normalized rank error of about 1.3 %). A column of at most ``kll_k``
        finite values is kept whole, exactly.
    quantile_grid
        Cells of the exact quantile grid a numeric summary of more than ``kll_k`` finite
        values keeps instead of a randomized sketch (``driftpilot.profile.grid``): its CDF
        is then known within ``1 / quantile_grid`` with certainty, and the same values give
        the same bytes. 0 keeps the randomized KLL sketch (the behaviour of files of schema
        version 1, which read back with 0). The default 500 costs about 17 KB a numeric
        column in the saved JSON (a KLL sketch of 1M values: about 4 KB).
    histograms
        Whether numeric and text-length summaries keep a binned histogram.

    Examples
    --------
    >>> ProfileConfig(bins=20)
    ProfileConfig(bins=20, category_cap=10000, kll_k=200, histograms=True, quantile_grid=500)
    """

    bins: int = 10
    category_cap: int = 10_000
    kll_k: int = 200
    histograms: bool = True
    quantile_grid: int = 500

    def __post_init__(self) -> None:
        _check_int("bins", self.bins, 1, None)
        _check_int("category_cap", self.category_cap, 1, None)
        _check_int("kll_k", self.kll_k, *_KLL_K_RANGE)
        _check_int("quantile_grid", self.quantile_grid, 0, _GRID_MAX)
        if not isinstance(self.histograms, bool):
            raise InvalidParameterError(
                "The 'histograms' parameter of ProfileConfig must be True or False. "
                f"Got {self.histograms!r} instead."
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as a JSON-ready dict."""
        return {
            "bins": self.bins,
            "category_cap": self.category_cap,
            "kll_k": self.kll_k,
            "histograms": self.histograms,
            "quantile_grid": self.quantile_grid,
        }

    @classmethod
    def from_dict(cls, data: object) -> ProfileConfig:
        """Read a configuration written by :meth:`to_dict`."""
        fields = Fields(data, "the profile configuration")
        try:
            return cls(
                bins=fields.get_int("bins", minimum=1),
                category_cap=fields.get_int("category_cap", minimum=1),
                kll_k=fields.get_int("kll_k", minimum=1),
                histograms=fields.get_bool("histograms"),
                # Files of schema version 1 have no grid.
                quantile_grid=fields.get_int("quantile_grid")
                if "quantile_grid" in fields.data
                else 0,
            )
        except InvalidParameterError as err:
            raise ProfileFormatError(f"The profile configuration is invalid: {err}") from err

    def describe_difference(self, other: ProfileConfig) -> str:
        """Name the settings in which ``self`` and ``other`` differ (for error messages)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return ", ".join(f"{k}={mine[k]!r} vs {theirs[k]!r}" for k in mine if mine[k] != theirs[k])


def frequent_items_lg_max_k(category_cap: int) -> int:
    """Return log2 of the frequent-items map size used past ``category_cap`` categories.

    The smallest power of two whose tracking capacity (3/4 of the map size) is at least
    four times the cap, and at least 2**3 (DataSketches' minimum): 16 (49,152 tracked
    items, an a priori count error of 5.3e-5 of the total) for the default cap of 10,000.
    """
    return max(3, math.ceil(math.log2(4 * category_cap / 0.75)))


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int)
    if not bad:
        assert isinstance(value, int)
        bad = value < low or (high is not None and value > high)
    if bad:
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InvalidParameterError(
            f"The {name!r} parameter of ProfileConfig must be an integer {bound}. "
            f"Got {value!r} instead."
        )
