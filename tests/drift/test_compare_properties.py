"""Properties of dp.compare over generated data (hypothesis)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import driftpilot as dp

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def frames(draw: st.DrawFn, elements: st.SearchStrategy[float] = FINITE) -> dict[str, object]:
    n = draw(st.integers(1, 60))
    numbers = draw(hnp.arrays(np.float64, n, elements=elements))
    categories = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n))
    return {"x": numbers, "c": np.array(categories, dtype=object)}


@settings(max_examples=60, deadline=None)
@given(data=frames(), test=st.sampled_from([None, "psi", "jensenshannon", "hellinger", "kl"]))
def test_identical_inputs_never_drift(data: dict[str, object], test: str | None) -> None:
    report = dp.compare(data, data, test=test)
    assert not report.dataset_drift
    for column in report.columns.values():
        assert not column.drifted
        assert column.psi == 0.0
        if column.p_value is None:
            assert column.statistic == 0.0
        else:
            assert column.p_value > 0.05


@settings(max_examples=60, deadline=None)
@given(data=frames(), other=frames(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(
    data: dict[str, object], other: dict[str, object], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shuffled = {k: np.asarray(v)[rng.permutation(len(v))] for k, v in other.items()}
    assert dp.compare(data, other).to_dict() == dp.compare(data, shuffled).to_dict()


@settings(max_examples=80, deadline=None)
@given(data=frames(ANY_FLOAT), other=frames(ANY_FLOAT))
def test_any_floats_give_strict_json_and_a_verdict(
    data: dict[str, object], other: dict[str, object]
) -> None:
    # NaN and inf are excluded and counted; a side with nothing left becomes a finding.
    report = dp.compare(data, other)
    payload = json.loads(report.to_json())  # allow_nan=False: no NaN or inf anywhere
    assert isinstance(payload["dataset_drift"], bool)
    assert 0.0 <= payload["share_drifted"] <= 1.0
    for column in report.columns.values():
        if column.p_value is not None:
            assert 0.0 <= column.p_value <= 1.0
    tested_or_found = set(report.columns) | {f.column for f in report.findings}
    assert tested_or_found == {"x", "c"}


def test_all_nan_column_is_a_finding() -> None:
    report = dp.compare({"x": np.full(20, np.nan)}, {"x": np.arange(20.0)})
    assert [(f.column, f.kind) for f in report.findings] == [("x", "all_missing")]
    assert not report.dataset_drift
