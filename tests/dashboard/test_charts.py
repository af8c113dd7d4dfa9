"""The server-drawn SVG charts (``server.dashboard._charts``)."""

from __future__ import annotations

import re

from driftpilot.server.dashboard._charts import Line, bars_svg, lines_svg

HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000


def test_a_gap_splits_the_line_and_revised_windows_get_a_ring() -> None:
    line = Line(name="<b>accuracy</b>", xs=[T0 + i * HOUR for i in range(5)],
                ys=[0.9, 0.8, None, 0.7, 0.75], lower=[0.85, 0.75, None, 0.6, 0.7],
                upper=[0.95, 0.85, None, 0.8, 0.8],
                revised=[False, True, False, False, False])  # fmt: skip
    svg = str(lines_svg([line], title="Accuracy & more"))
    assert svg.count("<polyline") == 2  # [0.9, 0.8] and [0.7, 0.75]
    assert svg.count("<polygon") == 1  # the band
    assert svg.count("revised by late labels</title>") == 1
    assert "&lt;b&gt;accuracy&lt;/b&gt;" in svg
    assert "Accuracy &amp; more" in svg
    assert "style=" not in svg  # the pages' CSP allows no inline styles
    # the y axis spans the band, not only the values: the lowest tick is the band's bottom
    ticks = [float(t) for t in re.findall(r'fill="#444">([0-9.]+)</text>', svg)]
    assert min(ticks) == 0.6
    assert max(ticks) == 0.95


def test_no_values_is_said_not_drawn() -> None:
    assert "no values" in str(lines_svg([Line(name="a", xs=[], ys=[])], title="t"))
    assert "nothing to plot" in str(bars_svg([], [], title="t"))


def test_bars_on_a_value_axis() -> None:
    svg = str(bars_svg(["0 to 10", "10 to 20"], [("reference", [0.25, 0.75]),
                                                 ("current", [0.5, 0.5])],
                       title="x", edges=[0.0, 10.0, 20.0]))  # fmt: skip
    assert svg.count("<rect") == 4
    assert "reference 10 to 20: 75.0%" in svg
    labels = re.findall(r'text-anchor="middle" font-size="10" fill="#444">([^<]+)</text>', svg)
    assert labels[:2] == ["0", "10"]
