"""Profiles and baselines in a notebook and across processes: reprs, the scoped HTML table,
and pickling with the sketches intact (``driftpilot.profile._display``)."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pandas as pd
import pytest

import driftpilot as dp
from driftpilot.profile import Baseline, Profile
from html_tree import css_rules, parse

N = 20_000  # past the KLL sketch's k (200): the sketches have compacted


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    income = rng.lognormal(10, 0.5, N)
    income[:200] = np.nan
    return pd.DataFrame({
        "income": income,
        "city": rng.choice(["paris", "lyon", "<b>nice</b>"], N),
        "note": rng.choice(["a short note", "a rather longer note here", None], N),
        "target": rng.integers(0, 2, N),
    })  # fmt: skip


@pytest.fixture(scope="module")
def profile(frame: pd.DataFrame) -> Profile:
    return dp.profile(frame, schema={"note": "text"})


@pytest.fixture(scope="module")
def base(frame: pd.DataFrame) -> Baseline:
    return dp.baseline(frame, target="target", model_name="loans", model_version="7",
                       performance={"auc": 0.81})  # fmt: skip


def test_profile_repr(profile: Profile) -> None:
    assert repr(profile) == (f"Profile(n_rows={N}, 4 columns: 2 categorical, 1 numeric, 1 text)")


def test_baseline_repr(base: Baseline) -> None:
    text = repr(base)
    assert text.startswith(
        f"Baseline(model='loans', version='7', n_rows={N}, 3 features, target='target', "
        "created_at='"
    )
    assert "\n" not in text
    assert len(text) < 200


def test_profile_html_is_scoped_and_has_the_numbers(profile: Profile, frame: pd.DataFrame) -> None:
    root = parse(profile._repr_html_())
    (div,) = [n for n in root.children if not isinstance(n, str)]
    assert "dp-profile" in div.classes
    css = "".join(c for c in div.find("style").children if isinstance(c, str))
    for selector, _ in css_rules(css):
        assert all(p.strip().startswith(".dp-profile") for p in selector.split(","))
    rows = {
        tr.find("td").text(): [td.text() for td in tr.find_all("td")]
        for tr in div.find("tbody").find_all("tr")
    }
    assert list(rows) == ["income", "city", "note", "target"]
    income = rows["income"]
    assert income[1:5] == ["numeric", "20,000", "1%", "\u2014"]
    assert income[5] == f"{frame['income'].min():,.0f}"
    assert income[7] == f"{frame['income'].max():,.0f}"
    assert rows["city"][4] == "3"
    assert "<b>nice</b>" not in profile._repr_html_()  # category labels never become markup
    # A histogram on the value axis for the numeric column.
    svg = div.find("tbody").find_all("tr")[0].find("svg")
    assert len(svg.find_all("rect")) == profile.config.bins


def test_baseline_html_shows_its_metadata(base: Baseline) -> None:
    root = parse(base._repr_html_())
    meta = " ".join(p.text() for p in root.find_all("p", cls="dp-meta"))
    assert "Model: loans" in meta
    assert "Version: 7" in meta
    assert "Target: target" in meta
    assert "auc = 0.81" in meta
    names = [tr.find("td").text() for tr in root.find("tbody").find_all("tr")]
    assert names == ["income", "city", "note", "target"]


def test_profile_pickles_with_its_sketches(profile: Profile) -> None:
    again = pickle.loads(pickle.dumps(profile))
    assert again == profile
    income = again.columns["income"]
    original = profile.columns["income"]
    assert income.kll == original.kll  # type: ignore[union-attr]
    ranks = np.linspace(0, 1, 11)
    assert np.array_equal(income.quantiles(ranks), original.quantiles(ranks))  # type: ignore[union-attr]
    assert again.merge(profile).n_rows == 2 * N


def test_baseline_pickles_and_joblib(base: Baseline) -> None:
    assert pickle.loads(pickle.dumps(base)) == base
    joblib = pytest.importorskip("joblib")
    buffer = io.BytesIO()
    joblib.dump(base, buffer)
    buffer.seek(0)
    again = joblib.load(buffer)
    assert again == base
    assert dp.compare(again, base).dataset_drift is False


def test_datetime_columns_read_as_dates() -> None:
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")})
    cells = [
        td.text() for td in parse(dp.profile(frame)._repr_html_()).find("tbody").find_all("td")
    ]
    assert cells[1] == "datetime"
    assert cells[5] == "2024-01-01 00:00"
    assert cells[7] == "2024-04-09 00:00"
