"""TextSummary: lengths, distinct count, merge and format."""

from __future__ import annotations

import pyarrow as pa
import pytest

from driftpilot.errors import IncompatibleProfilesError, ProfileFormatError
from driftpilot.profile import NumericSummary, Profile, TextSummary, profile

SENTENCES = [
    "the quick brown fox jumps over the lazy dog again",
    "a rather long sentence with several words in it too",
    "short one, still with spaces but over thirty-two characters",
]


def test_text_is_summarised_by_lengths_and_distinct_count() -> None:
    p = profile({"review": [*SENTENCES, None, SENTENCES[0]]})
    s = p.columns["review"]
    assert isinstance(s, TextSummary)
    assert s.kind.value == "text"
    assert (s.n, s.n_missing, s.n_valid) == (5, 1, 4)
    lengths = [len(t) for t in [*SENTENCES, SENTENCES[0]]]
    assert (s.lengths.min, s.lengths.max) == (min(lengths), max(lengths))
    assert s.lengths.mean == pytest.approx(sum(lengths) / 4, rel=1e-15)
    assert s.n_distinct == 3
    assert s.lengths.histogram is not None


def test_lengths_use_the_reference_edges_and_merge() -> None:
    reference = profile({"t": SENTENCES})
    a = profile({"t": SENTENCES[:2]}, reference=reference)
    b = profile({"t": [SENTENCES[2], "tiny words"]}, reference=reference)
    sa, sb, sr = (x.columns["t"] for x in (a, b, reference))
    assert isinstance(sa, TextSummary)
    assert isinstance(sb, TextSummary)
    assert isinstance(sr, TextSummary)
    assert sa.lengths.histogram is not None
    assert sr.lengths.histogram is not None
    assert sa.lengths.histogram.same_edges(sr.lengths.histogram)
    merged = sa.merge(sb)
    assert merged.n == 4
    assert merged.n_distinct == 4
    assert merged.lengths.min == len("tiny words")


def test_merge_refuses_other_summaries_and_keeps_the_empty_identity() -> None:
    s = profile({"t": SENTENCES}).columns["t"]
    assert isinstance(s, TextSummary)
    empty = TextSummary.empty()
    assert s.merge(empty) == s
    assert empty.merge(s) == s
    other = profile({"x": [1.0]}).columns["x"]
    assert isinstance(other, NumericSummary)
    with pytest.raises(IncompatibleProfilesError, match="text summary cannot be merged"):
        s.merge(other)  # type: ignore[arg-type]


def test_dict_round_trip_and_checks() -> None:
    s = profile({"t": pa.array(SENTENCES, type=pa.large_string())}).columns["t"]
    assert isinstance(s, TextSummary)
    assert TextSummary.from_dict(s.to_dict()) == s
    with pytest.raises(ProfileFormatError, match="'kind'"):
        TextSummary.from_dict(s.to_dict() | {"kind": "numeric"})
    with pytest.raises(ProfileFormatError, match="'distinct'"):
        TextSummary.from_dict(s.to_dict() | {"distinct": "!!"})


def test_a_forced_text_column_of_other_type_is_read_as_strings() -> None:
    p = profile({"code": [123, 45, None]}, {"code": "text"})
    s = p.columns["code"]
    assert isinstance(s, TextSummary)
    assert (s.lengths.min, s.lengths.max) == (2.0, 3.0)
    assert Profile.from_json(p.to_json()) == p
