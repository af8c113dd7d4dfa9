"""Which test each column gets, what each test identifier means, and the verdict rules.

Two verdict rules (``compare(rule=...)``):

``"significance_and_effect"`` (the default): a column drifts when its change is both beyond
sampling noise (its p-value, after the report's multiple-testing correction, is below
``alpha``) and large enough to matter (its effect size is at least the effect threshold).
Every test then has a p-value valid for the actual sizes and number of bins (see
:mod:`driftpilot.stats.nulls` for the binned distances; the sample distances take the KS
p-value on the same data), and an effect size (``EFFECT_OF``): numeric kinds by default
``ks`` with the Wasserstein distance in reference standard deviations as the effect (drifts
from 0.1), categorical kinds ``ztest`` (two categories) or ``chi2`` with the Jensen-Shannon
distance as the effect (drifts from 0.05). Either half alone fails: significance alone flags
trivial shifts on millions of rows, effect size alone flags noise on small windows and on
many categories.

``"evidently"``: the rule Evidently uses, kept for side-by-side numbers:

* Small reference (``n_reference <= small_sample``, default 1,000 rows): p-value tests.
  Numeric, datetime and text (lengths) columns get ``ks``; categorical and boolean columns get
  ``ztest`` when they have two categories (across both sides) and ``chi2`` otherwise. A column
  drifts when its p-value, after the report's multiple-testing correction, is below ``alpha``.
* Large reference: distances with thresholds, so that huge samples do not flag shifts too small
  to matter (every p-value test rejects on a million rows for a shift of a hundredth of a
  standard deviation). Numeric kinds get ``wasserstein_norm`` (Wasserstein distance in units of
  the reference's standard deviation), categorical kinds get ``jensenshannon``; both drift at
  0.1 by default.

``tests=`` overrides the test per column, ``test=`` for all columns; ``thresholds=`` sets a
column's threshold (a significance level for p-value tests, a distance otherwise: under the
default rule that distance is the effect threshold).
Datetime columns are not tested unless named in ``tests=`` or ``columns=``: time always moves
forward, so a timestamp column would always "drift".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from driftpilot._columns import ColumnType
from driftpilot.errors import InvalidParameterError

__all__ = [
    "EFFECT_THRESHOLDS",
    "RULES",
    "TEST_SPECS",
    "Rule",
    "TestSpec",
    "default_test",
    "get_spec",
]

Rule = Literal["significance_and_effect", "evidently"]
RULES: tuple[Rule, ...] = ("significance_and_effect", "evidently")

#: The effect threshold of each effect measure under the default rule: a Wasserstein
#: distance of a tenth of the reference's standard deviation; a Jensen-Shannon distance
#: of 0.05 (about Cohen's w = 0.12, a small effect: 50/50 becoming 56/44); PSI 0.1, the
#: credit-scoring convention for a shift worth a look; the others at 0.1.
EFFECT_THRESHOLDS: dict[str, float] = {
    "wasserstein_norm": 0.1,
    "wasserstein": 0.1,
    "energy": 0.1,
    "jensenshannon": 0.05,
    "psi": 0.1,
    "kl": 0.1,
    "hellinger": 0.1,
}

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
    p-value tests, whose threshold is the report's ``alpha``: the threshold of the
    Evidently rule. ``effect`` is the effect measure under the default rule: the distance
    itself for distances, ``wasserstein_norm`` for tests on samples, ``jensenshannon`` for
    tests on counts.
    """

    __test__ = False  # not a pytest test class

    name: str
    judged_by: Literal["p_value", "distance"]
    inputs: Literal["samples", "counts"]
    kinds: frozenset[ColumnType]
    default_threshold: float | None
    effect: str
    from_sketch: bool = False
    binary_only: bool = False


TEST_SPECS: dict[str, TestSpec] = {
    spec.name: spec
    for spec in (
        TestSpec(
            name="ks",
            effect="wasserstein_norm",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
            from_sketch=True,
        ),
        TestSpec(
            name="anderson",
            effect="wasserstein_norm",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="cvm",
            effect="wasserstein_norm",
            judged_by="p_value",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="wasserstein",
            effect="wasserstein",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
            from_sketch=True,
        ),
        TestSpec(
            name="wasserstein_norm",
            effect="wasserstein_norm",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
            from_sketch=True,
        ),
        TestSpec(
            name="energy",
            effect="energy",
            judged_by="distance",
            inputs="samples",
            kinds=_NUMERIC_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="chi2",
            effect="jensenshannon",
            judged_by="p_value",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=None,
        ),
        TestSpec(
            name="ztest",
            effect="jensenshannon",
            judged_by="p_value",
            inputs="counts",
            kinds=_CATEGORY_KINDS,
            default_threshold=None,
            binary_only=True,
        ),
        TestSpec(
            name="psi",
            effect="psi",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="jensenshannon",
            effect="jensenshannon",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="kl",
            effect="kl",
            judged_by="distance",
            inputs="counts",
            kinds=_ALL_KINDS,
            default_threshold=0.1,
        ),
        TestSpec(
            name="hellinger",
            effect="hellinger",
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
    kind: ColumnType,
    *,
    n_reference: int,
    n_categories: int,
    small_sample: int,
    rule: Rule = "significance_and_effect",
) -> str:
    """Return the default test identifier for a column (rules in the module docstring)."""
    if rule == "significance_and_effect":
        if kind in _CATEGORY_KINDS:
            return "ztest" if n_categories == 2 else "chi2"
        return "ks"
    small = n_reference <= small_sample
    if kind in _CATEGORY_KINDS:
        if small:
            return "ztest" if n_categories == 2 else "chi2"
        return "jensenshannon"
    return "ks" if small else "wasserstein_norm"
