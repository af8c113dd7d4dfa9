"""label_coverage: ratio, the empty window, and bad counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import InvalidParameterError
from driftpilot.performance import label_coverage


def test_ratio_and_empty_window() -> None:
    result = label_coverage(200, 150)
    assert result.coverage == 0.75
    assert result.to_dict() == {"n_events": 200, "n_labels": 150, "coverage": 0.75}
    assert label_coverage(0, 0).coverage is None
    assert label_coverage(10, 0).coverage == 0.0


@pytest.mark.parametrize(
    ("n_events", "n_labels", "match"),
    [
        (-1, 0, "'n_events'.*-1"),
        (10, -2, "'n_labels'.*-2"),
        (10, 11, "'n_labels'.*at most n_events=10.*11"),
        (10.5, 1, "'n_events'"),
        (True, 1, "'n_events'"),
    ],
)
def test_bad_counts_name_the_argument(n_events: object, n_labels: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        label_coverage(n_events, n_labels)  # type: ignore[arg-type]


@given(st.integers(1, 10**12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_coverage_is_a_share(counts: tuple[int, int]) -> None:
    coverage = label_coverage(*counts).coverage
    assert coverage is not None
    assert 0.0 <= coverage <= 1.0
