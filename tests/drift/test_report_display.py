"""The drift report as people see it: statistics beside the verdict, value-axis histograms,
the missing-rate finding, the notebook fragment and its scoped styles, reprs, tables and
pickling (``driftpilot.drift.report``, ``_html``, ``_charts``, ``_column_stats``)."""

from __future__ import annotations

import io
import pickle
import re

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import driftpilot as dp
from driftpilot.drift._column_stats import _RANKS, _sorted_quantiles, missing_rate_finding
from driftpilot.drift._html import NOTEBOOK_CARDS, ordered_columns
from driftpilot.drift._value_chart import date_ticks, nice_ticks, value_histogram_svg
from driftpilot.drift.report import BinnedDistribution, ColumnStats, DriftReport
from html_tree import Node, css_rules, parse

N = 3000


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    base = rng.normal(40, 10, N)
    ref_missing = np.arange(N) % 100 == 0  # exactly 1 %
    cur_missing = np.arange(N) % 25 < 3  # exactly 12 %
    reference = pd.DataFrame({
        "income": rng.lognormal(10, 0.5, N),
        "age": np.where(ref_missing, np.nan, base),
        "city": rng.choice(["paris", "lyon", "nice"], N, p=[0.5, 0.3, 0.2]),
    })  # fmt: skip
    current = pd.DataFrame({
        "income": rng.lognormal(10.4, 0.5, N),
        "age": np.where(cur_missing, np.nan, rng.permutation(base)),
        "city": rng.choice(["paris", "lyon", "nice"], N, p=[0.5, 0.3, 0.2]),
    })  # fmt: skip
    return reference, current


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _frames()


@pytest.fixture(scope="module")
def report(frames: tuple[pd.DataFrame, pd.DataFrame]) -> DriftReport:
    return dp.compare(*frames)


@pytest.fixture(scope="module")
def page(report: DriftReport) -> Node:
    return parse(report.to_html())


# --- statistics and the missing-rate finding -------------------------------------------------


def test_stats_match_pandas(report: DriftReport, frames: tuple[pd.DataFrame, ...]) -> None:
    reference, current = frames
    for side, frame in (("reference_stats", reference), ("current_stats", current)):
        stats = getattr(report.columns["age"], side)
        values = frame["age"].dropna()
        assert stats.n == N
        assert stats.n_missing == frame["age"].isna().sum()
        assert stats.min == values.min()
        assert stats.max == values.max()
        assert stats.mean == pytest.approx(values.mean(), rel=1e-12)
        assert stats.std == pytest.approx(values.std(ddof=0), rel=1e-12)
        for name, q in (("q05", 0.05), ("q25", 0.25), ("q50", 0.5), ("q75", 0.75), ("q95", 0.95)):
            assert getattr(stats, name) == pytest.approx(np.quantile(values, q), rel=1e-12)
    city = report.columns["city"].reference_stats
    assert city is not None
    assert (city.n_categories, city.top_category) == (3, "paris")
    assert city.top_share == pytest.approx((reference["city"] == "paris").mean())


def test_missing_share_change_is_a_finding(report: DriftReport) -> None:
    age = report.columns["age"]
    assert not age.drifted  # the values present did not move ...
    assert age.reference_stats is not None
    assert age.current_stats is not None
    assert age.reference_stats.missing_share == pytest.approx(0.01)
    assert age.current_stats.missing_share == pytest.approx(0.12)
    assert age.missing_share_change == pytest.approx(0.11)
    (finding,) = [f for f in report.findings if f.kind == "missing_rate_changed"]  # ... but
    assert finding.column == "age"
    assert "from 1% to 12%" in finding.message
    assert "+11.0 points" in finding.message


def test_the_page_says_so_beside_the_verdict(page: Node) -> None:
    row = page.find("tr", data_column="age")
    verdict = row.find("td", cls="dp-verdict-cell").text()
    assert verdict == "stable none missing rate changed"
    assert row.find_all("td")[-1].text() == "1% \u2192 12%"
    card = next(c for c in page.find_all("article", cls="dp-card") if c.find("h3").text() == "age")
    assert card.find("p", cls="dp-note", data_kind="missing_rate_changed")
    stats = {
        r.find_all("td")[0].text(): [td.text() for td in r.find_all("td")[1:]]
        for r in card.find("table", cls="dp-sidebyside").find("tbody").find_all("tr")
    }
    assert stats["Missing"] == ["1% (30)", "12% (360)", "+11.0 pts"]
    assert stats["Rows"] == ["3,000", "3,000", "\u2014"]
    assert list(stats) == ["Rows", "Missing", "Min", "5th pct.", "25th pct.", "Median",
                           "75th pct.", "95th pct.", "Max", "Mean", "Std. dev."]  # fmt: skip
    flagged = [r for r in card.find_all("tr") if "dp-flagged" in r.classes]
    assert [r.find("td").text() for r in flagged] == ["Missing"]


def test_no_finding_when_the_rate_holds_or_the_sample_is_tiny() -> None:
    def side(n: int, missing: int) -> ColumnStats:
        return ColumnStats(n=n, n_missing=missing)

    assert missing_rate_finding("x", side(5000, 50), side(5000, 60), alpha=0.05) is None
    # Material (1 % -> 5 %) but 1 of 20 rows: not beyond noise.
    assert missing_rate_finding("x", side(5000, 50), side(20, 1), alpha=0.05) is None
    # 0 % -> 1.5 % on many rows: a factor of infinity and more than one point.
    assert missing_rate_finding("x", side(5000, 0), side(5000, 75), alpha=0.05) is not None
    # 30 % -> 33 %: significant on 100,000 rows but neither 5 points nor a factor of 2.
    assert missing_rate_finding("x", side(10**5, 30_000), side(10**5, 33_000), alpha=0.05) is None
    fell = missing_rate_finding("x", side(5000, 1000), side(5000, 100), alpha=0.05)
    assert fell is not None
    assert "fell from 20% to 2%" in fell.message


@pytest.mark.slow
def test_missing_finding_false_alarms_and_power() -> None:
    rng = np.random.default_rng(2024)
    alarms = hits = 0
    trials = 300
    for _ in range(trials):
        ref = ColumnStats(n=2000, n_missing=int(rng.binomial(2000, 0.08)))
        cur = ColumnStats(n=500, n_missing=int(rng.binomial(500, 0.08)))
        alarms += missing_rate_finding("x", ref, cur, alpha=0.05) is not None
        ref = ColumnStats(n=2000, n_missing=int(rng.binomial(2000, 0.01)))
        cur = ColumnStats(n=500, n_missing=int(rng.binomial(500, 0.12)))
        hits += missing_rate_finding("x", ref, cur, alpha=0.05) is not None
    # No change: at most alpha (0.05) of the trials, within a 3-sigma binomial margin.
    assert alarms / trials <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials)
    assert hits == trials


# --- value-axis histograms -------------------------------------------------------------------


def test_numeric_chart_is_on_the_value_axis(page: Node, report: DriftReport) -> None:
    card = next(
        c for c in page.find_all("article", cls="dp-card") if c.find("h3").text() == "income"
    )
    svg = card.find("svg")
    assert "values" in svg.classes
    stats = report.columns["income"]
    low = min(stats.reference_stats.min, stats.current_stats.min)  # type: ignore[union-attr]
    high = max(stats.reference_stats.max, stats.current_stats.max)  # type: ignore[union-attr]
    ticks = [float(t.text().replace(",", "")) for t in svg.find_all("text", cls="tick")[5:]]
    assert ticks == sorted(ticks)
    assert len(ticks) >= 3
    assert all(low <= t <= high for t in ticks)  # real values, not bin numbers
    assert ticks[-1] > 100_000  # lognormal(10.4) reaches past 100,000


def _bars(svg: Node) -> list[tuple[float, float, float]]:
    return [
        (float(r.attrs["x"]), float(r.attrs["width"]), float(r.attrs["height"]))
        for r in svg.find_all("rect", cls="ref")
    ]


def test_bar_widths_follow_the_edges_and_areas_are_shares() -> None:
    inf = float("inf")
    distribution = BinnedDistribution(
        labels=("a", "b", "c", "d"),
        reference=(10, 30, 40, 20),
        current=(5, 5, 50, 40),
        edges=(-inf, 1.0, 2.0, 6.0, inf),
    )
    chart = value_histogram_svg(distribution, low=0.0, high=10.0, kind="numeric")
    assert chart is not None
    svg = parse(str(chart)).find("svg")
    bars = _bars(svg)
    widths = [w for _, w, _ in bars]
    # Clipped to [0, 10]: widths 1, 1, 4, 4 on a 552 px plot starting at x = 72.
    assert widths == pytest.approx([55.2, 55.2, 220.8, 220.8], abs=0.1)
    xs = [x for x, _, _ in bars]
    assert xs == pytest.approx([72.0, 127.2, 182.4, 403.2], abs=0.1)
    # Height is density, so area is share: 10 %, 30 %, 40 %, 20 %.
    areas = [w * h for _, w, h in bars]
    assert [a / sum(areas) for a in areas] == pytest.approx([0.1, 0.3, 0.4, 0.2], abs=0.005)
    tooltips = [t.text() for t in svg.find_all("title")]
    assert any("[2, 6] \u2014 reference 40% (40 rows), current 50% (50 rows)" in t
               for t in tooltips)  # fmt: skip


def test_no_range_falls_back_to_bars() -> None:
    distribution = BinnedDistribution(labels=("a",), reference=(3,), current=(4,),
                                      edges=(-float("inf"), float("inf")))  # fmt: skip
    assert value_histogram_svg(distribution, low=1.0, high=1.0, kind="numeric") is None


def test_datetime_ticks_are_dates() -> None:
    start = pd.Timestamp("2024-01-01", tz="UTC").timestamp()
    end = pd.Timestamp("2024-07-01", tz="UTC").timestamp()
    distribution = BinnedDistribution(
        labels=("a", "b"),
        reference=(5, 5),
        current=(2, 8),
        edges=(-np.inf, (start + end) / 2, np.inf),
    )
    chart = value_histogram_svg(distribution, low=start, high=end, kind="datetime")
    assert chart is not None
    ticks = [t.text() for t in parse(str(chart)).find_all("text", cls="tick")[5:]]
    assert ticks
    assert all(re.fullmatch(r"2024-0[1-7]-\d\d", t) for t in ticks)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 10.0, [0, 2, 4, 6, 8, 10]),
        (-0.3, 0.3, [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]),
        (1234.0, 1240.0, [1234, 1235, 1236, 1237, 1238, 1239, 1240]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high, target=6) == pytest.approx(expected)


# --- the notebook fragment and its styles ---------------------------------------------------


def test_fragment_is_one_scoped_div(report: DriftReport) -> None:
    html = report._repr_html_()
    root = parse(html)
    (div,) = [c for c in root.children if not isinstance(c, str) or c.strip()]
    assert isinstance(div, Node)
    assert div.tag == "div"
    assert {"dp-report", "dp-compact"} <= div.classes
    style = div.find("style")
    rules = css_rules("".join(c for c in style.children if isinstance(c, str)))
    assert len(rules) > 50
    for selector, _ in rules:
        for part in selector.split(","):
            assert part.strip().startswith(".dp-report"), part
    assert "<script" not in html
    assert "http" not in html.replace("http-equiv", "")
    # The column cards are folded; the plots are the page's.
    fold = div.find("details", cls="dp-fold")
    assert fold.find("summary").text() == "Column details (3)"
    assert len(fold.find_all("svg")) == 3


def test_css_has_no_fixed_width_over_700px(report: DriftReport) -> None:
    html = report.to_html()
    css = "".join(
        c for s in parse(html).find_all("style") for c in s.children if isinstance(c, str)
    )
    for selector, body in css_rules(css):
        for prop, value in re.findall(r"(?:^|;)\s*((?:min-)?width)\s*:\s*([^;]+)", body):
            px = re.findall(r"(\d+(?:\.\d+)?)px", value)
            assert all(float(v) <= 700 for v in px), (selector, prop, value)
    # The charts scale down with their container.
    assert any("max-width: 100%" in body for sel, body in css_rules(css) if "svg.hist" in sel)


def test_page_and_fragment_show_the_same_columns(report: DriftReport, page: Node) -> None:
    fragment = parse(report._repr_html_())
    names = [r.attrs["data-column"] for r in page.iter() if "data-column" in r.attrs]
    assert names == [r.attrs["data-column"] for r in fragment.iter() if "data-column" in r.attrs]
    assert names[0] == "income"  # the drifted column first
    assert sorted(names) == ["age", "city", "income"]


# --- repr, tables, pickling --------------------------------------------------------------------


def test_repr_is_one_line(report: DriftReport) -> None:
    n_drifted = len(report.drifted_columns)
    assert repr(report) == (
        f"DriftReport(dataset_drift={report.dataset_drift}, {n_drifted}/3 columns drifted, "
        f"{len(report.findings)} findings, n_reference=3000, n_current=3000)"
    )
    assert repr(report.columns["age"]).startswith("ColumnDrift('age', numeric, ks=")
    assert "\n" not in repr(report.columns["age"])


def test_to_arrow_pandas_polars(report: DriftReport) -> None:
    table = report.to_arrow()
    assert table.num_rows == 3
    assert table.column("column").to_pylist() == list(report.columns)
    frame = report.to_pandas()
    age = frame.set_index("column").loc["age"]
    assert age["missing_share_reference"] == pytest.approx(0.01)
    assert age["missing_share_current"] == pytest.approx(0.12)
    assert age["findings"] == "missing_rate_changed"
    assert bool(age["drifted"]) is False
    polars = report.to_polars()
    assert isinstance(polars, pl.DataFrame)
    assert polars.columns == table.column_names
    assert polars.filter(pl.col("column") == "income")["drifted"].item() is True


def test_empty_report_table_keeps_its_schema() -> None:
    empty = DriftReport(dataset_drift=False, share_drifted=0.0, n_reference=1, n_current=1,
                        columns={})  # fmt: skip
    table = empty.to_arrow()
    assert table.num_rows == 0
    assert "missing_share_current" in table.column_names


def test_pickle_and_joblib_round_trip(report: DriftReport) -> None:
    again = pickle.loads(pickle.dumps(report))
    assert again == report
    assert again.to_json() == report.to_json()
    joblib = pytest.importorskip("joblib")
    buffer = io.BytesIO()
    joblib.dump(report, buffer)
    buffer.seek(0)
    assert joblib.load(buffer) == report


def test_reports_from_profiles_pickle_and_show_approximate_stats(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = frames
    base = dp.profile(reference)
    report = dp.compare(base, dp.profile(current, reference=base))
    age = report.columns["age"]
    assert age.current_stats is not None
    assert age.current_stats.approximate
    assert age.current_stats.missing_share == pytest.approx(0.12)
    assert age.current_stats.min == current["age"].min()  # exact from the profile
    assert any(f.kind == "missing_rate_changed" for f in report.findings)
    assert pickle.loads(pickle.dumps(report)) == report


def test_date_ticks_fall_on_month_starts() -> None:
    low = pd.Timestamp("2024-01-10", tz="UTC").timestamp()
    high = pd.Timestamp("2025-03-27", tz="UTC").timestamp()
    ticks = [pd.Timestamp(t, unit="s", tz="UTC") for t in date_ticks(low, high)]
    assert [t.strftime("%Y-%m-%d") for t in ticks] == [
        "2024-04-01", "2024-07-01", "2024-10-01", "2025-01-01"
    ]  # fmt: skip


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=200)
)
def test_sorted_quantiles_match_numpy(values: list[float]) -> None:
    sample = np.sort(np.asarray(values, dtype=np.float64))
    ours = _sorted_quantiles(sample)
    assert ours == sorted(ours)
    assert all(sample[0] <= q <= sample[-1] for q in ours)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = np.quantile(sample, _RANKS)
    for q, e in zip(ours, expected, strict=True):
        if np.isfinite(e):
            assert q == pytest.approx(e, rel=1e-9, abs=1e-300)


def test_a_wide_report_draws_only_the_first_cards_in_a_notebook() -> None:
    rng = np.random.default_rng(5)
    n_columns = NOTEBOOK_CARDS + 5
    reference = {f"c{i:02d}": rng.normal(size=200) for i in range(n_columns)}
    current = {f"c{i:02d}": rng.normal(i / 40, 1, size=200) for i in range(n_columns)}
    report = dp.compare(reference, current)
    fragment = parse(report._repr_html_())
    rows = [r for r in fragment.iter() if "data-column" in r.attrs]
    assert len(rows) == n_columns  # the table lists every column
    cards = fragment.find_all("article", cls="dp-card")
    assert len(cards) == NOTEBOOK_CARDS
    shown = {c.find("h3").text() for c in cards}
    ordered = [c.name for c in ordered_columns(report)]
    assert shown == set(ordered[:NOTEBOOK_CARDS])
    links = {a.attrs["href"] for a in fragment.find_all("a")}
    assert links == {f"#{c.attrs['id']}" for c in cards}  # no link to a card not drawn
    summary = fragment.find("details", cls="dp-fold").find("summary").text()
    assert summary == f"Column details ({NOTEBOOK_CARDS} of {n_columns})"
    page = parse(report.to_html())
    assert len(page.find_all("article", cls="dp-card")) == n_columns
