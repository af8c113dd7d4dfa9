import dataclasses
import itertools
import json
import re

import pytest
from markupsafe import escape

from driftpilot.drift._html import (
    format_number,
    format_p_value,
    format_share,
    histogram_svg,
    ordered_columns,
    render_html,
    verdict_detail,
)
from driftpilot.drift.report import BinnedDistribution, ColumnDrift, DriftReport, SchemaFinding

EVIL_NAME = "<script>alert(1)</script>"
EVIL_CATEGORY = '<img src=x onerror="alert(2)">'
INF = float("inf")


def _numeric_distribution() -> BinnedDistribution:
    edges = (-INF, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, INF)
    labels = tuple(
        f"[{'-inf' if lo == -INF else f'{lo:g}'}, {'inf' if hi == INF else f'{hi:g}'})"
        for lo, hi in itertools.pairwise(edges)
    )
    return BinnedDistribution(
        labels=labels,
        reference=(20, 120, 150, 190, 200, 150, 100, 50, 15, 5),
        current=(5, 40, 90, 150, 210, 200, 160, 100, 35, 10),
        edges=edges,
    )


def _categorical_distribution() -> BinnedDistribution:
    # 30 categories; the evil label sits among the top 20 so that it is drawn.
    labels = (*(f"city_{i:02d}" for i in range(29)), EVIL_CATEGORY)
    reference = (*(100 - 3 * i for i in range(29)), 60)
    current = (*(90 - 2 * i + (25 if i == 3 else 0) for i in range(29)), 70)
    return BinnedDistribution(labels=labels, reference=reference, current=current)


def make_report() -> DriftReport:
    """A hand-built report: numeric (10 bins), categorical (30 categories), no distribution."""
    columns = [
        ColumnDrift(
            name="age",
            type="numeric",
            test="ks",
            statistic=0.1534,
            p_value=3.2e-7,
            p_value_adjusted=9.6e-7,
            threshold=0.05,
            drifted=True,
            severity="critical",
            psi=0.2712,
            n_reference=1000,
            n_current=1000,
            n_excluded_current=3,
            distribution=_numeric_distribution(),
        ),
        ColumnDrift(
            name=EVIL_NAME,
            type="categorical",
            test="jensenshannon",
            statistic=0.04213,
            p_value=None,
            p_value_adjusted=None,
            threshold=0.1,
            drifted=False,
            severity="none",
            psi=0.01234,
            n_reference=2093,
            n_current=2060,
            distribution=_categorical_distribution(),
        ),
        ColumnDrift(
            name="income",
            type="numeric",
            test="wasserstein_norm",
            statistic=0.1312,
            p_value=None,
            p_value_adjusted=None,
            threshold=0.1,
            drifted=True,
            severity="warning",
            psi=None,
            n_reference=1000,
            n_current=998,
            approximate=True,
            error_bound=0.002,
        ),
        ColumnDrift(
            name="score",
            type="numeric",
            test="ks",
            statistic=0.0312,
            p_value=0.4127,
            p_value_adjusted=0.8254,
            threshold=0.05,
            drifted=False,
            severity="none",
            psi=0.004,
            n_reference=1000,
            n_current=1000,
        ),
    ]
    return DriftReport(
        dataset_drift=True,
        share_drifted=0.5,
        n_reference=1000,
        n_current=1000,
        columns={column.name: column for column in columns},
        findings=(
            SchemaFinding(
                column="zip_code",
                kind="missing_in_current",
                message="Column 'zip_code' is in the reference but not in the current data.",
            ),
        ),
        options={"drift_share": 0.5, "correction": "holm", "alpha": 0.05},
    )


@pytest.fixture(scope="module")
def report() -> DriftReport:
    return make_report()


@pytest.fixture(scope="module")
def html(report: DriftReport) -> str:
    return report.to_html(title="Weekly drift <check>")


def test_page_is_one_html_document(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert html.count("<style>") == 1


def test_title_is_escaped(html: str) -> None:
    assert "<title>Weekly drift &lt;check&gt;</title>" in html
    assert "<check>" not in html


def test_every_column_name_appears_escaped(html: str, report: DriftReport) -> None:
    for name in report.columns:
        assert str(escape(name)) in html
    assert EVIL_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_category_labels_are_escaped(html: str) -> None:
    assert EVIL_CATEGORY not in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html


def test_no_script_at_all(html: str) -> None:
    assert "<script" not in html.lower()


def test_no_external_urls(html: str) -> None:
    # Inline SVG in HTML needs no xmlns, so not even the SVG namespace URL appears.
    assert "http://" not in html
    assert "https://" not in html
    # Escaped user text holds no "<", so this finds the real tags only.
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)
    links = [
        link
        for tag in tags
        for link in re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", tag)
    ]
    assert links  # the summary links to the cards
    assert all(link.startswith("#") for link in links), links
    assert "@import" not in html
    assert "url(" not in html


def test_verdict_text(html: str) -> None:
    assert "Dataset drift: YES" in html
    assert "2 of 4 columns drifted (50%, threshold 50%)" in html
    assert "holm" in html


def test_one_svg_per_plotted_column(html: str, report: DriftReport) -> None:
    plotted = sum(column.distribution is not None for column in report.columns.values())
    assert plotted == 2
    assert html.count("<svg") == plotted
    assert "No distribution recorded for this column." in html


def test_numeric_bin_labels_come_from_the_distribution(html: str) -> None:
    for label in _numeric_distribution().labels:
        assert f">{label}</text>" in html


def test_many_categories_fold_into_top_20_and_other(html: str) -> None:
    svg = re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)[1]
    assert "other (10 more)" in svg
    assert svg.count('fill="#4c78a8"><title>') == 21  # 20 categories + other, reference side
    assert "city_00" in svg
    assert "city_28" not in svg  # the smallest category is folded into "other"


def test_cards_drifted_first_then_by_severity(html: str) -> None:
    ids = re.findall(
        r'<article class="dp-panel dp-card" id="(col-\d+)">\s*<header>\s*<h3>(.*?)</h3>', html
    )
    assert [name for _, name in ids] == [
        "age",
        "income",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "score",
    ]


def test_summary_links_to_cards(html: str) -> None:
    for index in range(1, 5):
        assert f'href="#col-{index}"' in html
        assert f'id="col-{index}"' in html


def test_values_are_formatted(html: str) -> None:
    assert ">3.200e-07<" in html  # p-value below 1e-4: scientific
    assert ">0.4127<" in html
    assert ">0.2712<" in html
    assert "1,000" in html
    assert "absolute error at most 0.002" in html


def test_to_json_is_unaffected(report: DriftReport) -> None:
    before = report.to_json()
    report.to_html()
    assert report.to_json() == before
    data = json.loads(before)
    assert data["columns"][EVIL_NAME]["drifted"] is False
    assert data["columns"]["age"]["distribution"]["edges"][0] is None


def test_rendering_is_deterministic(report: DriftReport) -> None:
    assert report.to_html() == report.to_html()


def test_no_drift_and_empty_report() -> None:
    report = DriftReport(
        dataset_drift=False, share_drifted=0.0, n_reference=0, n_current=0, columns={}
    )
    html = render_html(report, title="empty")
    assert "Dataset drift: NO" in html
    assert "0 of 0 columns drifted (0%)" in html
    assert "No column was tested." in html
    assert "<svg" not in html


def test_histogram_shares_are_per_side() -> None:
    distribution = BinnedDistribution(labels=("a", "b"), reference=(1, 3), current=(30, 10))
    svg = str(histogram_svg(distribution, categorical=True))
    assert "a \u2014 Reference: 25% (1 rows)" in svg
    assert "b \u2014 Reference: 75% (3 rows)" in svg
    assert "a \u2014 Current: 75% (30 rows)" in svg


def test_histogram_with_an_empty_side() -> None:
    distribution = BinnedDistribution(labels=("a", "b"), reference=(0, 0), current=(0, 0))
    assert "Current: 0% (0 rows)" in str(histogram_svg(distribution, categorical=True))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "\u2014"),
        (0.0, "0"),
        (0.123456, "0.1235"),
        (1.0, "1"),
        (12.3456, "12.35"),
        (12345.6, "12,346"),
        (-0.5, "-0.5"),
        (1.23456e-5, "1.235e-05"),
        (INF, "\u221e"),
    ],
)
def test_format_number(value: float | None, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "\u2014"), (1.0, "1"), (0.04, "0.04"), (1e-4, "0.0001"), (3.2e-7, "3.200e-07")],
)
def test_format_p_value(value: float | None, expected: str) -> None:
    assert format_p_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.28, "28%"), (1 / 3, "33.3%"), (0.0, "0%"), (1.0, "100%")]
)
def test_format_share(value: float, expected: str) -> None:
    assert format_share(value) == expected


def test_ordered_columns(report: DriftReport) -> None:
    names = [column.name for column in ordered_columns(report)]
    assert names == ["age", "income", EVIL_NAME, "score"]


def test_verdict_names_critical_is_drift() -> None:
    report = DriftReport(
        dataset_drift=True,
        share_drifted=0.25,
        n_reference=10,
        n_current=10,
        columns={column.name: column for column in make_report().columns.values()},
        options={"drift_share": 0.5, "critical_is_drift": True},
    )
    assert verdict_detail(report) == (
        "2 of 4 columns drifted (25%, threshold 50%); a critical column counts as drift"
    )


def test_many_numeric_bins_keep_every_bar_and_thin_the_labels() -> None:
    n = 90
    distribution = BinnedDistribution(
        labels=tuple(f"b{i}" for i in range(n)),
        reference=(1,) * n,
        current=(2,) * n,
        edges=tuple(float(i) for i in range(n + 1)),
    )
    svg = str(histogram_svg(distribution, categorical=False))
    assert svg.count("<rect") == 2 * n + 2  # bars plus the two legend swatches
    assert "other" not in svg
    assert ">b0</text>" in svg
    assert ">b1</text>" not in svg  # every third label is drawn


def test_empty_distribution_gets_no_plot() -> None:
    column = make_report().columns["score"]
    empty = BinnedDistribution(labels=(), reference=(), current=(), edges=(0.0,))
    report = DriftReport(
        dataset_drift=False,
        share_drifted=0.0,
        n_reference=10,
        n_current=10,
        columns={"score": dataclasses.replace(column, distribution=empty)},
    )
    assert "<svg" not in render_html(report, title="t")
