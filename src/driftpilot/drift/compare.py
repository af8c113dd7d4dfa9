"""``compare``: is the current data still like the reference? One test per column.

Each column shared by both sides gets one test (see :mod:`driftpilot.drift._selection` for
the default rule), PSI with severity tiers, and a binned distribution for plots. P-value
tests are corrected together for multiple testing. Columns that cannot be tested (present on
one side only, of a changed type, all missing, too few values) become schema findings in the
report instead of errors, so one broken column never hides the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftpilot._columns import ColumnType
from driftpilot.drift._columns_eval import Evaluation, evaluate_categorical, evaluate_numeric
from driftpilot.drift._selection import TEST_SPECS, TestSpec, default_test, get_spec
from driftpilot.drift._sources import Source, open_source
from driftpilot.drift.report import ColumnDrift, DriftReport, SchemaFinding, Severity
from driftpilot.errors import (
    InsufficientDataError,
    InvalidParameterError,
    SchemaMismatchError,
    UnsupportedDataError,
)
from driftpilot.stats import CORRECTION_METHODS, adjust_pvalues

__all__ = ["compare"]

_CATEGORY_KINDS = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    alpha: float
    correction: str | None
    drift_share: float
    critical_is_drift: bool
    severity_thresholds: tuple[float, float]
    small_sample: int
    bins: int


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    test: str | None = None,
    tests: Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    bins: int = 10,
    alpha: float = 0.05,
    correction: str | None = "fdr_bh",
    drift_share: float = 0.5,
    critical_is_drift: bool = True,
    severity_thresholds: tuple[float, float] = (0.1, 0.25),
    small_sample: int = 1000,
    n_jobs: int = 2,
) -> DriftReport:
    """Compare ``current`` data with ``reference`` data, column by column.

    Parameters
    ----------
    reference
        The reference data (usually training data): a pandas, polars or pyarrow frame, a 2-D
        numpy array, a dict of arrays, or a saved :class:`~driftpilot.Profile` or
        :class:`~driftpilot.Baseline`. From a frame every test is exact; from a profile binned
        tests and PSI are exact and ``ks``/``wasserstein`` come from quantile sketches with
        an error bound in the result.
    current
        The data to check, in any of the same forms (a profile must have been made with
        ``reference=`` the reference profile so its histograms share the bin edges).
    columns
        Only these columns (default: every column of the reference).
    schema
        Column kinds that override inference, e.g. ``{"zip": "categorical"}``.
    test, tests
        A test identifier for every column it can test (``test="ks"`` leaves categorical
        columns to the default rule), or per column (``tests={"age": "psi"}``), which must
        fit the column and wins. Default: the rule in :mod:`driftpilot.drift._selection`.
    thresholds
        Per column: the significance level of a p-value test, or the distance at which a
        distance drifts. A :class:`~driftpilot.Baseline` reference supplies its own.
    bins
        Number of quantile bins of the reference for PSI and binned tests on numeric columns.
    alpha
        Significance level of p-value tests (after correction).
    correction
        ``"fdr_bh"`` (default), ``"holm"``, ``"bonferroni"`` or ``None``: multiple-testing
        correction across the columns' p-value tests.
    drift_share
        The dataset drifts when at least this share of tested columns drifts.
    critical_is_drift
        Whether one drifted column of ``critical`` severity is enough for dataset drift.
    severity_thresholds
        PSI values at which a column's severity becomes ``warning`` and ``critical``.
    small_sample
        Reference sizes up to this use p-value tests by default, larger ones distances.
    n_jobs
        Threads used to test columns in parallel (sorting and counting release the GIL).

    Returns
    -------
    DriftReport
        Frozen; ``to_dict()``, ``to_json()``, ``to_html()``; rich-printable.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = {"age": rng.normal(40, 10, 500), "plan": rng.choice(["a", "b", "c"], 500)}
    >>> cur = {"age": rng.normal(45, 10, 500), "plan": rng.choice(["a", "b", "c"], 500)}
    >>> report = compare(ref, cur)
    >>> report.columns["age"].test, report.columns["age"].drifted
    ('ks', True)
    >>> report.columns["plan"].test, report.columns["plan"].drifted
    ('chi2', False)
    """
    options = _validate_options(
        alpha=alpha,
        correction=correction,
        drift_share=drift_share,
        severity_thresholds=severity_thresholds,
        small_sample=small_sample,
        bins=bins,
        critical_is_drift=critical_is_drift,
        n_jobs=n_jobs,
    )
    if test is not None:
        get_spec(test)
    ref = open_source(reference, name="reference", schema=schema)
    cur = open_source(current, name="current", schema=schema)
    findings: list[SchemaFinding] = []
    names = _plan_columns(ref, cur, columns, tests, findings)
    per_column = dict(tests or {})
    base_thresholds = dict(ref.baseline.thresholds) if ref.baseline is not None else {}
    base_thresholds.update(thresholds or {})
    _check_threshold_columns(base_thresholds, ref)

    def run(name: str) -> Evaluation | SchemaFinding | None:
        return _evaluate(name, ref, cur, per_column.get(name), test, options, explicit=columns)

    with ThreadPoolExecutor(max_workers=max(1, n_jobs)) as pool:
        outcomes = list(pool.map(run, names)) if n_jobs > 1 else [run(n) for n in names]
    evaluations = []
    for outcome in outcomes:
        if isinstance(outcome, SchemaFinding):
            findings.append(outcome)
        elif outcome is not None:
            evaluations.append(outcome)
    return _judge(evaluations, findings, base_thresholds, options, ref.n_rows, cur.n_rows)


def _validate_options(
    *,
    alpha: float,
    correction: str | None,
    drift_share: float,
    severity_thresholds: tuple[float, float],
    small_sample: int,
    bins: int,
    critical_is_drift: bool,
    n_jobs: int,
) -> _Options:
    if not 0 < alpha < 1:
        raise InvalidParameterError(
            f"The 'alpha' parameter of compare must be in (0, 1). Got {alpha!r} instead."
        )
    if correction is not None and correction not in CORRECTION_METHODS:
        allowed = ", ".join(CORRECTION_METHODS)
        raise InvalidParameterError(
            f"The 'correction' parameter of compare must be one of {allowed} or None. "
            f"Got {correction!r} instead."
        )
    if not 0 < drift_share <= 1:
        raise InvalidParameterError(
            f"The 'drift_share' parameter of compare must be in (0, 1]. Got {drift_share!r} "
            "instead."
        )
    warning, critical = severity_thresholds
    if not 0 <= warning <= critical:
        raise InvalidParameterError(
            "The 'severity_thresholds' parameter of compare must be (warning, critical) with "
            f"0 <= warning <= critical. Got {severity_thresholds!r} instead."
        )
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise InvalidParameterError(
            f"The 'bins' parameter of compare must be an integer >= 1. Got {bins!r} instead."
        )
    if isinstance(small_sample, bool) or not isinstance(small_sample, int) or small_sample < 0:
        raise InvalidParameterError(
            "The 'small_sample' parameter of compare must be an integer >= 0. "
            f"Got {small_sample!r} instead."
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InvalidParameterError(
            f"The 'n_jobs' parameter of compare must be an integer >= 1. Got {n_jobs!r} instead."
        )
    return _Options(
        alpha=float(alpha),
        correction=correction,
        drift_share=float(drift_share),
        critical_is_drift=bool(critical_is_drift),
        severity_thresholds=(float(warning), float(critical)),
        small_sample=small_sample,
        bins=bins,
    )


def _plan_columns(
    ref: Source,
    cur: Source,
    columns: Sequence[str] | None,
    tests: Mapping[str, str] | None,
    findings: list[SchemaFinding],
) -> list[str]:
    ref_names = ref.column_names
    cur_names = set(cur.column_names)
    if not cur_names & set(ref_names):
        raise SchemaMismatchError(
            "The reference and current data share no columns (reference: "
            f"{_preview(ref_names)}; current: {_preview(cur.column_names)}). "
            "Are these the right inputs?"
        )
    for column, name in (tests or {}).items():
        get_spec(name, column=column)
    wanted = list(columns) if columns is not None else ref_names
    for column in [*wanted, *(tests or {})]:
        if column not in ref_names and column not in cur_names:
            raise InvalidParameterError(
                f"Column {column!r} is named in 'columns' or 'tests' but is in neither the "
                "reference nor the current data."
            )
    planned = []
    for column in wanted:
        if column not in ref_names:
            findings.append(
                _finding(
                    column,
                    "missing_in_reference",
                    "The column is in the current data but not the reference.",
                )
            )
        elif column not in cur_names:
            findings.append(
                _finding(
                    column,
                    "missing_in_current",
                    "The column is in the reference but not the current data.",
                )
            )
        else:
            planned.append(column)
    if columns is None:
        for column in cur.column_names:
            if column not in ref_names:
                findings.append(
                    _finding(
                        column,
                        "missing_in_reference",
                        "The column is in the current data but not the reference.",
                    )
                )
    return planned


def _preview(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_threshold_columns(thresholds: Mapping[str, float], ref: Source) -> None:
    for column, value in thresholds.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise InvalidParameterError(
                f"The threshold for column {column!r} must be a positive number. "
                f"Got {value!r} instead."
            )


def _finding(column: str, kind: Any, message: str) -> SchemaFinding:
    return SchemaFinding(column=column, kind=kind, message=message)


def _evaluate(
    name: str,
    ref: Source,
    cur: Source,
    column_test: str | None,
    global_test: str | None,
    options: _Options,
    *,
    explicit: Sequence[str] | None,
) -> Evaluation | SchemaFinding | None:
    try:
        kind = ref.kind_of(name)
    except (SchemaMismatchError, UnsupportedDataError) as err:
        return _finding(name, "unsupported_type", str(err))
    # A per-column test must fit the column; the global one applies where it fits.
    test = column_test
    if test is None and global_test is not None and kind in get_spec(global_test).kinds:
        test = global_test
    if kind is ColumnType.DATETIME and test is None and name not in (explicit or ()):
        return _finding(
            name,
            "not_tested",
            "Datetime columns are not tested by default (time always moves forward); "
            "name the column in 'tests' or 'columns' to test it.",
        )
    try:
        if kind in _CATEGORY_KINDS:
            ref_data, cur_data = ref.categorical(name), cur.categorical(name)
            n_categories = len(set(ref_data.categories()) | set(cur_data.categories()))
            spec = _spec_for(name, kind, test, ref_data.n_valid, n_categories, options)
            return evaluate_categorical(name, kind, spec, ref_data, cur_data)
        ref_num = ref.numeric(name, kind)
        try:
            cur_num = cur.numeric(name, kind)
        except SchemaMismatchError as err:
            return _finding(name, "type_changed", str(err))
        spec = _spec_for(name, kind, test, ref_num.n_valid, 0, options)
        return evaluate_numeric(name, kind, spec, ref_num, cur_num, bins=options.bins)
    except InsufficientDataError as err:
        kind_name = "all_missing" if "no valid values" in str(err) else "too_few_values"
        return _finding(name, kind_name, str(err))


def _spec_for(
    name: str,
    kind: ColumnType,
    test: str | None,
    n_reference: int,
    n_categories: int,
    options: _Options,
) -> TestSpec:
    chosen = test or default_test(
        kind, n_reference=n_reference, n_categories=n_categories, small_sample=options.small_sample
    )
    spec = get_spec(chosen, column=name)
    if kind not in spec.kinds:
        raise InvalidParameterError(
            f"The test {chosen!r} cannot be used on column {name!r}, which is {kind.value}. "
            f"Tests for {kind.value} columns: "
            + ", ".join(sorted(n for n, s in TEST_SPECS.items() if kind in s.kinds))
            + "."
        )
    return spec


def _judge(
    evaluations: list[Evaluation],
    findings: list[SchemaFinding],
    thresholds: Mapping[str, float],
    options: _Options,
    n_reference: int,
    n_current: int,
) -> DriftReport:
    p_tests = [e for e in evaluations if e.test.judged_by == "p_value"]
    raw = np.asarray([e.p_value for e in p_tests], dtype=np.float64)
    adjusted = raw if options.correction is None else adjust_pvalues(raw, method=options.correction)
    adjusted_by_name = {e.name: float(p) for e, p in zip(p_tests, adjusted, strict=True)}
    columns: dict[str, ColumnDrift] = {}
    for e in evaluations:
        threshold = thresholds.get(e.name)
        if threshold is None:
            threshold = (
                options.alpha if e.test.default_threshold is None else e.test.default_threshold
            )
        if e.test.judged_by == "p_value":
            p_adj: float | None = adjusted_by_name[e.name]
            assert p_adj is not None
            drifted = p_adj < threshold
        else:
            p_adj = None
            drifted = e.statistic >= threshold
        severity = _severity(e.psi, options.severity_thresholds)
        columns[e.name] = ColumnDrift(
            name=e.name,
            type=e.kind.value,
            test=e.test.name,
            statistic=_finite(e.statistic),
            p_value=e.p_value,
            p_value_adjusted=p_adj,
            threshold=float(threshold),
            drifted=bool(drifted),
            severity=severity,
            psi=_finite(e.psi),
            n_reference=e.n_reference,
            n_current=e.n_current,
            n_excluded_reference=e.n_excluded_reference,
            n_excluded_current=e.n_excluded_current,
            approximate=e.approximate,
            error_bound=e.error_bound,
            distribution=e.distribution,
        )
    n_drifted = sum(c.drifted for c in columns.values())
    share = n_drifted / len(columns) if columns else 0.0
    any_critical = any(c.drifted and c.severity == "critical" for c in columns.values())
    dataset_drift = bool(columns) and (
        share >= options.drift_share or (options.critical_is_drift and any_critical)
    )
    return DriftReport(
        dataset_drift=dataset_drift,
        share_drifted=share,
        n_reference=n_reference,
        n_current=n_current,
        columns=columns,
        findings=tuple(findings),
        options={
            "alpha": options.alpha,
            "correction": options.correction,
            "drift_share": options.drift_share,
            "critical_is_drift": options.critical_is_drift,
            "severity_thresholds": list(options.severity_thresholds),
            "small_sample": options.small_sample,
            "bins": options.bins,
        },
    )


def _severity(psi: float, thresholds: tuple[float, float]) -> Severity:
    warning, critical = thresholds
    if psi >= critical:
        return "critical"
    return "warning" if psi >= warning else "none"


def _finite(value: float) -> float:
    if not math.isfinite(value):
        # Kernels never return NaN; an infinite distance (e.g. KL) is capped for JSON.
        return float(np.finfo(np.float64).max) if value > 0 else 0.0
    return float(value)
