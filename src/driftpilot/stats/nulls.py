"""Null distributions of tests on counts: when two binned distributions differ beyond noise.

A binned distance (PSI, Jensen-Shannon, KL, Hellinger) has no p-value of its own, and its
size under no drift grows with the number of bins ``k`` and shrinks with the rows: on ``k``
bins with ``n`` reference and ``m`` current rows, and ``n_eff = n m / (n + m)``, each is to
second order a multiple of Pearson's statistic, so

* ``n_eff * PSI``, ``2 * n_eff * KL`` and ``8 * n_eff * JSD`` (the Jensen-Shannon
  divergence in nats, the square of the base-2 distance times ``ln 2``) and
  ``8 * n_eff * H**2`` (the squared Hellinger distance) are each about ``chi2(k - 1)``.

That approximation, like Pearson's own, needs every expected count to be large. When some
expected count is below 5 (small windows, many or rare categories), the p-value is
calibrated instead by a Monte Carlo test conditional on the margins: tables with the same
pooled counts per bin are drawn from the multivariate hypergeometric distribution (what
shuffling the rows between the two sides does to the counts), and the p-value is
``(b + 1) / (B + 1)`` where ``b`` of the ``B`` draws are at least as far apart as the data.
That test is exact whatever the counts; the draws come from a seeded generator, so the same
counts give the same p-value.

Written here because scipy's ``chi2_contingency`` only has the asymptotic p-value and
``scipy.stats.permutation_test`` would permute millions of rows where drawing the counts
costs ``O(k)`` per draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from driftpilot.errors import InvalidParameterError
from driftpilot.stats._validation import as_count_pair, check_int

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    from driftpilot._typing import FloatArray, IntArray

__all__ = [
    "COUNT_NULL_METHODS",
    "MIN_EXPECTED",
    "CountPValue",
    "conditional_draws",
    "count_pvalue",
    "draws_within_budget",
    "sequential_pvalue",
]

#: Smallest expected count per cell for which the chi-squared approximation is used.
MIN_EXPECTED = 5.0

#: The statistics :func:`count_pvalue` knows, with the factor ``c`` that makes
#: ``c * n_eff * statistic`` about ``chi2(k - 1)`` (``None``: the statistic is Pearson's own
#: or the z-test's, whose null is known exactly as it stands).
COUNT_NULL_METHODS: dict[str, float | None] = {
    "chi2": None,
    "ztest": None,
    "psi": 1.0,
    "kl": 2.0,
    "jensenshannon": 8.0,
    "hellinger": 8.0,
}

Seed = int | np.random.Generator | None

# numpy's two ways of drawing a multivariate hypergeometric table cost about this many
# seconds per category ("marginals") or per row drawn ("count"), measured on this project's
# machine; the cheaper is used, and the number of draws is cut (to no fewer than 99) so
# that one p-value costs at most about half a second.
_SECONDS_PER_CATEGORY = 3.5e-7
_SECONDS_PER_ROW = 1.0e-7
_BUDGET_SECONDS = 0.5
_MIN_DRAWS = 99
_BLOCK_CELLS = 2_000_000
_FIRST_BLOCK = 64
_EXCEEDANCES = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class CountPValue:
    """A p-value of a test on counts and how it was obtained.

    Attributes
    ----------
    p_value
        In ``(0, 1]``.
    method
        ``"asymptotic"`` (the chi-squared or normal approximation) or ``"monte_carlo"``.
    min_expected
        The smallest expected count of the ``2 x k`` table under no difference.
    n_resamples
        Number of Monte Carlo draws (0 for the asymptotic p-value).
    """

    p_value: float
    method: Literal["asymptotic", "monte_carlo"]
    min_expected: float
    n_resamples: int


def conditional_draws(
    reference_counts: IntArray, current_counts: IntArray, *, n_resamples: int, seed: Seed
) -> tuple[IntArray, IntArray]:
    """Draw ``n_resamples`` tables with the same margins under no difference.

    Returns the reference and current counts, each of shape ``(n_resamples, k)``: the current
    side takes ``current_counts.sum()`` rows from the pooled counts without replacement.
    """
    rng = np.random.default_rng(seed)
    pooled = (reference_counts + current_counts).astype(np.int64)
    by_marginals = _draw_costs(pooled, current_counts)[0]
    draws = rng.multivariate_hypergeometric(
        pooled,
        int(current_counts.sum()),
        size=n_resamples,
        method="marginals" if by_marginals else "count",
    ).astype(np.int64)
    return pooled[np.newaxis, :] - draws, draws


def draws_within_budget(
    reference_counts: IntArray, current_counts: IntArray, n_resamples: int
) -> int:
    """Return how many of ``n_resamples`` conditional draws fit in about 0.5 s (>= 99)."""
    cost = _draw_costs(reference_counts + current_counts, current_counts)[1]
    affordable = int(_BUDGET_SECONDS / cost) if cost > 0 else n_resamples
    return max(min(n_resamples, affordable), min(n_resamples, _MIN_DRAWS))


def _draw_costs(pooled: IntArray, current_counts: IntArray) -> tuple[bool, float]:
    """Whether drawing by marginals is the cheaper method, and the seconds per draw."""
    total, drawn = int(pooled.sum()), int(current_counts.sum())
    by_marginals = _SECONDS_PER_CATEGORY * pooled.size
    by_count = _SECONDS_PER_ROW * min(drawn, total - drawn)
    return by_marginals <= by_count, min(by_marginals, by_count)


def count_pvalue(
    method: str,
    reference_counts: npt.ArrayLike,
    current_counts: npt.ArrayLike,
    *,
    eps: float = 1e-4,
    n_resamples: int = 999,
    seed: Seed = 0,
) -> CountPValue:
    """Return the p-value of a test or binned distance on two rows of counts.

    Parameters
    ----------
    method
        One of ``COUNT_NULL_METHODS``: ``"chi2"`` (Pearson's test of homogeneity, with
        Yates' correction on two bins, as ``scipy.stats.chi2_contingency``), ``"ztest"``
        (two proportions), or a distance: ``"psi"``, ``"kl"``, ``"jensenshannon"``,
        ``"hellinger"``.
    reference_counts, current_counts
        Aligned non-negative whole-number counts per bin, each with a positive total.
    eps
        The share given to an empty bin by PSI and KL (as in their kernels).
    n_resamples
        Monte Carlo draws when some expected count is below ``MIN_EXPECTED`` (fewer, at
        least 99, when the table is so large that they would take more than about a
        second; the result says how many were made).
    seed
        Seed of the Monte Carlo draws.

    Returns
    -------
    CountPValue
        The p-value and how it was obtained. Bins empty on both sides are dropped first;
        with fewer than 2 bins left the p-value is 1.

    References
    ----------
    .. [1] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley, sections 1.5 and
       3.5 (exact and Monte Carlo conditional tests).
    .. [2] Cressie, N. and Read, T. R. C. (1984). Multinomial goodness-of-fit tests. Journal
       of the Royal Statistical Society B, 46(3), 440-464 (power divergences, of which PSI,
       KL and Hellinger are members, share Pearson's chi-squared limit).

    Examples
    --------
    >>> from driftpilot.stats import count_pvalue
    >>> result = count_pvalue("psi", [500, 300, 200], [450, 330, 220])
    >>> result.method, round(result.p_value, 4)
    ('asymptotic', 0.0814)
    """
    if method not in COUNT_NULL_METHODS:
        allowed = ", ".join(sorted(COUNT_NULL_METHODS))
        raise InvalidParameterError(
            f"The 'method' parameter of count_pvalue must be one of {allowed}. "
            f"Got {method!r} instead."
        )
    ref, cur = as_count_pair(reference_counts, current_counts, func="count_pvalue")
    n_resamples = check_int(n_resamples, name="n_resamples", func="count_pvalue", minimum=1)
    seen = (ref + cur) > 0
    ref, cur = ref[seen], cur[seen]
    if ref.size < 2:
        return CountPValue(p_value=1.0, method="asymptotic", min_expected=0.0, n_resamples=0)
    n, m = int(ref.sum()), int(cur.sum())
    pooled = ref + cur
    min_expected = float(pooled.min() * min(n, m) / (n + m))
    if min_expected >= MIN_EXPECTED:
        return CountPValue(
            p_value=_asymptotic(method, ref, cur, eps),
            method="asymptotic",
            min_expected=min_expected,
            n_resamples=0,
        )
    observed = float(_statistics(method, ref[np.newaxis, :], cur[np.newaxis, :], eps)[0])
    p_value, draws = sequential_pvalue(
        lambda draws_ref, draws_cur: _statistics(method, draws_ref, draws_cur, eps),
        ref,
        cur,
        observed=observed,
        n_resamples=n_resamples,
        seed=seed,
    )
    return CountPValue(
        p_value=p_value, method="monte_carlo", min_expected=min_expected, n_resamples=draws
    )


def sequential_pvalue(
    statistic: Callable[[IntArray, IntArray], FloatArray],
    reference_counts: IntArray,
    current_counts: IntArray,
    *,
    observed: float,
    n_resamples: int,
    seed: Seed,
) -> tuple[float, int]:
    """Return a Monte Carlo p-value of ``observed`` under conditional draws, and the draws made.

    Besag and Clifford's sequential rule: draw until ``_EXCEEDANCES`` draws are at least
    as extreme as the data (p-value ``h / L`` after ``L`` draws) or until the budget of
    ``n_resamples`` draws (cut to what fits in about half a second) is spent (p-value
    ``(b + 1) / (B + 1)``). Both are valid p-values; a column that does not differ, the
    common case, stops after a few dozen draws instead of a thousand.

    References
    ----------
    .. [1] Besag, J. and Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika,
       78(2), 301-304.
    """
    # A relative tolerance, so that a draw equal to the data up to rounding counts as equal.
    threshold = observed - 1e-12 * max(abs(observed), 1.0)
    budget = draws_within_budget(reference_counts, current_counts, n_resamples)
    block = max(1, min(_FIRST_BLOCK, _BLOCK_CELLS // reference_counts.size))
    rng = np.random.default_rng(seed)
    at_least, done = 0, 0
    while done < budget:
        size = min(block, budget - done)
        null_ref, null_cur = conditional_draws(
            reference_counts, current_counts, n_resamples=size, seed=rng
        )
        hits = np.cumsum(statistic(null_ref, null_cur) >= threshold)
        if at_least + int(hits[-1]) >= _EXCEEDANCES:
            stop = int(np.searchsorted(hits, _EXCEEDANCES - at_least)) + 1
            return _EXCEEDANCES / (done + stop), done + stop
        at_least += int(hits[-1])
        done += size
        block = min(2 * block, max(1, _BLOCK_CELLS // reference_counts.size))
    return (at_least + 1) / (budget + 1), budget


def _asymptotic(method: str, ref: IntArray, cur: IntArray, eps: float) -> float:
    from scipy import stats as scipy_stats

    k = ref.size
    if method == "ztest":
        statistic = float(abs(_z(ref[np.newaxis, :], cur[np.newaxis, :])[0])) if k == 2 else 0.0
        return float(min(max(2.0 * scipy_stats.norm.sf(statistic), 0.0), 1.0))
    if method == "chi2":
        result = scipy_stats.chi2_contingency(np.vstack((ref, cur)))
        return float(min(max(result.pvalue, 0.0), 1.0))
    factor = COUNT_NULL_METHODS[method]
    assert factor is not None
    n, m = float(ref.sum()), float(cur.sum())
    statistic = float(_statistics(method, ref[np.newaxis, :], cur[np.newaxis, :], eps)[0])
    return float(scipy_stats.chi2.sf(factor * n * m / (n + m) * statistic, k - 1))


def _statistics(method: str, ref: IntArray, cur: IntArray, eps: float) -> FloatArray:
    """Return the statistic of each row of two ``(B, k)`` count arrays.

    Distances are returned on the scale the chi-squared factors refer to: PSI and KL in
    nats, the Jensen-Shannon divergence (not distance) in nats, the squared Hellinger
    distance; the ranking of the draws is the same as the distances'.
    """
    from scipy import special

    r = ref / ref.sum(axis=1, keepdims=True)
    c = cur / cur.sum(axis=1, keepdims=True)
    if method == "chi2":
        return _pearson(ref, cur)
    if method == "ztest":
        return np.abs(_z(ref, cur))
    if method == "jensenshannon":
        mixture = (r + c) / 2.0
        out: FloatArray = 0.5 * (
            special.rel_entr(r, mixture).sum(axis=1) + special.rel_entr(c, mixture).sum(axis=1)
        )
        return out
    if method == "hellinger":
        root = np.sqrt(r) - np.sqrt(c)
        hellinger_squared: FloatArray = 0.5 * (root * root).sum(axis=1)
        return hellinger_squared
    r = np.where(r == 0.0, eps, r)
    c = np.where(c == 0.0, eps, c)
    if method == "psi":
        psi_values: FloatArray = ((c - r) * np.log(c / r)).sum(axis=1)
        return psi_values
    # kl: renormalised after eps, as scipy.stats.entropy does
    r = r / r.sum(axis=1, keepdims=True)
    c = c / c.sum(axis=1, keepdims=True)
    kl_values: FloatArray = special.rel_entr(c, r).sum(axis=1)
    return kl_values


def _pearson(ref: IntArray, cur: IntArray) -> FloatArray:
    """Pearson's statistic of each ``2 x k`` table (rows of ``ref`` and ``cur``).

    With both margins of a table fixed, the reference row's deviation from its expected
    count is minus the current row's, so the statistic is ``sum d**2 N**2 / (n m l)`` over
    the current row's deviations ``d`` and the pooled counts ``l``.
    """
    n = ref.sum(axis=1, keepdims=True).astype(np.float64)
    m = cur.sum(axis=1, keepdims=True).astype(np.float64)
    pooled = (ref + cur).astype(np.float64)
    total = n + m
    deviation = cur - m * pooled / total
    if ref.shape[1] == 2:  # Yates, as scipy's chi2_contingency does with one degree of freedom
        deviation = np.maximum(np.abs(deviation) - 0.5, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(pooled > 0, total * total / (n * m * pooled), 0.0)
    statistic: FloatArray = (deviation * deviation * weights).sum(axis=1)
    return statistic


def _z(ref: IntArray, cur: IntArray) -> FloatArray:
    n = ref.sum(axis=1).astype(np.float64)
    m = cur.sum(axis=1).astype(np.float64)
    pooled = (ref[:, 1] + cur[:, 1]) / (n + m)
    variance = pooled * (1.0 - pooled) * (1.0 / n + 1.0 / m)
    difference = ref[:, 1] / n - cur[:, 1] / m
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, difference / np.sqrt(np.maximum(variance, 1e-300)), 0.0)
    out: FloatArray = z
    return out
