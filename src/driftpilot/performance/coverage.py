"""Label coverage: the share of a window's events that have a label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driftpilot.errors import InvalidParameterError
from driftpilot.performance._result import as_dict
from driftpilot.performance._validation import check_int

__all__ = ["LabelCoverageResult", "label_coverage"]

_FUNC = "label_coverage"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelCoverageResult:
    """How many of a window's events have a label.

    Attributes
    ----------
    n_events
        Number of events in the window.
    n_labels
        Number of those events that have a label.
    coverage
        ``n_labels / n_events`` in ``[0, 1]``; ``None`` for a window without events. It is a
        count of the whole window, not an estimate, so it has no standard error.
    """

    n_events: int
    n_labels: int
    coverage: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dictionary of plain Python values."""
        return as_dict(self)


def label_coverage(n_events: int, n_labels: int) -> LabelCoverageResult:
    """Return the share of a window's events that have a label.

    Parameters
    ----------
    n_events
        Number of events in the window, an integer ``>= 0``.
    n_labels
        Number of those events with a label, an integer in ``[0, n_events]``.

    Returns
    -------
    LabelCoverageResult
        The counts and their ratio; the ratio is ``None`` when ``n_events`` is 0.

    Raises
    ------
    InvalidParameterError
        If a count is not a non-negative integer or ``n_labels > n_events``.

    References
    ----------
    .. [1] Evidently AI. Classification and regression presets: the share of predictions
       with a target is reported beside each performance metric.

    Examples
    --------
    >>> from driftpilot.performance import label_coverage
    >>> label_coverage(200, 150).coverage
    0.75
    >>> label_coverage(0, 0).coverage is None
    True
    """
    n_events = check_int(n_events, name="n_events", func=_FUNC, minimum=0)
    n_labels = check_int(n_labels, name="n_labels", func=_FUNC, minimum=0)
    if n_labels > n_events:
        msg = (
            f"The 'n_labels' parameter of {_FUNC} must be at most n_events={n_events} "
            f"(a label belongs to a logged event). Got {n_labels} instead."
        )
        raise InvalidParameterError(msg)
    coverage = n_labels / n_events if n_events else None
    return LabelCoverageResult(n_events=n_events, n_labels=n_labels, coverage=coverage)
