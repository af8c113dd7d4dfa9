"""The drift report: immutable results of comparing a reference with current data.

``DriftReport.to_dict()`` follows the stable contract in DESIGN.md; keys may be added, never
renamed. JSON has no Infinity or NaN: infinite bin edges are written as ``null`` and no
statistic is ever NaN (columns that cannot be tested become findings instead).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow
    from rich.console import RenderableType

__all__ = [
    "BinnedDistribution",
    "ColumnDrift",
    "ColumnStats",
    "DriftReport",
    "FindingKind",
    "MultivariateDrift",
    "SchemaFinding",
    "Severity",
]

Severity = Literal["none", "warning", "critical"]
FindingKind = Literal[
    "missing_in_current",
    "missing_in_reference",
    "type_changed",
    "all_missing",
    "unsupported_type",
    "too_few_values",
    "not_tested",
    "missing_rate_changed",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class BinnedDistribution:
    """Reference and current counts over the same bins, for plots and binned tests.

    ``edges`` holds the ``len(labels) + 1`` numeric bin edges (the outer ones infinite) for
    numeric kinds and is ``None`` for categories, whose ``labels`` are the category names.
    """

    labels: tuple[str, ...]
    reference: tuple[int, ...]
    current: tuple[int, ...]
    edges: tuple[float, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; infinite edges become ``None``."""
        return {
            "labels": list(self.labels),
            "reference": list(self.reference),
            "current": list(self.current),
            "edges": None
            if self.edges is None
            else [e if e not in (float("inf"), float("-inf")) else None for e in self.edges],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnStats:
    """Summary statistics of one side (reference or current) of one column.

    ``n_missing`` counts the rows kept out of the test (null, NaN or infinite).
    Numeric kinds (``numeric``, ``datetime`` in seconds since the epoch, ``text`` lengths)
    fill ``min`` to ``q95`` from the valid values; categorical kinds fill
    ``n_categories`` and the most frequent category with its share of the valid rows.
    ``approximate`` is true when the quantiles were read off a profile's sketch (within
    its rank error); min, max and mean are exact from a profile too.
    """

    n: int
    n_missing: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    q05: float | None = None
    q25: float | None = None
    q50: float | None = None
    q75: float | None = None
    q95: float | None = None
    n_categories: int | None = None
    top_category: str | None = None
    top_share: float | None = None
    approximate: bool = False

    @property
    def missing_share(self) -> float:
        """The share of rows that are missing (0 for no rows)."""
        return self.n_missing / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``missing_share`` included)."""
        return {
            "n": self.n, "n_missing": self.n_missing, "missing_share": self.missing_share,
            "min": self.min, "max": self.max, "mean": self.mean, "std": self.std,
            "q05": self.q05, "q25": self.q25, "q50": self.q50, "q75": self.q75,
            "q95": self.q95, "n_categories": self.n_categories,
            "top_category": self.top_category, "top_share": self.top_share,
            "approximate": self.approximate,
        }  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnDrift:
    """The drift verdict for one column.

    Under the default rule (``report.options["rule"] == "significance_and_effect"``)
    ``drifted`` is ``p_value_adjusted < alpha and effect_size >= effect_threshold``: the
    change is beyond sampling noise (the p-value after the report's multiple-testing
    correction) and large enough to matter. ``threshold`` is then the significance level
    of a p-value test, or the effect threshold of a distance; every test has a p-value
    (``p_value_method`` says how it was obtained: ``exact``, ``asymptotic``,
    ``monte_carlo``, ``permutation``, ``ks`` for a sample distance judged by the KS test
    on the same data, ``sketch_conservative`` from a profile's sketch).
    Under ``rule="evidently"`` it is the verdict of the ``test`` against its
    ``threshold``: for p-value tests ``p_value_adjusted < threshold``; for distances
    (whose ``p_value`` is then ``None``) ``effect_size >= threshold``.
    ``effect_size`` is the value of ``effect_measure`` (the distance itself for a
    distance test, ``wasserstein_norm`` for other numeric tests, ``jensenshannon`` for
    other tests on counts); from a sketch it is the estimate minus its error bound.
    ``severity`` is the PSI tier (``none`` < 0.1 <= ``warning`` < 0.25 <= ``critical`` by
    default), whatever the test says: on small samples PSI is noisy, so a column can be
    ``critical`` without having drifted.
    ``n_excluded_*`` count the rows kept out of the test (null, NaN, infinite).
    ``approximate`` is true when a statistic came from a sketch; ``error_bound`` then bounds
    its absolute error. ``reference_stats`` and ``current_stats`` summarise each side
    (missing share, min, max, mean, quantiles) beside the verdict.
    """

    name: str
    type: str
    test: str
    statistic: float
    p_value: float | None
    p_value_adjusted: float | None
    threshold: float
    drifted: bool
    severity: Severity
    psi: float | None
    n_reference: int
    n_current: int
    n_excluded_reference: int = 0
    n_excluded_current: int = 0
    approximate: bool = False
    error_bound: float | None = None
    distribution: BinnedDistribution | None = None
    p_value_method: str | None = None
    effect_measure: str | None = None
    effect_size: float | None = None
    effect_threshold: float | None = None
    reference_stats: ColumnStats | None = None
    current_stats: ColumnStats | None = None

    @property
    def missing_share_change(self) -> float | None:
        """Current minus reference missing share (``None`` without both sides' stats)."""
        if self.reference_stats is None or self.current_stats is None:
            return None
        return self.current_stats.missing_share - self.reference_stats.missing_share

    def __repr__(self) -> str:
        verdict = "drifted" if self.drifted else "stable"
        p = "" if self.p_value_adjusted is None else f", p_adjusted={self.p_value_adjusted:.3g}"
        return (
            f"ColumnDrift({self.name!r}, {self.type}, {self.test}={self.statistic:.4g}{p}, "
            f"{verdict}, severity={self.severity})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with the contract's keys first."""
        return {
            "type": self.type,
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "severity": self.severity,
            "psi": self.psi,
            "p_value_adjusted": self.p_value_adjusted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "n_excluded_reference": self.n_excluded_reference,
            "n_excluded_current": self.n_excluded_current,
            "approximate": self.approximate,
            "error_bound": self.error_bound,
            "distribution": None if self.distribution is None else self.distribution.to_dict(),
            "p_value_method": self.p_value_method,
            "effect_measure": self.effect_measure,
            "effect_size": self.effect_size,
            "effect_threshold": self.effect_threshold,
            "reference_stats": None
            if self.reference_stats is None
            else self.reference_stats.to_dict(),
            "current_stats": None if self.current_stats is None else self.current_stats.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MultivariateDrift:
    """The verdict of one test over several numeric columns at once (MMD).

    ``n_reference``/``n_current`` count the complete rows, ``n_used_*`` the rows the test
    ran on after subsampling, ``n_excluded_*`` the rows left out for a missing or
    non-finite value. ``drifted`` is ``p_value < threshold``.
    """

    columns: tuple[str, ...]
    test: str
    statistic: float
    p_value: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    n_used_reference: int
    n_used_current: int
    n_excluded_reference: int
    n_excluded_current: int
    bandwidth: float
    n_permutations: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "columns": list(self.columns),
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "n_used_reference": self.n_used_reference,
            "n_used_current": self.n_used_current,
            "n_excluded_reference": self.n_excluded_reference,
            "n_excluded_current": self.n_excluded_current,
            "bandwidth": self.bandwidth,
            "n_permutations": self.n_permutations,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaFinding:
    """Something about a column that kept it out of testing, or that changed shape."""

    column: str
    kind: FindingKind
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-ready dict."""
        return {"column": self.column, "kind": self.kind, "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftReport:
    """The result of :func:`driftpilot.compare`.

    ``dataset_drift`` is true when ``share_drifted >= options["drift_share"]``, or, when
    ``options["critical_is_drift"]`` is true, when any drifted column's severity is
    ``critical``, or when the ``multivariate`` test (if asked for) drifted.
    ``share_drifted`` is the share of tested columns that drifted (0 when none was tested).
    """

    dataset_drift: bool
    share_drifted: float
    n_reference: int
    n_current: int
    columns: Mapping[str, ColumnDrift]
    findings: tuple[SchemaFinding, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    multivariate: MultivariateDrift | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: nobody edits a report after the fact.
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        """Names of the columns whose test found drift, in column order."""
        return tuple(name for name, column in self.columns.items() if column.drifted)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict (keys as in DESIGN.md's contract)."""
        return {
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": {name: column.to_dict() for name, column in self.columns.items()},
            "findings": [finding.to_dict() for finding in self.findings],
            "options": dict(self.options),
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as strict JSON (no NaN or Infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_html(self, *, title: str = "driftpilot drift report") -> str:
        """Return a self-contained HTML page (no external assets) showing the report."""
        from driftpilot.drift._html import render_html

        return render_html(self, title=title)

    def _repr_html_(self) -> str:
        """Return the report as a notebook cell shows it: verdict, table, folded plots.

        One ``<div>`` whose style rules are all scoped under its own class, so it neither
        restyles the notebook nor is restyled by it.
        """
        from driftpilot.drift._html import render_fragment

        return render_fragment(self, title="Drift report", compact=True)

    def __repr__(self) -> str:
        n_drifted, n_columns = len(self.drifted_columns), len(self.columns)
        findings = f", {len(self.findings)} findings" if self.findings else ""
        return (
            f"DriftReport(dataset_drift={self.dataset_drift}, {n_drifted}/{n_columns} "
            f"columns drifted{findings}, n_reference={self.n_reference}, "
            f"n_current={self.n_current})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only mappings do not pickle; rebuild from plain dicts instead.
        fields = {
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": dict(self.columns),
            "findings": self.findings,
            "options": dict(self.options),
            "multivariate": self.multivariate,
        }
        return (_rebuild_report, (fields,))

    def to_arrow(self) -> pyarrow.Table:
        """Return one row per tested column as a ``pyarrow.Table``.

        Columns: the verdict's fields (``column``, ``type``, ``test``, ``statistic``,
        ``p_value``, ``p_value_adjusted``, ``threshold``, ``drifted``, ``severity``, ``psi``,
        the effect size and the counts), then ``missing_share``, ``min``, ``max``, ``mean``
        and ``q50`` for each side (``missing_share_reference``, ``missing_share_current``,
        ...), then ``findings``, the kinds of the findings about the column.
        """
        from driftpilot.drift._export import report_table

        return report_table(self)

    def to_pandas(self) -> pandas.DataFrame:
        """Return :meth:`to_arrow` as a pandas DataFrame (needs the ``pandas`` extra)."""
        from driftpilot._optional import require

        require("pandas", extra="pandas", purpose="DriftReport.to_pandas()")
        frame: pandas.DataFrame = self.to_arrow().to_pandas()
        return frame

    def to_polars(self) -> polars.DataFrame:
        """Return :meth:`to_arrow` as a polars DataFrame (needs the ``polars`` extra)."""
        from driftpilot._optional import require

        pl = require("polars", extra="polars", purpose="DriftReport.to_polars()")
        frame: polars.DataFrame = pl.from_arrow(self.to_arrow())
        return frame

    def __rich__(self) -> RenderableType:
        """Render as a rich summary table (``rich.print(report)``)."""
        from driftpilot.drift._table import render_table

        return render_table(self)


def _rebuild_report(fields: dict[str, Any]) -> DriftReport:
    """Unpickle a :class:`DriftReport` (see ``DriftReport.__reduce__``)."""
    return DriftReport(**fields)
