"""The saved format: golden files of every version, and malformed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from make_golden import CONFIG_V2, golden_data, golden_data_v2

from driftpilot.errors import ProfileFormatError
from driftpilot.profile import (
    Baseline,
    CategoricalSummary,
    NumericSummary,
    Profile,
    TextSummary,
    fingerprint,
    load_profile,
    profile,
)

GOLDEN = Path(__file__).parent / "golden"


def test_golden_profile_v1_reads_with_known_values() -> None:
    p = Profile.load(GOLDEN / "profile_v1.json")
    assert p.n_rows == 12
    assert list(p.columns) == ["amount", "when", "plan", "city", "rating", "member", "note"]
    amount = p.columns["amount"]
    assert isinstance(amount, NumericSummary)
    # By hand: the nine finite values sum to 22.351.
    assert (amount.n_missing, amount.n_nan, amount.n_inf, amount.n_valid) == (1, 1, 1, 9)
    assert (amount.min, amount.max) == (-4.0, 10.0)
    assert amount.mean == pytest.approx(22.351 / 9, rel=1e-15)
    assert amount.mean == 2.483444444444445  # the float written in the file, read back exactly
    assert amount.quantiles([0.5]).tolist() == [2.0]
    assert amount.histogram is not None
    assert amount.histogram.edges.tolist() == [float("-inf"), 0.1, 2.0, 3.25, float("inf")]
    assert amount.histogram.counts.tolist() == [2, 2, 2, 3]
    when = p.columns["when"]
    assert isinstance(when, NumericSummary)
    assert when.min == 1_704_067_200.0
    plan, city, rating, member = (p.columns[c] for c in ("plan", "city", "rating", "member"))
    assert isinstance(plan, CategoricalSummary)
    assert dict(plan.counts or {}) == {
        "basic": 6,
        "pro": 4,
    }
    assert isinstance(city, CategoricalSummary)
    assert not city.exact
    assert city.n_distinct == 4
    assert city.count_of(["Oslo", "Pune"]).tolist() == [4, 2]
    assert isinstance(rating, CategoricalSummary)
    assert rating.categories() == [3, 2, 1]
    assert isinstance(member, CategoricalSummary)
    assert dict(member.counts or {}) == {
        True: 6,
        False: 3,
    }
    note = p.columns["note"]
    assert isinstance(note, TextSummary)
    assert (note.n_distinct, note.n_missing) == (2, 1)


def test_golden_baseline_v1_reads_with_known_values() -> None:
    loaded = load_profile(GOLDEN / "baseline_v1.json")
    assert isinstance(loaded, Baseline)
    assert (loaded.model_name, loaded.model_version, loaded.target) == ("golden", "1", "churned")
    assert loaded.created_at == "2024-05-01T12:00:00+00:00"
    assert dict(loaded.performance) == {"auc": 0.75}
    assert dict(loaded.thresholds) == {"amount": 0.2}
    assert isinstance(loaded.target_summary, CategoricalSummary)
    assert dict(loaded.target_summary.counts or {}) == {0: 6, 1: 6}
    assert loaded.fingerprint == fingerprint(golden_data())


def _as_version_2(document: dict[str, Any]) -> dict[str, Any]:
    """What a version-1 document becomes when read and written again: version 2, no grid."""

    def numeric(summary: dict[str, Any]) -> None:
        summary.update(grid=None, quantization_error=0.0)

    document = json.loads(json.dumps(document))
    document["schema_version"] = 2
    profiles = [document["profile"]] if document["kind"] == "baseline" else [document]
    summaries = [
        document[key] for key in ("target_summary", "prediction_summary") if document.get(key)
    ]
    for body in profiles:
        body["config"]["quantile_grid"] = 0
        summaries.extend(body["columns"])
    for summary in summaries:
        if summary["kind"] in ("numeric", "datetime"):
            numeric(summary)
        elif summary["kind"] == "text":
            numeric(summary["lengths"])
    return document


@pytest.mark.parametrize("name", ["profile_v1.json", "baseline_v1.json"])
def test_golden_v1_files_are_written_back_as_version_2_without_grids(name: str) -> None:
    path = GOLDEN / name
    written = load_profile(path).to_dict()
    assert written == _as_version_2(json.loads(path.read_text(encoding="utf-8")))
    loaded = load_profile(path)
    body = loaded.profile if isinstance(loaded, Baseline) else loaded
    assert body.config.quantile_grid == 0


@pytest.mark.parametrize("name", ["profile_v2.json", "baseline_v2.json"])
def test_golden_v2_files_are_written_back_unchanged(name: str) -> None:
    path = GOLDEN / name
    assert load_profile(path).to_dict() == json.loads(path.read_text(encoding="utf-8"))


def test_golden_profile_v2_grids_give_the_data_s_exact_quantiles() -> None:
    p = Profile.load(GOLDEN / "profile_v2.json")
    assert p.config == CONFIG_V2
    data = golden_data_v2()
    for name in ("amount", "visits"):
        summary = p.columns[name]
        assert isinstance(summary, NumericSummary)
        assert summary.grid is not None
        values = np.asarray(data[name].to_numpy(zero_copy_only=False), dtype=np.float64)
        finite = np.sort(values[np.isfinite(values)])
        assert summary.grid.n == summary.n_valid == finite.size
        # At its own points the grid's CDF is the data's, exactly.
        points = summary.grid.values
        exact = np.searchsorted(finite, points, side="right") / finite.size
        np.testing.assert_array_equal(summary.cdf(points), exact)
        assert summary.rank_error <= 1 / CONFIG_V2.quantile_grid
    visits = p.columns["visits"]
    assert isinstance(visits, NumericSummary)
    assert visits.rank_error == 0.0  # four distinct values: all of them are grid points
    note = p.columns["note"]
    assert isinstance(note, TextSummary)
    assert note.lengths.grid is not None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "saved.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_json_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '{"schema_version": 1, "kind": "profile", ')
    for read in (Profile.load, load_profile):
        with pytest.raises(ProfileFormatError, match=rf"{path.name}.*not valid JSON"):
            read(path)


def test_unknown_schema_version_names_the_file_and_version(tmp_path: Path) -> None:
    document = profile({"x": [1.0]}).to_dict() | {"schema_version": 3}
    path = write(tmp_path, json.dumps(document))
    with pytest.raises(
        ProfileFormatError, match=rf"{path.name}.*schema_version 3.*reads schema_version 1 and 2"
    ):
        Profile.load(path)
    with pytest.raises(ProfileFormatError, match="schema_version 3"):
        load_profile(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("n_rows"), "'n_rows'.*missing"),
        (lambda d: d["columns"][0].pop("m2"), r"'m2' of column 'x'.*missing"),
        (lambda d: d["columns"][0].update(n=5, n_missing=3), "'x'.*5 rows, but n_rows is 2"),
        (lambda d: d["columns"][0].update(n=5), "'x'.*inconsistent.*sketch holds 2 values"),
        (lambda d: d["columns"].append(d["columns"][0]), "'x' appears twice"),
        (lambda d: d["columns"][0].update(kind="vector"), "'kind'.*'vector'"),
        (lambda d: d["config"].update(kll_k=100), "k=200.*kll_k=100"),
        (lambda d: d["skipped"].update(y=3), "'y'.*a string"),
        (lambda d: d.update(kind="report"), "kind 'report'"),
    ],
)
def test_malformed_fields_are_named(change: object, message: str, tmp_path: Path) -> None:
    document = profile({"x": [1.0, 2.0]}).to_dict()
    change(document)  # type: ignore[operator]
    path = write(tmp_path, json.dumps(document))
    with pytest.raises(ProfileFormatError, match=message):
        Profile.load(path)


def test_other_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileFormatError, match=r"missing\.json"):
        load_profile(tmp_path / "missing.json")
    with pytest.raises(ProfileFormatError, match="'kind' must be 'profile' or 'baseline'"):
        load_profile(write(tmp_path, "[1, 2]"))
    with pytest.raises(ProfileFormatError, match="NaN"):
        Profile.from_json('{"schema_version": 1, "x": NaN}')
    with pytest.raises(ProfileFormatError, match="must be a JSON object"):
        Profile.from_json("[]")
