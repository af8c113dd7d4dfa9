"""Share of missing values of a column, from its profile summary.

What counts as missing, by summary:

* :class:`~driftpilot.profile.NumericSummary` (``numeric`` and ``datetime`` columns): nulls
  (``n_missing``: a value that is ``None``, a field absent from a logged event, or a value of
  the wrong JSON type, which ingest profiles as null) and NaN (``n_nan``). Infinite values are
  present, not missing: they are counted in ``n`` but not in the valid values (see
  ``NumericSummary.n_inf`` and the ingest flag ``inf:<field>``).
* :class:`~driftpilot.profile.CategoricalSummary` (``categorical`` and ``boolean``):
  ``n_missing``, which holds the nulls and, for a float column read as categories, its NaN.
* :class:`~driftpilot.profile.TextSummary`: the nulls, ``n_missing``.

Every summary counts its rows in ``n``, so the share is ``n_missing / n`` with the
binomial standard error ``sqrt(p (1 - p) / n)``. Counts add under ``merge``, so the result on
a merged profile is the one on the summed counts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from driftpilot.errors import InsufficientDataError
from driftpilot.profile import CategoricalSummary, NumericSummary, TextSummary
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import proportion_se, wrong_kind

__all__ = ["MissingRateResult", "missing_rate"]

_FUNC = "missing_rate"


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingRateResult:
    """Share of missing values of one column, and of its reference if one was given.

    Attributes
    ----------
    kind
        The column kind (``"numeric"``, ``"categorical"``, ``"boolean"``, ``"datetime"``,
        ``"text"``).
    n
        Rows of the current summary.
    n_missing
        Missing values among them (nulls, plus NaN for the numeric kinds).
    share
        ``n_missing / n``.
    stderr
        Binomial standard error of ``share``, ``sqrt(share (1 - share) / n)``.
    reference_n, reference_n_missing, reference_share, reference_stderr
        The same for the reference; ``None`` without one.
    """

    kind: str
    n: int
    n_missing: int
    share: float
    stderr: float
    reference_n: int | None = None
    reference_n_missing: int | None = None
    reference_share: float | None = None
    reference_stderr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _counts(summary: object, name: str) -> tuple[int, int]:
    if isinstance(summary, NumericSummary):
        n, n_missing = summary.n, summary.n_missing + summary.n_nan
    elif isinstance(summary, CategoricalSummary | TextSummary):
        n, n_missing = summary.n, summary.n_missing
    else:
        raise wrong_kind(
            summary, "a NumericSummary, CategoricalSummary or TextSummary", name=name, func=_FUNC
        )
    if n == 0:
        msg = (
            f"The {name!r} argument of {_FUNC} must summarise at least one row. "
            "Got a summary of 0 rows instead."
        )
        raise InsufficientDataError(msg)
    return n, n_missing


def missing_rate(
    current: NumericSummary | CategoricalSummary | TextSummary,
    reference: NumericSummary | CategoricalSummary | TextSummary | None = None,
) -> MissingRateResult:
    """Measure the share of missing values of a column, now and in its reference.

    Parameters
    ----------
    current
        The column's summary in the window (``profile.columns[name]``).
    reference
        The column's summary in the reference data, if any. It may be of another summary
        class (the kinds are not compared).

    Returns
    -------
    MissingRateResult
        Counts, shares and binomial (Wald) standard errors, which understate the
        uncertainty of a share near 0 or 1 on few rows [1]_. Missing means null (``None`` or an
        absent field) for every kind, plus NaN for numeric and datetime columns; infinite
        values are not missing (module docstring).

    Raises
    ------
    UnsupportedDataError
        If ``current`` or ``reference`` is not a column summary.
    InsufficientDataError
        If a summary holds no rows.

    References
    ----------
    .. [1] Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial
       proportion. Statistical Science 16(2), 101-133.

    Examples
    --------
    >>> from driftpilot import profile
    >>> from driftpilot.quality import missing_rate
    >>> ref = profile({"age": [31.0, None, 27.0, 45.0]}).columns["age"]
    >>> cur = profile({"age": [31.0, None, float("nan"), 45.0, None]}).columns["age"]
    >>> result = missing_rate(cur, ref)
    >>> result.n_missing, result.share, result.reference_share
    (3, 0.6, 0.25)
    >>> round(result.stderr, 4)
    0.2191
    """
    n, n_missing = _counts(current, "current")
    share = n_missing / n
    result = MissingRateResult(
        kind=current.kind.value,
        n=n,
        n_missing=n_missing,
        share=share,
        stderr=proportion_se(share, n),
    )
    if reference is None:
        return result
    ref_n, ref_missing = _counts(reference, "reference")
    ref_share = ref_missing / ref_n
    return replace(
        result,
        reference_n=ref_n,
        reference_n_missing=ref_missing,
        reference_share=ref_share,
        reference_stderr=proportion_se(ref_share, ref_n),
    )
