"""``compare --test COLUMN=TEST`` where the test does not fit the column: a finding, not a crash.

``dp.compare`` refuses a per-column test that cannot judge the column's kind (``ks`` on a
categorical column), which suits a program. On the command line one such column must not
lose the whole report: the CLI finds these columns first (with the kinds ``compare`` will
use: ``--schema``, the saved profile's, or the inferred ones), leaves them out of both inputs,
compares the rest, and lists each left-out column in the report's findings (kind
``not_tested``, the message naming the test, the kind and the tests that fit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pyarrow as pa

from driftpilot.drift import TEST_SPECS, DriftReport, SchemaFinding
from driftpilot.drift._sources import open_source
from driftpilot.profile import Baseline, Profile

__all__ = ["unfit_tests", "with_findings", "without_columns"]


def unfit_tests(
    reference: pa.Table | Profile | Baseline, tests: Mapping[str, str], schema: Mapping[str, str]
) -> dict[str, str]:
    """Return, per column whose named test cannot judge its kind, why (unknown names pass)."""
    source = open_source(reference, name="reference", schema=schema)
    names = set(source.column_names)
    reasons = {}
    for column, test in tests.items():
        spec = TEST_SPECS.get(test)
        if spec is None or column not in names:
            continue  # compare names an unknown test or column itself (exit 2)
        kind = source.kind_of(column)
        if kind not in spec.kinds:
            fitting = ", ".join(sorted(n for n, s in TEST_SPECS.items() if kind in s.kinds))
            reasons[column] = (
                f"The test {test!r} given for column {column!r} cannot judge a {kind.value} "
                f"column, so the column was left out (tests for {kind.value} columns: "
                f"{fitting}; or set its kind with --schema {column}=KIND)."
            )
    return reasons


def without_columns(data: Any, columns: Mapping[str, str]) -> Any:
    """Return ``data`` (a table, profile or baseline) without ``columns``."""
    if not columns:
        return data
    if isinstance(data, pa.Table):
        return data.drop_columns([c for c in columns if c in data.column_names])
    if isinstance(data, Baseline):
        return replace(data, profile=without_columns(data.profile, columns))
    if isinstance(data, Profile):
        kept = {n: c for n, c in data.columns.items() if n not in columns}
        return replace(data, columns=kept)
    return data


def with_findings(report: DriftReport, reasons: Mapping[str, str]) -> DriftReport:
    """Return ``report`` with one ``not_tested`` finding per left-out column."""
    if not reasons:
        return report
    added = tuple(SchemaFinding(column=c, kind="not_tested", message=m) for c, m in reasons.items())
    return replace(report, findings=report.findings + added)
