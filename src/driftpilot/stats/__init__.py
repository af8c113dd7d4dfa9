"""Numeric kernels: two-sample tests, distances, binning and p-value adjustment.

Pure numpy/scipy: arrays or bin counts in, frozen dataclasses out. Numeric kernels take
finite 1-D samples (drop NaN and infinity first); binned kernels take aligned counts.
Every kernel validates its input and raises :class:`~driftpilot.errors.InsufficientDataError`
or :class:`~driftpilot.errors.InvalidParameterError` with a message naming the argument.
"""

from __future__ import annotations

from driftpilot.stats._binning import bin_counts, quantile_edges, sorted_quantiles
from driftpilot.stats._result import TestResult
from driftpilot.stats.contingency import chi2, ztest
from driftpilot.stats.correction import CORRECTION_METHODS, adjust_pvalues
from driftpilot.stats.divergence import hellinger, jensenshannon, kl, psi
from driftpilot.stats.ecdf import (
    EcdfDistances,
    ecdf_distances,
    energy,
    wasserstein,
    wasserstein_norm,
)
from driftpilot.stats.edf_tests import anderson, cvm
from driftpilot.stats.ks import MAX_AUTO_N, ks, ks_pvalue
from driftpilot.stats.mmd import MMD_MAX_ROWS, mmd
from driftpilot.stats.nulls import (
    COUNT_NULL_METHODS,
    MIN_EXPECTED,
    CountPValue,
    conditional_draws,
    count_pvalue,
    draws_within_budget,
    sequential_pvalue,
)

__all__ = [
    "CORRECTION_METHODS",
    "COUNT_NULL_METHODS",
    "MAX_AUTO_N",
    "MIN_EXPECTED",
    "MMD_MAX_ROWS",
    "CountPValue",
    "EcdfDistances",
    "TestResult",
    "adjust_pvalues",
    "anderson",
    "bin_counts",
    "chi2",
    "conditional_draws",
    "count_pvalue",
    "cvm",
    "draws_within_budget",
    "ecdf_distances",
    "energy",
    "hellinger",
    "jensenshannon",
    "kl",
    "ks",
    "ks_pvalue",
    "mmd",
    "psi",
    "quantile_edges",
    "sequential_pvalue",
    "sorted_quantiles",
    "wasserstein",
    "wasserstein_norm",
    "ztest",
]
