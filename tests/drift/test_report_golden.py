"""The notebook fragment of a hand-built drift report, checked against a golden file.

To regenerate it after an intended change of the output, run

    DRIFTPILOT_REGEN_GOLDEN=1 .venv/bin/pytest tests/drift/test_report_golden.py

then review the diff of ``tests/drift/golden/report_fragment.html`` before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from driftpilot.drift.report import (
    BinnedDistribution,
    ColumnDrift,
    ColumnStats,
    DriftReport,
    SchemaFinding,
)
from html_tree import parse

GOLDEN = Path(__file__).parent / "golden" / "report_fragment.html"
REGEN = os.environ.get("DRIFTPILOT_REGEN_GOLDEN") == "1"
INF = float("inf")


def make_report() -> DriftReport:
    """A numeric column with a changed missing rate and a drifted categorical column."""
    age = ColumnDrift(
        name="age", type="numeric", test="ks", statistic=0.021, p_value=0.61,
        p_value_adjusted=0.61, threshold=0.05, drifted=False, severity="none", psi=0.004,
        n_reference=1000, n_current=1000, n_excluded_reference=10, n_excluded_current=120,
        distribution=BinnedDistribution(
            labels=("[-inf, 30)", "[30, 40)", "[40, 50)", "[50, inf)"),
            reference=(250, 250, 245, 245), current=(220, 225, 215, 220),
            edges=(-INF, 30.0, 40.0, 50.0, INF),
        ),
        p_value_method="exact", effect_measure="wasserstein_norm", effect_size=0.02,
        effect_threshold=0.1,
        reference_stats=ColumnStats(n=1000, n_missing=10, min=5.0, max=80.0, mean=40.1,
                                    std=10.2, q05=23.0, q25=33.0, q50=40.0, q75=47.0, q95=57.0),
        current_stats=ColumnStats(n=1000, n_missing=120, min=7.0, max=78.0, mean=40.4,
                                  std=10.1, q05=23.5, q25=33.1, q50=40.2, q75=47.2, q95=56.8),
    )  # fmt: skip
    city = ColumnDrift(
        name="city", type="categorical", test="chi2", statistic=88.0, p_value=1e-19,
        p_value_adjusted=2e-19, threshold=0.05, drifted=True, severity="critical", psi=0.31,
        n_reference=1000, n_current=1000,
        distribution=BinnedDistribution(labels=("paris", "lyon"), reference=(600, 400),
                                        current=(350, 650)),
        p_value_method="asymptotic", effect_measure="jensenshannon", effect_size=0.2,
        effect_threshold=0.05,
        reference_stats=ColumnStats(n=1000, n_missing=0, n_categories=2, top_category="paris",
                                    top_share=0.6),
        current_stats=ColumnStats(n=1000, n_missing=0, n_categories=2, top_category="lyon",
                                  top_share=0.65),
    )  # fmt: skip
    return DriftReport(
        dataset_drift=True, share_drifted=0.5, n_reference=1000, n_current=1000,
        columns={"age": age, "city": city},
        findings=(SchemaFinding(column="age", kind="missing_rate_changed",
                                message="The missing share rose from 1% to 12%."),),
        options={"alpha": 0.05, "correction": "fdr_bh", "drift_share": 0.5,
                 "rule": "significance_and_effect"},
    )  # fmt: skip


def test_fragment_matches_golden() -> None:
    html = make_report()._repr_html_()
    if REGEN:
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8")


def test_golden_fragment_reads_right() -> None:
    root = parse(GOLDEN.read_text(encoding="utf-8"))
    rows = [tr for tr in root.iter() if "data-column" in tr.attrs]
    assert [tr.attrs["data-column"] for tr in rows] == ["city", "age"]
    assert [td.text() for td in rows[1].find_all("td")][-1] == "1% \u2192 12%"
    cards = root.find_all("article", cls="dp-card")
    rule = cards[1].find("p", cls="dp-rule").text()
    assert rule == (
        "Drifts when the adjusted p-value is below 0.05 and the effect size "
        "(wasserstein_norm) reaches 0.1."
    )
    categories = {
        tr.find("td").text(): [td.text() for td in tr.find_all("td")[1:]]
        for tr in cards[0].find("table", cls="dp-sidebyside").find("tbody").find_all("tr")
    }
    assert categories["Most frequent"] == ["paris (60%)", "lyon (65%)", "\u2014"]
    assert categories["Categories"] == ["2", "2", "\u2014"]
