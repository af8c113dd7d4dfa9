"""unseen_categories: counts by hand, matching by str, sketched summaries and bad input."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot import ProfileConfig, profile
from driftpilot.errors import InsufficientDataError, UnsupportedDataError
from driftpilot.profile import CategoricalSummary
from driftpilot.quality import TOP_UNSEEN, unseen_categories


def categorical(values: list[object], *, cap: int = 10_000) -> CategoricalSummary:
    config = ProfileConfig(category_cap=cap)
    summary = profile({"c": values}, {"c": "categorical"}, config=config).columns["c"]
    assert isinstance(summary, CategoricalSummary)
    return summary


def by_hand(current: list[object], reference: list[object]) -> Counter[str]:
    known = {str(v) for v in reference if v is not None}
    return Counter(str(v) for v in current if v is not None and str(v) not in known)


def test_exact_counts_and_the_top_ten() -> None:
    rng = np.random.default_rng(11)
    reference = [f"c{i}" for i in rng.integers(0, 20, 3000)]
    current: list[object] = [f"c{i}" for i in rng.integers(0, 40, 2000)] + [None] * 50
    result = unseen_categories(categorical(current), categorical(reference))
    expected = by_hand(current, reference)
    assert result.exact
    assert (result.count_error, result.reference_count_error) == (0.0, 0.0)
    assert result.n_valid == 2000
    assert result.n_unseen == sum(expected.values())
    assert result.n_unseen_categories == len(expected) == 20
    assert result.share == result.n_unseen / 2000
    assert result.stderr == pytest.approx(math.sqrt(result.share * (1 - result.share) / 2000))
    ordered = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNSEEN]
    assert list(result.top) == ordered
    assert json.loads(json.dumps(result.to_dict()))["top"] == [list(p) for p in ordered]


def test_categories_match_by_their_str_form() -> None:
    reference = categorical([1, 2, 2, 3])
    current = categorical(["1", "2", "4", "4"])
    result = unseen_categories(current, reference)
    assert (result.n_unseen, result.top) == (2, (("4", 2),))
    booleans = profile({"b": [True, True, False]}).columns["b"]
    ones = categorical([1, 0, 1])
    assert isinstance(booleans, CategoricalSummary)
    assert unseen_categories(booleans, ones).share == 1.0  # "True" is not "1"


def test_nothing_unseen_when_the_reference_covers_the_column() -> None:
    result = unseen_categories(categorical(["a", "b", "a"]), categorical(["b", "a", "c"]))
    assert (result.share, result.n_unseen, result.top, result.stderr) == (0.0, 0, (), 0.0)


def test_a_sketched_current_overcounts_within_its_error() -> None:
    rng = np.random.default_rng(12)
    reference = ["a", "b", "c"]
    current = [str(v) for v in rng.choice(list("abcdefghij"), 5000)]
    summary = categorical(current, cap=4)
    assert not summary.exact
    result = unseen_categories(summary, categorical(reference))
    truth = by_hand(current, reference)
    assert not result.exact
    assert result.count_error == summary.count_error
    assert result.reference_count_error == 0.0
    for category, count in result.top:
        assert truth[category] <= count <= truth[category] + result.count_error


def test_a_sketched_reference_may_report_its_rare_categories() -> None:
    rng = np.random.default_rng(13)
    reference = [f"r{i}" for i in rng.integers(0, 3000, 20_000)] + ["x"] * 5000
    current = ["x"] * 10 + ["new"] * 5
    result = unseen_categories(categorical(current), categorical(reference, cap=100))
    assert not result.exact
    assert result.reference_count_error > 0.0
    assert ("new", 5) in result.top
    assert result.n_unseen >= 5  # an upper side: "new" is surely unseen, "x" is surely seen
    assert "x" not in dict(result.top)


labels = st.lists(st.one_of(st.none(), st.sampled_from(list("abcdefgh"))), min_size=1)


@given(a=labels, b=labels, reference=labels)
def test_share_bounds_and_merge_consistency(
    a: list[str | None], b: list[str | None], reference: list[str | None]
) -> None:
    ref = categorical(list(reference))
    sa, sb = categorical(list(a)), categorical(list(b))
    if ref.n_valid == 0 or sa.n_valid + sb.n_valid == 0:
        return
    merged = unseen_categories(sa.merge(sb), ref)
    assert merged.n_unseen == sum(by_hand(list(a) + list(b), list(reference)).values())
    assert 0.0 <= merged.share <= 1.0
    assert merged.stderr >= 0.0
    parts = [unseen_categories(s, ref).n_unseen for s in (sa, sb) if s.n_valid]
    assert merged.n_unseen == sum(parts)


def test_errors_name_the_argument() -> None:
    ok = categorical(["a"])
    with pytest.raises(InsufficientDataError, match=r"'current'.*1 rows, 1 of them null"):
        unseen_categories(categorical([None]), ok)
    with pytest.raises(InsufficientDataError, match=r"'reference'"):
        unseen_categories(ok, categorical([None, None]))
    numeric = profile({"x": [1.0, 2.0]}).columns["x"]
    with pytest.raises(UnsupportedDataError, match=r"'reference'.*NumericSummary"):
        unseen_categories(ok, numeric)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedDataError, match=r"'current'.*dict"):
        unseen_categories({"a": 1}, ok)  # type: ignore[arg-type]
