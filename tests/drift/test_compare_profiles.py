"""dp.compare with a saved profile or baseline as the reference (and as the current side)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.stats

import driftpilot as dp
from driftpilot.errors import IncompatibleProfilesError


@pytest.fixture(scope="module")
def data() -> dp.datasets.DriftDataset:
    return dp.datasets.make_drift_data(20_000, n_numeric=4, n_categorical=2, seed=11)


def test_binned_tests_from_a_profile_equal_those_from_the_frame(
    data: dp.datasets.DriftDataset, tmp_path: Path
) -> None:
    path = tmp_path / "reference.json"
    dp.profile(data.reference).save(path)
    tests = {"num_0": "psi", "num_1": "chi2", "cat_0": "chi2", "cat_1": "jensenshannon"}
    from_frame = dp.compare(data.reference, data.current, tests=tests)
    from_profile = dp.compare(dp.load(path), data.current, tests=tests)
    for name in tests:
        exact, saved = from_frame.columns[name], from_profile.columns[name]
        assert saved.statistic == exact.statistic, name
        assert saved.p_value == exact.p_value, name
        assert saved.psi == exact.psi, name
        assert saved.distribution == exact.distribution, name
        assert not saved.approximate


def test_sketch_statistics_stay_within_their_stated_bound(
    data: dp.datasets.DriftDataset,
) -> None:
    reference = dp.profile(data.reference)
    for test in ("ks", "wasserstein", "wasserstein_norm"):
        exact = dp.compare(data.reference, data.current, test=test, columns=["num_0", "num_3"])
        approx = dp.compare(reference, data.current, test=test, columns=["num_0", "num_3"])
        for name in ("num_0", "num_3"):
            column = approx.columns[name]
            assert column.approximate
            assert column.error_bound is not None
            assert abs(column.statistic - exact.columns[name].statistic) <= column.error_bound
    # The bound is honest but not vacuous for KS: a few percent of the statistic's range.
    ks_column = dp.compare(reference, data.current, test="ks").columns["num_0"]
    assert ks_column.error_bound is not None
    assert ks_column.error_bound < 0.05


def test_ks_from_two_profiles_against_scipy(data: dp.datasets.DriftDataset) -> None:
    reference = dp.profile(data.reference)
    current = dp.profile(data.current, reference=reference)
    report = dp.compare(reference, current, test="ks", columns=["num_0", "num_3"])
    for name in ("num_0", "num_3"):
        exact = scipy.stats.ks_2samp(
            data.reference[name].to_numpy(), data.current[name].to_numpy()
        ).statistic
        column = report.columns[name]
        assert column.error_bound is not None
        assert abs(column.statistic - exact) <= column.error_bound
        assert column.drifted == (name in data.shifted)


def test_current_profile_must_share_the_reference_edges(data: dp.datasets.DriftDataset) -> None:
    reference = dp.profile(data.reference)
    standalone = dp.profile(data.current)  # binned on its own quantiles
    with pytest.raises(IncompatibleProfilesError, match="reference="):
        dp.compare(reference, standalone, columns=["num_0"], test="psi")
    aligned = dp.profile(data.current, reference=reference)
    report = dp.compare(reference, aligned)
    assert set(report.drifted_columns) == set(data.shifted)


def test_tests_that_need_raw_data_say_so(data: dp.datasets.DriftDataset) -> None:
    reference = dp.profile(data.reference)
    with pytest.raises(IncompatibleProfilesError, match="raw data"):
        dp.compare(reference, data.current, test="anderson", columns=["num_0"])


def test_baseline_reference_brings_thresholds_and_target(
    data: dp.datasets.DriftDataset, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    reference = data.reference.append_column("label", [rng.integers(0, 2, 20_000)])
    current = data.current.append_column("label", [rng.integers(0, 2, 20_000)])
    baseline = dp.baseline(reference, target="label", thresholds={"num_0": 0.9})
    path = tmp_path / "baseline.json"
    baseline.save(path)
    tests = {"num_0": "wasserstein_norm"}
    report = dp.compare(dp.load(path), current, tests=tests)
    assert report.columns["num_0"].threshold == 0.9
    assert report.columns["num_0"].effect_threshold == 0.9
    assert not report.columns["num_0"].drifted  # the baseline's threshold is lenient
    assert "label" in report.columns  # target drift is checked too
    overridden = dp.compare(dp.load(path), current, tests=tests, thresholds={"num_0": 0.1})
    assert overridden.columns["num_0"].drifted


def test_two_window_profiles_without_histograms_are_comparable(
    data: dp.datasets.DriftDataset,
) -> None:
    # Issue 11: GET .../profile of two windows (no baseline) keeps no histograms; compare
    # raised IncompatibleProfilesError even with test="ks".
    config = dp.ProfileConfig(histograms=False)
    reference = dp.profile(data.reference, config=config)
    current = dp.profile(data.current, config=config)
    report = dp.compare(reference, current, test="ks")
    assert set(report.drifted_columns) == set(data.shifted)
    column = report.columns["num_0"]
    assert column.approximate
    assert column.psi is None  # no exact counts on common edges
    assert column.p_value_method == "sketch_conservative"
    assert column.distribution is not None
    assert sum(column.distribution.current) == data.current.num_rows
    defaults = dp.compare(reference, current)
    assert set(defaults.drifted_columns) == set(data.shifted)
    with pytest.raises(IncompatibleProfilesError, match="reference="):
        dp.compare(reference, current, test="psi", columns=["num_0"])


def test_wasserstein_from_a_baseline_is_conservative_by_its_bound() -> None:
    # Issue 12: heavy-tailed A/A columns were flagged from a baseline (the sketch's error
    # taken for drift), never from raw data: the KLL sketch's estimates reached 0.07-0.1
    # where the raw distances are about 0.01. From the exact grid the estimate is within
    # its bound of the raw distance.
    rng = np.random.default_rng(1)
    for _ in range(4):
        ref, cur = {"x": rng.pareto(1.5, 50_000)}, {"x": rng.pareto(1.5, 50_000)}
        baseline = dp.baseline(ref)
        for rule in ("significance_and_effect", "evidently"):
            column = dp.compare(baseline, cur, test="wasserstein_norm", rule=rule).columns["x"]
            assert column.approximate
            assert column.error_bound is not None
            # The smallest distance the profiles allow: at least the estimate minus its bound.
            low = max(column.statistic - column.error_bound, 0.0)
            assert low - 1e-12 <= column.effect_size <= column.statistic
            assert not column.drifted
            raw = dp.compare(ref, cur, test="wasserstein_norm", rule=rule).columns["x"]
            assert abs(column.statistic - raw.statistic) <= column.error_bound + 1e-12
            assert column.effect_size <= raw.statistic + 1e-12
