"""Which test each column gets, and what each test identifier means.

Default rule (the same as Evidently's, so numbers can be compared side by side):

* Small reference (``n_reference <= small_sample``, default 1,000 rows): p-value tests.
  Numeric, datetime and text (lengths) columns get ``ks``; categorical and boolean columns get
  ``ztest`` when they have two categories (across both sides) and ``chi2`` otherwise. A column
  drifts when its p-value, after the report's multiple-testing correction, is below ``alpha``.
* Large reference: distances with thresholds, so that huge samples do not flag shifts too small
  to matter (every p-value test rejects on a million rows for a shift of a hundredth of a
  standard deviation). Numeric kinds get ``wasserstein_norm`` (Wasserstein distance in units of
  the reference's standard deviation), categorical kinds get ``jensenshannon``; both drift at
  0.1 by default.

``tests=`` overrides the rule per column, ``test=`` for all columns; ``thresholds=`` sets a
column's threshold (a significance level for p-value tests, a distance otherwise).
Datetime columns are not tested unless named in ``tests=`` or ``columns=``: time always moves
forward, so a timestamp column would always "drift".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from driftpilot._columns import ColumnType
from driftpilot.errors import InvalidParameterError

__all__ = ["TEST_SPECS", "TestSpec", "default_test", "get_spec"]

_NUMERIC_KINDS = frozenset({ColumnType.NUMERIC, ColumnType.DATETIME, ColumnType.TEXT})
_ALL_KINDS = frozenset(ColumnType)
_CATEGORY_KINDS = frozenset({ColumnType.CATEGORICAL, ColumnType.BOOLEAN})


@dataclass(frozen=True, slots=True, kw_only=True)
class TestSpec:
    """What a test identifier needs and how its statistic is judged.

    ``inputs`` is ``"samples"`` for tests on the values themselves (numeric kinds only) and
    ``"counts"`` for tests on bin or category counts (any kind). ``from_sketch`` says whether
    the statistic can be computed from a profile's quantile sketch when the raw reference is
    not at hand (approximately, with a stated bound). ``default_threshold`` is ``None`` for
    p-value tests, whose threshold is the report's ``alpha``.
    """

    __test__ = False  # not a pytest test class

    name: str
    judged_by: Literal["p_value", "distance"]
    inputs: Literal["samples", "counts"]
    kinds: frozenset[ColumnType]
    default_threshold: float | None
    from_sketch: bool = False
    binary_only: bool = False


TEST_SPECS: dict[str, TestSpec] = {
    spec.name: spec
    for spec in (
        TestSpec(
            name="ks",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
            from_sketch=True,
        ),
        TestSpec(
            name="anderson",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="cvm",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="wasserstein",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
            from_sketch=True,
        ),
        TestSpec(
            name="wasserstein_norm",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
            from_sketch=True,
        ),
        TestSpec(
            name="energy",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="chi2",
            judged_by="p_value",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="ztest",
            judged_by="p_value",
            inputs="counts",
            kinds=_CATEGORY_KINDS,
            default_threshold=None,
            binary_only=True,
        ),
        TestSpec(
            name="psi",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="jensenshannon",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="kl",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="hellinger",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
    )
}


def get_spec(name: str, *, column: str | None = None) -> TestSpec:
    """Return the spec of test ``name``, or raise naming the allowed identifiers."""
    try:
        return TEST_SPECS[name]
    except KeyError:
        allowed = ", ".join(sorted(TEST_SPECS))
        where = f" for column {column!r}" if column is not None else ""
        raise InvalidParameterError(
            f"Unknown drift test {name!r}{where}. Choose one of: {allowed}."
        ) from None


def default_test(
    kind: ColumnType, *, n_reference: int, n_categories: int, small_sample: int
) -> str:
    """Return the default test identifier for a column (rule in the module docstring)."""
    small = n_reference <= small_sample
    if kind in _CATEGORY_KINDS:
        if small:
            return "ztest" if n_categories == 2 else "chi2"
        return "jensenshannon"
    return "ks" if small else "wasserstein_norm"
