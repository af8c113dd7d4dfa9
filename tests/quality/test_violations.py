"""type_violations: on flags from the ingest checks themselves, bounds, and bad input."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot._columns import ColumnType
from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.quality import TYPE_VIOLATION_PROBLEMS, type_violations
from driftpilot.store._checks import MISSING, Rule, check_column


def _flagged_window(n: int, seed: int) -> list[list[str]]:
    """Flags of ``n`` events with two numeric and one categorical field, some bad values."""
    rng = np.random.default_rng(seed)
    flags: list[list[str]] = [[] for _ in range(n)]
    for field in ("age", "income"):
        pool = [1.0, 2.5, "oops", None, MISSING, float("nan"), 1e9]
        values = [pool[i] for i in rng.choice(len(pool), n, p=[0.5, 0.3, 0.05, 0.05, 0.04,
                                                                 0.03, 0.03])]  # fmt: skip
        rule = Rule(kind=ColumnType.NUMERIC, max=1e6, nullable=False, declared=True)
        check_column(values, rule, f"features.{field}", flags)
    plans = [["a", "b", 3.5, {"x": 1}][i] for i in rng.choice(4, n, p=[0.6, 0.3, 0.05, 0.05])]
    check_column(plans, Rule(kind=ColumnType.CATEGORICAL), "features.plan", flags)
    return flags


def test_counts_and_bounds_on_flags_from_the_ingest_checks() -> None:
    flags = _flagged_window(3000, seed=21)
    counts = Counter(flag for row in flags for flag in row)
    result = type_violations(counts, len(flags))
    violating = [{f for f in row if f.startswith("wrong_type:")} for row in flags]
    assert set(result.counts) == {"wrong_type:features.age", "wrong_type:features.income",
                                  "wrong_type:features.plan"}  # fmt: skip
    for flag, count in result.counts.items():
        assert count == sum(flag in row for row in violating)
        assert result.shares[flag] == count / 3000
        assert result.stderrs[flag] == pytest.approx(
            np.sqrt(count / 3000 * (1 - count / 3000) / 3000)
        )
    truth = np.mean([bool(row) for row in violating])
    assert result.share_lower <= truth <= result.share
    assert result.share == result.n_flags / 3000
    assert result.n_flags + result.n_other_flags == sum(counts.values())
    assert result.problems == tuple(sorted(TYPE_VIOLATION_PROBLEMS))
    assert json.loads(json.dumps(result.to_dict()))["counts"] == dict(result.counts)


def test_choosing_other_problems() -> None:
    flags = {"missing:features.age": 4, "null:features.age": 1, "wrong_type:features.age": 2}
    result = type_violations(flags, 10, problems={"missing", "null"})
    assert dict(result.counts) == {"missing:features.age": 4, "null:features.age": 1}
    assert (result.share, result.share_lower, result.n_other_flags) == (0.5, 0.4, 2)


def test_the_overall_share_is_capped_at_one() -> None:
    result = type_violations({"wrong_type:a": 8, "wrong_type:b": 9, "unknown:c": 7}, 10)
    assert (result.share, result.share_lower, result.stderr) == (1.0, 0.9, 0.0)


def test_no_flags() -> None:
    result = type_violations({}, 5)
    assert (result.share, result.share_lower, result.n_flags, dict(result.counts)) == (
        0.0, 0.0, 0, {}
    )  # fmt: skip


@given(
    n=st.integers(1, 10_000),
    data=st.data(),
)
def test_shares_are_bounded(n: int, data: st.DataObject) -> None:
    names = st.sampled_from(["wrong_type:a", "unknown:b", "unsupported:c", "nan:d", "ignored:e"])
    flags = data.draw(st.dictionaries(names, st.integers(0, n)))
    result = type_violations(flags, n)
    assert 0.0 <= result.share_lower <= result.share <= 1.0
    assert result.stderr >= 0.0
    assert all(0.0 <= s <= 1.0 for s in result.shares.values())
    assert result.n_flags + result.n_other_flags == sum(flags.values())


def test_errors_name_the_argument() -> None:
    with pytest.raises(InsufficientDataError, match=r"'n_events'.*0 events"):
        type_violations({}, 0)
    with pytest.raises(InvalidParameterError, match=r"'n_events'.*-1"):
        type_violations({}, -1)
    with pytest.raises(InvalidParameterError, match=r"'n_events'.*2.5"):
        type_violations({}, 2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'flag_counts'.*n_events=3.*4 for 'a:b'"):
        type_violations({"a:b": 4}, 3)
    with pytest.raises(InvalidParameterError, match=r"'flag_counts'.*-2 for 'unknown:b'"):
        type_violations({"unknown:b": -2}, 3)
    with pytest.raises(InvalidParameterError, match=r"'flag_counts'.*1.0 for 'unknown:b'"):
        type_violations({"unknown:b": 1.0}, 3)  # type: ignore[dict-item]
    with pytest.raises(InvalidParameterError, match=r"'flag_counts'.*string keys"):
        type_violations({3: 1}, 3)  # type: ignore[dict-item]
    with pytest.raises(InvalidParameterError, match=r"'flag_counts'.*list"):
        type_violations([("wrong_type:a", 1)], 3)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'problems'"):
        type_violations({}, 3, problems="wrong_type")
