"""Rich display in a real notebook: a small notebook is executed with nbclient on an IPython
kernel, and its outputs must hold each object's HTML and its one-line text form."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from html_tree import parse  # noqa: E402

_SETUP = """\
import numpy as np, pandas as pd, driftpilot as dp
rng = np.random.default_rng(0)
n = 2000
age = rng.normal(40, 10, n)
reference = pd.DataFrame({"age": np.where(np.arange(n) % 100 == 0, np.nan, age),
                          "city": rng.choice(["paris", "lyon"], n)})
current = pd.DataFrame({"age": np.where(np.arange(n) % 25 < 3, np.nan, age + 5),
                        "city": rng.choice(["paris", "lyon"], n)})
report = dp.compare(reference, current)
"""


def _notebook() -> object:
    cells = [
        nbformat.v4.new_code_cell(_SETUP),
        nbformat.v4.new_code_cell("report"),
        nbformat.v4.new_code_cell("dp.profile(reference)"),
        nbformat.v4.new_code_cell("dp.baseline(reference, model_name='loans')"),
        nbformat.v4.new_code_cell("report.to_pandas()[['column', 'drifted', 'findings']]"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_notebook_shows_reports_profiles_and_baselines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = str(Path(__file__).parents[1] / "src")
    # The kernel imports this checkout's driftpilot.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, (src, os.environ.get("PYTHONPATH"))))
    )
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = _notebook()
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert all(o.output_type != "error" for cell in outputs for o in cell), outputs
    results = [[o for o in cell if o.output_type == "execute_result"] for cell in outputs[1:]]
    assert all(len(r) == 1 for r in results), outputs
    report, profile, baseline, table = (r[0].data for r in results)

    assert report["text/plain"] == (
        "DriftReport(dataset_drift=True, 1/2 columns drifted, 1 findings, "
        "n_reference=2000, n_current=2000)"
    )
    root = parse(report["text/html"])
    div = root.find("div", cls="dp-report")
    assert div.find("div", cls="dp-status").text() == "Dataset drift: YES"
    note = div.find("li", data_kind="missing_rate_changed").text()
    assert "from 1% to 12%" in note
    assert len(div.find_all("svg")) == 2

    assert profile["text/plain"] == "Profile(n_rows=2000, 2 columns: 1 categorical, 1 numeric)"
    assert parse(profile["text/html"]).find("div", cls="dp-profile")
    assert baseline["text/plain"].startswith("Baseline(model='loans', n_rows=2000, 2 features")
    assert parse(baseline["text/html"]).find("div", cls="dp-profile")
    assert "missing_rate_changed" in table["text/html"]
