"""Share of a categorical column's values whose category the reference never saw.

Categories are matched by their ``str`` form, as the summaries' sketches store them, so the
answer does not change when a summary passes its category cap: ``1`` and ``"1"`` are one
category, ``True`` and ``1`` are two (``"True"`` and ``"1"``).

Exact when both summaries hold exact counts. Past the category cap
(``CategoricalSummary.exact`` is ``False``) a summary keeps a frequent-items sketch, and two
bounds apply, both reported in the result:

* a sketched **current** summary lists only the categories its sketch still tracks, and
  each count is the sketch's estimate, at least the true count and at most
  ``count_error`` above it; a category the sketch dropped (at most ``count_error``
  occurrences) is left out;
* a sketched **reference** summary knows only the categories its sketch still tracks, so a
  category it saw at most ``reference_count_error`` times may be reported as unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driftpilot.errors import InsufficientDataError
from driftpilot.profile import CategoricalSummary
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import proportion_se, wrong_kind

__all__ = ["TOP_UNSEEN", "UnseenCategoriesResult", "unseen_categories"]

#: How many of the most frequent unseen categories a result lists.
TOP_UNSEEN = 10

_FUNC = "unseen_categories"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenCategoriesResult:
    """Share of a column's valid values whose category is not in the reference.

    Attributes
    ----------
    n_valid
        Number of non-null values of the current summary.
    n_unseen
        Values whose category the reference never saw (capped at ``n_valid``).
    n_unseen_categories
        Number of distinct unseen categories.
    share
        ``n_unseen / n_valid``.
    stderr
        Binomial standard error of ``share``, ``sqrt(share (1 - share) / n_valid)``.
    top
        Up to ``TOP_UNSEEN`` (10) unseen categories with their counts, most frequent first
        (ties in order of ``str``).
    exact
        Whether both summaries hold exact counts, so every number above is exact.
    count_error
        Bound on the overcount of each current count (0 when the current summary is exact).
    reference_count_error
        Categories the reference saw at most this many times may be reported unseen (0
        when the reference summary is exact).
    """

    n_valid: int
    n_unseen: int
    n_unseen_categories: int
    share: float
    stderr: float
    top: tuple[tuple[Any, int], ...]
    exact: bool
    count_error: float
    reference_count_error: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values (``top`` as pairs)."""
        return as_dict(self)


def _categorical(summary: object, name: str) -> CategoricalSummary:
    if not isinstance(summary, CategoricalSummary):
        raise wrong_kind(summary, "a CategoricalSummary", name=name, func=_FUNC)
    if summary.n_valid == 0:
        msg = (
            f"The {name!r} argument of {_FUNC} must hold at least one non-null value. Got "
            f"{summary.n} rows, {summary.n_missing} of them null, instead."
        )
        raise InsufficientDataError(msg)
    return summary


def unseen_categories(
    current: CategoricalSummary, reference: CategoricalSummary
) -> UnseenCategoriesResult:
    """Measure the share of a column's values in categories the reference never saw.

    Parameters
    ----------
    current
        The column's summary in the window (a categorical or boolean column).
    reference
        The column's summary in the reference data.

    Returns
    -------
    UnseenCategoriesResult
        Counts, share, its binomial standard error, the most frequent unseen categories,
        and which bounds apply when a summary is sketched (module docstring).

    Raises
    ------
    UnsupportedDataError
        If either argument is not a ``CategoricalSummary``.
    InsufficientDataError
        If either summary has no non-null value.

    References
    ----------
    .. [1] Anderson, D., Bevan, P., Lang, K., Liberty, E., Rhodes, L., Thaler, J. (2017).
       A high-performance algorithm for identifying frequent items in data streams.
       ACM IMC 2017, 268-282.
    .. [2] Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial
       proportion. Statistical Science 16(2), 101-133.

    Examples
    --------
    >>> from driftpilot import profile
    >>> from driftpilot.quality import unseen_categories
    >>> ref = profile({"plan": ["a", "b", "a", "c"]}).columns["plan"]
    >>> cur = profile({"plan": ["a", "d", "d", "e", None]}).columns["plan"]
    >>> result = unseen_categories(cur, ref)
    >>> result.n_unseen, result.share, result.top
    (3, 0.75, (('d', 2), ('e', 1)))
    """
    current = _categorical(current, "current")
    reference = _categorical(reference, "reference")
    known = {str(category) for category in reference.categories()}
    categories = current.categories()
    counts = current.count_of(categories).tolist()
    unseen = sorted(
        (
            (category, int(count))
            for category, count in zip(categories, counts, strict=True)
            if count > 0 and str(category) not in known
        ),
        key=lambda pair: (-pair[1], str(pair[0])),
    )
    n = current.n_valid
    n_unseen = min(n, sum(count for _, count in unseen))
    share = n_unseen / n
    return UnseenCategoriesResult(
        n_valid=n,
        n_unseen=n_unseen,
        n_unseen_categories=len(unseen),
        share=share,
        stderr=proportion_se(share, n),
        top=tuple(unseen[:TOP_UNSEEN]),
        exact=current.exact and reference.exact,
        count_error=current.count_error,
        reference_count_error=reference.count_error,
    )
