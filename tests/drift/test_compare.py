"""dp.compare: wiring to the kernels, the test rule, overrides, findings, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import scipy.stats

import driftpilot as dp
from driftpilot.errors import InsufficientDataError, InvalidParameterError
from driftpilot.stats import psi as psi_kernel

REL = 1e-9  # kernels must equal their scipy reference to 1e-9 relative


def _frames(seed: int = 0, n_ref: int = 400, n_cur: int = 300, shift: float = 0.0) -> tuple:
    rng = np.random.default_rng(seed)
    ref = {
        "x": rng.normal(0, 1, n_ref),
        "y": rng.exponential(2, n_ref),
        "color": rng.choice(["red", "green", "blue"], n_ref, p=[0.5, 0.3, 0.2]),
        "flag": rng.choice(["yes", "no"], n_ref),
    }
    cur = {
        "x": rng.normal(shift, 1, n_cur),
        "y": rng.exponential(2, n_cur),
        "color": rng.choice(["red", "green", "blue"], n_cur, p=[0.5, 0.3, 0.2]),
        "flag": rng.choice(["yes", "no"], n_cur),
    }
    return ref, cur


def test_small_samples_use_pvalue_tests_equal_to_scipy() -> None:
    ref, cur = _frames(shift=0.4)
    report = dp.compare(ref, cur, correction=None)
    x = report.columns["x"]
    expected = scipy.stats.ks_2samp(ref["x"], cur["x"])
    assert x.test == "ks"
    assert x.statistic == pytest.approx(expected.statistic, rel=REL)
    assert x.p_value == pytest.approx(expected.pvalue, rel=REL)
    assert x.drifted
    color = report.columns["color"]
    table = np.array(
        [
            [np.sum(ref["color"] == c) for c in ("red", "green", "blue")],
            [np.sum(cur["color"] == c) for c in ("red", "green", "blue")],
        ]
    )
    chi = scipy.stats.chi2_contingency(table)
    assert color.test == "chi2"
    assert color.statistic == pytest.approx(chi.statistic, rel=REL)
    assert color.p_value == pytest.approx(chi.pvalue, rel=REL)
    assert report.columns["flag"].test == "ztest"


def test_psi_is_on_reference_quantile_bins() -> None:
    ref, cur = _frames(shift=0.3)
    report = dp.compare(ref, cur)
    edges = np.unique(np.quantile(ref["x"], np.linspace(0, 1, 11)))
    edges[0], edges[-1] = -np.inf, np.inf
    r_counts, _ = np.histogram(ref["x"], edges)
    c_counts, _ = np.histogram(cur["x"], edges)
    column = report.columns["x"]
    assert column.psi == pytest.approx(psi_kernel(r_counts, c_counts).statistic, rel=REL)
    assert column.distribution is not None
    assert column.distribution.reference == tuple(r_counts)
    assert column.distribution.current == tuple(c_counts)


def test_default_rule_tests_significance_and_effect_at_every_size() -> None:
    data = dp.datasets.make_drift_data(5_000, n_numeric=4, n_categorical=2, shifted_share=0.5)
    report = dp.compare(data.reference, data.current)
    assert report.options["rule"] == "significance_and_effect"
    for name, column in report.columns.items():
        numeric = name.startswith("num")
        assert column.test == ("ks" if numeric else "chi2")
        assert column.effect_measure == ("wasserstein_norm" if numeric else "jensenshannon")
        assert column.effect_threshold == (0.1 if numeric else 0.05)
        assert column.p_value is not None
        assert column.drifted == (name in data.shifted), name
        assert column.drifted == (
            column.p_value_adjusted is not None
            and column.p_value_adjusted < 0.05
            and column.effect_size is not None
            and column.effect_size >= column.effect_threshold
        )
    assert report.dataset_drift  # half the columns drifted, drift_share 0.5


def test_evidently_rule_uses_distances_on_large_references() -> None:
    data = dp.datasets.make_drift_data(5_000, n_numeric=4, n_categorical=2, shifted_share=0.5)
    report = dp.compare(data.reference, data.current, rule="evidently")
    for name, column in report.columns.items():
        expected = "wasserstein_norm" if name.startswith("num") else "jensenshannon"
        assert column.test == expected
        assert column.p_value is None
        assert column.drifted == (column.statistic >= 0.1), name


def test_significance_alone_does_not_flag_a_trivial_shift_on_many_rows() -> None:
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(0, 1, 200_000), rng.normal(0.03, 1, 200_000)
    column = dp.compare({"v": ref}, {"v": cur}).columns["v"]
    assert column.p_value is not None
    assert column.p_value < 1e-10  # beyond noise
    assert not column.drifted  # but 0.03 sd is below the effect threshold
    lowered = dp.compare({"v": ref}, {"v": cur}, effect_threshold=0.01).columns["v"]
    assert lowered.drifted
    assert lowered.effect_threshold == 0.01


def test_effect_alone_does_not_flag_noise_on_many_categories() -> None:
    # 200 categories, 300 current rows: JS noise is far above 0.05, but not significant.
    rng = np.random.default_rng(6)
    labels = np.array([f"c{i}" for i in range(200)])
    ref, cur = rng.choice(labels, 100_000), rng.choice(labels, 300)
    column = dp.compare({"c": ref}, {"c": cur}).columns["c"]
    assert column.effect_size is not None
    assert column.effect_size > 0.2
    assert column.p_value_method == "monte_carlo"
    assert not column.drifted
    old = dp.compare({"c": ref}, {"c": cur}, rule="evidently").columns["c"]
    assert old.drifted  # what issue 12 reported: the old rule calls this noise drift


def test_wasserstein_norm_equals_scipy_over_std() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(0, 2, 3000), rng.normal(0.5, 2, 2000)
    column = dp.compare({"v": ref}, {"v": cur}).columns["v"]
    expected = scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert column.effect_size == pytest.approx(expected, rel=REL)
    named = dp.compare({"v": ref}, {"v": cur}, test="wasserstein_norm").columns["v"]
    assert named.statistic == pytest.approx(expected, rel=REL)
    assert named.p_value == pytest.approx(scipy.stats.ks_2samp(ref, cur).pvalue, rel=REL)


def test_low_cardinality_integers_take_a_numeric_test_when_asked() -> None:
    rng = np.random.default_rng(7)
    ref, cur = {"kids": rng.integers(0, 4, 400)}, {"kids": rng.integers(0, 4, 400)}
    assert dp.compare(ref, cur).columns["kids"].type == "categorical"
    asked = dp.compare(ref, cur, test="ks").columns["kids"]
    assert (asked.type, asked.test) == ("numeric", "ks")
    per_column = dp.compare(ref, cur, tests={"kids": "ks"}).columns["kids"]
    assert per_column.test == "ks"
    # A small reference saw 4 values, the current 30: the column is numeric after all.
    wide = dp.compare(ref, {"kids": rng.integers(0, 30, 400)}).columns["kids"]
    assert (wide.type, wide.test) == ("numeric", "ks")


def test_overrides_global_and_per_column() -> None:
    ref, cur = _frames()
    report = dp.compare(ref, cur, test="psi", tests={"x": "cvm"}, thresholds={"y": 0.5})
    assert report.columns["x"].test == "cvm"
    assert report.columns["y"].test == "psi"
    assert report.columns["y"].threshold == 0.5
    assert report.columns["color"].test == "psi"


@pytest.mark.parametrize("name", ["ks", "anderson", "wasserstein", "energy"])
def test_sample_tests_refuse_categorical_columns(name: str) -> None:
    ref, cur = _frames()
    with pytest.raises(InvalidParameterError, match="'color'"):
        dp.compare(ref, cur, tests={"color": name})


def test_unknown_test_and_unknown_column_are_named() -> None:
    ref, cur = _frames()
    with pytest.raises(InvalidParameterError, match="Unknown drift test 'kss'"):
        dp.compare(ref, cur, tests={"x": "kss"})
    with pytest.raises(InvalidParameterError, match="'nope'"):
        dp.compare(ref, cur, tests={"nope": "ks"})


@pytest.mark.parametrize(
    ("option", "value"),
    [("alpha", 0.0), ("alpha", 1.5), ("drift_share", 0), ("bins", 0), ("correction", "bh")],
)
def test_bad_options_name_the_parameter(option: str, value: object) -> None:
    ref, cur = _frames()
    with pytest.raises(InvalidParameterError, match=f"'{option}'"):
        dp.compare(ref, cur, **{option: value})  # type: ignore[arg-type]


def test_schema_findings_instead_of_crashes() -> None:
    rng = np.random.default_rng(1)
    ref = pa.table(
        {
            "kept": rng.normal(size=100),
            "gone": rng.normal(size=100),
            "empty": pa.array([None] * 100, pa.float64()),
            "when": pa.array(np.arange(100).astype("datetime64[D]")),
        }
    )
    cur = pa.table(
        {
            "kept": rng.normal(size=80),
            "new": rng.normal(size=80),
            "empty": pa.array([None] * 80, pa.float64()),
            "when": pa.array(np.arange(80).astype("datetime64[D]")),
        }
    )
    report = dp.compare(ref, cur)
    kinds = {(f.column, f.kind) for f in report.findings}
    assert ("gone", "missing_in_current") in kinds
    assert ("new", "missing_in_reference") in kinds
    assert ("empty", "all_missing") in kinds
    assert ("when", "not_tested") in kinds
    assert list(report.columns) == ["kept"]
    json.loads(report.to_json())  # strict JSON: no NaN anywhere


def test_strings_in_a_numeric_column_are_a_type_change() -> None:
    ref = {"v": np.arange(50, dtype=float)}
    cur = {"v": np.array(["a", "b"] * 25, dtype=object)}
    report = dp.compare(ref, cur)
    assert [(f.column, f.kind) for f in report.findings] == [("v", "type_changed")]
    assert not report.dataset_drift


def test_nan_and_inf_are_excluded_and_counted() -> None:
    rng = np.random.default_rng(2)
    ref = rng.normal(size=500)
    cur = rng.normal(size=500)
    cur[:7] = np.nan
    cur[7:10] = np.inf
    column = dp.compare({"v": ref}, {"v": cur}, correction=None).columns["v"]
    assert column.n_excluded_current == 10
    expected = scipy.stats.ks_2samp(ref, cur[10:])
    assert column.p_value == pytest.approx(expected.pvalue, rel=REL)


def test_empty_input_is_insufficient_data() -> None:
    with pytest.raises(InsufficientDataError, match="'current'"):
        dp.compare({"v": [1.0, 2.0]}, {"v": np.array([], dtype=float)})


def test_one_row_constant_and_single_category_columns() -> None:
    ref = {"one": [1.5] * 30, "const": [3.0] * 30, "cat": ["a"] * 30}
    cur = {"one": [1.5], "const": [3.0], "cat": ["a"]}
    report = dp.compare(ref, cur)
    assert set(report.columns) == {"one", "const", "cat"}
    assert not report.dataset_drift
    assert report.columns["cat"].p_value == 1.0
    assert report.columns["const"].psi == 0.0
    json.loads(report.to_json())


def test_many_categories() -> None:
    rng = np.random.default_rng(4)
    ref = {"id": rng.integers(0, 100_000, 200_000).astype(str)}
    cur = {"id": rng.integers(0, 100_000, 200_000).astype(str)}
    column = dp.compare(ref, cur).columns["id"]
    assert column.test == "chi2"
    assert column.p_value_method == "monte_carlo"  # about 4 rows per category
    assert not column.drifted
    assert column.distribution is not None
    assert len(column.distribution.labels) > 90_000


def test_frame_libraries_agree() -> None:
    ref, cur = _frames(shift=0.2)
    expected = dp.compare(ref, cur).to_dict()
    for convert in (pd.DataFrame, pl.DataFrame, pa.table):
        got = dp.compare(convert(ref), convert(cur)).to_dict()
        assert got == expected, convert


def test_numpy_2d_input() -> None:
    rng = np.random.default_rng(5)
    report = dp.compare(rng.normal(size=(300, 3)), rng.normal(size=(300, 3)))
    assert list(report.columns) == ["0", "1", "2"]


def test_report_is_immutable_and_json_has_contract_keys() -> None:
    ref, cur = _frames(shift=1.0)
    report = dp.compare(ref, cur)
    with pytest.raises(AttributeError):
        report.dataset_drift = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        report.columns["x"] = report.columns["y"]  # type: ignore[index]
    data = json.loads(report.to_json())
    assert {"dataset_drift", "share_drifted", "n_reference", "n_current", "columns"} <= set(data)
    keys = {"type", "test", "statistic", "p_value", "threshold", "drifted", "severity", "psi"}
    for column in data["columns"].values():
        assert keys <= set(column)
        assert column["severity"] in ("none", "warning", "critical")


def test_severity_is_the_psi_tier() -> None:
    rng = np.random.default_rng(6)
    ref = {name: rng.normal(0, 1, 3000) for name in ("big", "mid", "calm")}
    cur = {
        "big": rng.normal(2, 1, 3000),
        "mid": rng.normal(0.4, 1, 3000),
        "calm": rng.normal(0, 1, 3000),
    }
    report = dp.compare(ref, cur)
    for name, severity in (("big", "critical"), ("mid", "warning"), ("calm", "none")):
        column = report.columns[name]
        assert column.severity == severity, (name, column.psi)
    assert report.dataset_drift
    custom = dp.compare(ref, cur, severity_thresholds=(0.01, 5.0))
    assert custom.columns["big"].severity == "warning"


def test_critical_psi_without_drift_does_not_make_dataset_drift() -> None:
    rng = np.random.default_rng(8)
    # 40 rows against 10 bins: PSI is noisy, the KS test rightly is not.
    ref = {"v": rng.normal(size=40), "w": rng.normal(size=40)}
    cur = {"v": rng.normal(size=40), "w": rng.normal(size=40)}
    report = dp.compare(ref, cur, bins=20)
    assert not any(c.drifted for c in report.columns.values())
    assert not report.dataset_drift


def test_critical_is_drift_can_be_switched_off() -> None:
    rng = np.random.default_rng(6)
    ref = {"a": rng.normal(0, 1, 3000), "b": rng.normal(size=3000), "c": rng.normal(size=3000)}
    cur = {"a": rng.normal(2, 1, 3000), "b": rng.normal(size=3000), "c": rng.normal(size=3000)}
    assert dp.compare(ref, cur).dataset_drift
    assert not dp.compare(ref, cur, critical_is_drift=False).dataset_drift
