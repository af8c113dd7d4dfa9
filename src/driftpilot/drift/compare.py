"""``compare``: is the current data still like the reference? One test per column.

Each column shared by both sides gets one test (see :mod:`driftpilot.drift._selection` for
the default rule), PSI with severity tiers, and a binned distribution for plots. P-value
tests are corrected together for multiple testing. Columns that cannot be tested (present on
one side only, of a changed type, all missing, too few values) become schema findings in the
report instead of errors, so one broken column never hides the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from driftpilot._columns import LOW_CARDINALITY_MAX, ColumnType
from driftpilot.drift._columns_eval import Evaluation, evaluate_categorical, evaluate_numeric
from driftpilot.drift._multivariate import evaluate_multivariate
from driftpilot.drift._options import Options, positive_int, validate_options
from driftpilot.drift._selection import TEST_SPECS, TestSpec, default_test, get_spec
from driftpilot.drift._sources import Source, open_source
from driftpilot.drift._verdict import judge
from driftpilot.drift.report import DriftReport, SchemaFinding
from driftpilot.errors import (
    InsufficientDataError,
    InvalidParameterError,
    SchemaMismatchError,
    UnsupportedDataError,
)

__all__ = ["compare"]

_CATEGORY_KINDS = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN)


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
    multivariate: Sequence[str] | bool = False,
    mmd_max_rows: int = 1000,
    mmd_permutations: int = 500,
    seed: int = 0,
    rule: str = "significance_and_effect",
    effect_threshold: float | Mapping[str, float] | None = None,
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
        distance drifts (under the default rule: its effect threshold). A
        :class:`~driftpilot.Baseline` reference supplies its own.
    bins
        Number of quantile bins of the reference for PSI and binned tests on numeric columns.
        A profile reference brings the edges it was profiled with instead.
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
        Under ``rule="evidently"``: reference sizes up to this use p-value tests by
        default, larger ones distances.
    n_jobs
        Threads used to test columns in parallel (sorting and counting release the GIL).
    multivariate
        Also test these numeric columns jointly with MMD (``True``: every numeric column
        both sides share), see :mod:`driftpilot.drift._multivariate`. Needs raw data on
        both sides. A drifted multivariate test makes the dataset drift.
    mmd_max_rows, mmd_permutations, seed
        Rows per side the MMD test runs on (a seeded subsample beyond that), its number of
        permutations, and the seed of both and of every Monte Carlo or permutation
        p-value (sparse tables, tied samples), so the same data gives the same report.
    rule
        ``"significance_and_effect"`` (default): a column drifts when its corrected
        p-value is below ``alpha`` and its effect size reaches its effect threshold.
        ``"evidently"``: Evidently's rule (p-value tests on small references, distances
        with thresholds on large ones), for side-by-side numbers.
    effect_threshold
        The effect threshold of every column (a number), or per column (a mapping), under
        the default rule; default per effect measure: 0.1 for ``wasserstein_norm`` (a
        tenth of the reference's standard deviation), 0.05 for ``jensenshannon``, 0.1 for
        the others (``driftpilot.drift._selection.EFFECT_THRESHOLDS``). Lower it to find
        smaller changes on large samples.

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
    options = validate_options(
        alpha=alpha,
        correction=correction,
        drift_share=drift_share,
        severity_thresholds=severity_thresholds,
        small_sample=small_sample,
        bins=bins,
        critical_is_drift=critical_is_drift,
        n_jobs=n_jobs,
        rule=rule,
        effect_threshold=effect_threshold,
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
    _check_thresholds(base_thresholds)

    def run(name: str) -> Evaluation | SchemaFinding | None:
        return _evaluate(
            name, ref, cur, per_column.get(name), test, options, explicit=columns, seed=seed
        )

    if n_jobs > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            outcomes = list(pool.map(run, names))
    else:
        outcomes = [run(n) for n in names]
    evaluations = []
    for outcome in outcomes:
        if isinstance(outcome, SchemaFinding):
            findings.append(outcome)
        elif outcome is not None:
            evaluations.append(outcome)
    joint = None
    if multivariate is not False:
        joint_columns = (
            [e.name for e in evaluations if e.kind is ColumnType.NUMERIC]
            if multivariate is True
            else list(multivariate)
        )
        joint = evaluate_multivariate(
            joint_columns,
            ref,
            cur,
            alpha=options.alpha,
            max_rows=positive_int(mmd_max_rows, "mmd_max_rows", minimum=2),
            n_permutations=positive_int(mmd_permutations, "mmd_permutations", minimum=1),
            seed=seed,
        )
    report = judge(evaluations, findings, base_thresholds, options, ref.n_rows, cur.n_rows)
    if joint is None:
        return report
    return replace(
        report,
        multivariate=joint,
        dataset_drift=report.dataset_drift or joint.drifted,
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


def _check_thresholds(thresholds: Mapping[str, float]) -> None:
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
    options: Options,
    *,
    explicit: Sequence[str] | None,
    seed: int,
) -> Evaluation | SchemaFinding | None:
    try:
        kind = ref.kind_of(name)
        if kind is ColumnType.CATEGORICAL and name not in ref.schema:
            kind = _integer_kind(name, ref, cur, column_test or global_test)
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
            return evaluate_categorical(
                name, kind, spec, ref_data, cur_data, rule=options.rule, seed=seed
            )
        ref_num = ref.numeric(name, kind)
        try:
            cur_num = cur.numeric(name, kind)
        except SchemaMismatchError as err:
            return _finding(name, "type_changed", str(err))
        spec = _spec_for(name, kind, test, ref_num.n_valid, 0, options)
        return evaluate_numeric(
            name, kind, spec, ref_num, cur_num, bins=options.bins, rule=options.rule, seed=seed
        )
    except InsufficientDataError as err:
        kind_name = "all_missing" if "no valid values" in str(err) else "too_few_values"
        return _finding(name, kind_name, str(err))


def _spec_for(
    name: str,
    kind: ColumnType,
    test: str | None,
    n_reference: int,
    n_categories: int,
    options: Options,
) -> TestSpec:
    chosen = test or default_test(
        kind,
        n_reference=n_reference,
        n_categories=n_categories,
        small_sample=options.small_sample,
        rule=options.rule,
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


def _integer_kind(name: str, ref: Source, cur: Source, asked: str | None) -> ColumnType:
    """Return the kind of an integer column with few distinct values in the reference.

    Such a column (ratings, counts of children) is categorical by default, but numeric when
    a numeric-only test is asked for, or when both sides together hold more than
    ``LOW_CARDINALITY_MAX`` distinct values (a small reference saw only a few of them).
    """
    if not (ref.is_integer(name) and cur.is_integer(name)):
        return ColumnType.CATEGORICAL
    if asked is not None and ColumnType.CATEGORICAL not in get_spec(asked).kinds:
        return ColumnType.NUMERIC
    distinct = ref.distinct_values(name) | cur.distinct_values(name)
    return ColumnType.NUMERIC if len(distinct) > LOW_CARDINALITY_MAX else ColumnType.CATEGORICAL
