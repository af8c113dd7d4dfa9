"""Share of a window's events with schema or type violations, from ingest quality flags.

Ingest checks every logged value and flags an event ``"<problem>:<field>"`` for each problem
it finds (``driftpilot.store``); a window's flags arrive as counts, flag to number of events.
Each field is checked once per event, so a flag counts each event at most once. The problems,
and which of them this module counts:

* **schema and type violations**, counted by default (:data:`TYPE_VIOLATION_PROBLEMS`):
  ``wrong_type`` (a value of the wrong JSON type, profiled as missing), ``unknown`` (a
  feature the declared schema does not have), ``unsupported`` (an object or array where no
  schema says what to expect; not profiled);
* missing values, measured on profiles by :func:`~driftpilot.quality.missing_rate`:
  ``missing`` (a declared feature absent) and ``null`` (null where the schema forbids it);
* non-finite numbers: ``nan`` and ``inf``;
* values outside the declared bounds, measured on profiles by
  :func:`~driftpilot.quality.out_of_range`: ``out_of_bounds``;
* ``ignored``: a top-level key of the event that nothing reads.

Pass ``problems`` to count another set. An event may carry several flags (two fields of the
wrong type), and the counts do not say which events share them, so the share of events with
at least one violation is only bounded: below by the largest single flag's share, above by
``min(1, sum / n_events)``, which is what :attr:`TypeViolationsResult.share` reports.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.quality._result import as_dict
from driftpilot.quality._validation import check_count, proportion_se

__all__ = ["TYPE_VIOLATION_PROBLEMS", "TypeViolationsResult", "type_violations"]

#: The flag problems counted as schema or type violations by default.
TYPE_VIOLATION_PROBLEMS: frozenset[str] = frozenset({"unknown", "unsupported", "wrong_type"})

_FUNC = "type_violations"


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeViolationsResult:
    """Schema and type violations among a window's events.

    Attributes
    ----------
    n_events
        Number of events in the window.
    problems
        The flag problems counted, sorted.
    counts
        Events carrying each counted flag (such as ``"wrong_type:features.age"``), by flag.
    shares
        ``counts[flag] / n_events`` for each counted flag.
    stderrs
        Binomial standard error of each share.
    n_flags
        Sum of ``counts``: counted flags over all events.
    share
        Upper bound on the share of events with at least one violation,
        ``min(1, n_flags / n_events)``; exact when no event carries two counted flags.
    share_lower
        Lower bound on that share: the largest of ``shares`` (0 without violations).
    stderr
        Binomial standard error of ``share``.
    n_other_flags
        Flags of the window not counted (other problems), so none goes unaccounted.
    """

    n_events: int
    problems: tuple[str, ...]
    counts: Mapping[str, int]
    shares: Mapping[str, float]
    stderrs: Mapping[str, float]
    n_flags: int
    share: float
    share_lower: float
    stderr: float
    n_other_flags: int

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def _problems(problems: Collection[str]) -> tuple[str, ...]:
    if isinstance(problems, str) or not all(isinstance(p, str) and p for p in problems):
        msg = (
            f"The 'problems' parameter of {_FUNC} must be a collection of flag problems such "
            f"as {sorted(TYPE_VIOLATION_PROBLEMS)!r}. Got {problems!r} instead."
        )
        raise InvalidParameterError(msg)
    return tuple(sorted(set(problems)))


def type_violations(
    flag_counts: Mapping[str, int],
    n_events: int,
    *,
    problems: Collection[str] = TYPE_VIOLATION_PROBLEMS,
) -> TypeViolationsResult:
    """Measure the share of a window's events with schema or type violations.

    Parameters
    ----------
    flag_counts
        Number of events carrying each ingest quality flag in the window, such as
        ``{"wrong_type:features.age": 3, "missing:features.zip": 7}``.
    n_events
        Number of events in the window, ``>= 1``.
    problems
        The problems (the part of a flag before ``:``) to count; by default
        :data:`TYPE_VIOLATION_PROBLEMS`, ``wrong_type``, ``unknown`` and ``unsupported``.

    Returns
    -------
    TypeViolationsResult
        Counts and shares per flag, and the overall share, an upper bound (an event may
        carry several flags; module docstring) with its lower bound beside it.

    Raises
    ------
    InsufficientDataError
        If ``n_events`` is 0.
    InvalidParameterError
        If a flag is not a string, a count is not an integer in ``[0, n_events]``, or
        ``problems`` is not a collection of strings.

    References
    ----------
    .. [1] Boole, G. (1854). An Investigation of the Laws of Thought, ch. XIX (the union
       bound, ``P(A or B) <= P(A) + P(B)``).
    .. [2] Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial
       proportion. Statistical Science 16(2), 101-133.

    Examples
    --------
    >>> from driftpilot.quality import type_violations
    >>> flags = {"wrong_type:features.age": 3, "unknown:features.zip": 2, "nan:features.x": 9}
    >>> result = type_violations(flags, 20)
    >>> dict(result.shares)
    {'unknown:features.zip': 0.1, 'wrong_type:features.age': 0.15}
    >>> result.share, result.share_lower, result.n_other_flags
    (0.25, 0.15, 9)
    """
    n = check_count(n_events, name="n_events", func=_FUNC)
    if n == 0:
        msg = f"The 'n_events' argument of {_FUNC} must be >= 1. Got 0 events instead."
        raise InsufficientDataError(msg)
    chosen = _problems(problems)
    if not isinstance(flag_counts, Mapping):
        msg = (
            f"The 'flag_counts' argument of {_FUNC} must be a mapping of flag to count. "
            f"Got a {type(flag_counts).__name__} instead."
        )
        raise InvalidParameterError(msg)
    counts: dict[str, int] = {}
    n_other = 0
    for flag, count in sorted(flag_counts.items(), key=lambda item: str(item[0])):
        if not isinstance(flag, str):
            msg = f"The 'flag_counts' argument of {_FUNC} must have string keys. Got {flag!r}."
            raise InvalidParameterError(msg)
        if (
            isinstance(count, bool)
            or not isinstance(count, numbers.Integral)
            or not 0 <= count <= n
        ):
            msg = (
                f"The 'flag_counts' argument of {_FUNC} must map each flag to a number of "
                f"events, an integer in [0, n_events={n}] (a flag marks an event at most "
                f"once). Got {count!r} for {flag!r} instead."
            )
            raise InvalidParameterError(msg)
        value = int(count)
        if flag.partition(":")[0] in chosen:
            if value:
                counts[flag] = value
        else:
            n_other += value
    shares = {flag: count / n for flag, count in counts.items()}
    n_flags = sum(counts.values())
    share = min(1.0, n_flags / n)
    return TypeViolationsResult(
        n_events=n,
        problems=chosen,
        counts=MappingProxyType(counts),
        shares=MappingProxyType(shares),
        stderrs=MappingProxyType({flag: proportion_se(s, n) for flag, s in shares.items()}),
        n_flags=n_flags,
        share=share,
        share_lower=max(shares.values(), default=0.0),
        stderr=proportion_se(share, n),
        n_other_flags=n_other,
    )
