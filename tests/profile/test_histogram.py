"""Histogram: validation, merge on equal edges only, JSON form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftpilot.errors import IncompatibleProfilesError, InvalidParameterError, ProfileFormatError
from driftpilot.profile import Histogram

EDGES = np.array([-np.inf, 0.0, 1.0, np.inf])


def test_merge_adds_counts_on_equal_edges() -> None:
    a = Histogram(edges=EDGES, counts=np.array([1, 2, 3]))
    b = Histogram(edges=EDGES.copy(), counts=np.array([0, 5, 1]))
    assert a.merge(b).counts.tolist() == [1, 7, 4]
    assert a.merge(b) == b.merge(a)
    assert a.total == 6


def test_merge_refuses_other_edges_and_says_what_to_do() -> None:
    a = Histogram(edges=EDGES, counts=np.array([1, 2, 3]))
    b = Histogram(edges=np.array([-np.inf, 0.5, np.inf]), counts=np.array([1, 1]))
    with pytest.raises(IncompatibleProfilesError, match=r"reference=reference_profile"):
        a.merge(b)


def test_arrays_are_read_only_copies() -> None:
    counts = np.array([1, 2, 3])
    h = Histogram(edges=EDGES, counts=counts)
    counts[0] = 99
    assert h.counts[0] == 1
    with pytest.raises(ValueError, match="read-only"):
        h.counts[0] = 5


@pytest.mark.parametrize(
    ("edges", "counts"),
    [
        ([0.0, 1.0, np.inf], [1, 1]),
        ([-np.inf, 1.0, 1.0, np.inf], [1, 1, 1]),
        ([-np.inf, np.inf], [1, 1]),
        ([-np.inf, np.inf], [-1]),
    ],
)
def test_invalid_histograms_are_refused(edges: list[float], counts: list[int]) -> None:
    with pytest.raises(InvalidParameterError, match="Histogram"):
        Histogram(edges=np.array(edges), counts=np.array(counts))


def test_json_writes_infinite_edges_as_strings() -> None:
    h = Histogram(edges=EDGES, counts=np.array([1, 2, 3]))
    data = h.to_dict()
    assert data["edges"] == ["-inf", 0.0, 1.0, "inf"]
    assert Histogram.from_dict(json.loads(json.dumps(data))) == h
    with pytest.raises(ProfileFormatError, match="strictly increasing"):
        Histogram.from_dict({"edges": ["-inf", "inf"], "counts": [1, 2]})
    with pytest.raises(ProfileFormatError, match="'counts'"):
        Histogram.from_dict({"edges": ["-inf", "inf"], "counts": [1.5]})
