"""Write the golden saved files that test_serial.py reads back.

The files of every released ``schema_version`` must stay readable, so a file of an older
version is never regenerated: this script writes only the files of the version this code
writes (``*_v2.json``), and only when asked to with ``--write-v2``
(``python tests/profile/make_golden.py --write-v2``); review the diff. The ``*_v1.json``
files were written by the version-1 code from :func:`golden_data` and are frozen.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from driftpilot.profile import ProfileConfig, baseline, profile

GOLDEN = Path(__file__).parent / "golden"
CONFIG = ProfileConfig(bins=4, category_cap=3, kll_k=200)
#: Version 2: a small grid keeps the file short; ``kll_k`` is DataSketches' minimum, so the
#: 600-row columns have grids and the 12-row ones stay exact sketches.
CONFIG_V2 = ProfileConfig(bins=4, category_cap=3, kll_k=8, quantile_grid=20)
WRITES = "--write-v2"


def golden_data() -> pa.Table:
    """Twelve rows covering every kind, nulls, NaN and infinities (all sketches exact)."""
    return pa.table(
        {
            "amount": pa.array(
                [1.5, 2.0, None, math.nan, 3.25, math.inf, 10.0, -4.0, 0.1, 2.0, 7.5, 1e-3],
                from_pandas=False,
            ),
            "when": pa.array(
                [dt.datetime(2024, 1, 1 + i, tzinfo=dt.UTC) for i in range(11)] + [None],
                pa.timestamp("us", tz="UTC"),
            ),
            "plan": ["basic", "pro", "basic", None, "basic", "pro"] * 2,
            "city": ["Oslo", "Lima", "Pune", "Kyiv", "Oslo", "Lima"] * 2,
            "rating": [1, 2, 2, 3, 3, 3, 1, 2, 2, 3, 3, 3],
            "member": [True, False, None, True] * 3,
            "note": ["a fairly long review text with words, over thirty-two chars"] * 6
            + ["another review entirely, also long enough to count as text"] * 5
            + [None],
            "churned": [0, 1] * 6,
        }
    )


def golden_data_v2() -> pa.Table:
    """600 rows with grids (``CONFIG_V2``): a heavy-tailed float column with nulls, NaN and
    infinities, an integer column of few values (ties), text, and a category column."""
    i = np.arange(600)
    amount = np.exp(np.sin(i * 0.37) * 4.0) + (i % 7) * 0.25
    amount_list: list[float | None] = amount.tolist()
    for k in (5, 50, 500):
        amount_list[k] = None
    amount_list[7], amount_list[77] = math.nan, math.inf
    return pa.table(
        {
            "amount": pa.array(amount_list, pa.float64(), from_pandas=False),
            "visits": pa.array((i * 7 % 11 // 3).tolist(), pa.int64()),
            "plan": [("basic", "pro", "team")[k % 3 if k % 5 else 0] for k in i],
            "note": [f"review number {k} " * (1 + k % 4) for k in i],
            "churned": [int(k % 4 == 0) for k in i],
        }
    )


def main(argv: list[str]) -> int:
    if argv != [WRITES]:
        sys.stderr.write(f"usage: python tests/profile/make_golden.py {WRITES}\n")
        return 2
    GOLDEN.mkdir(exist_ok=True)
    data = golden_data_v2()
    saved = profile(data.drop_columns(["churned"]), {"visits": "numeric"}, config=CONFIG_V2)
    (GOLDEN / "profile_v2.json").write_text(saved.to_json(indent=1) + "\n", encoding="utf-8")
    kept = baseline(
        data,
        schema={"visits": "numeric"},
        target="churned",
        model_name="golden",
        model_version="2",
        performance={"auc": 0.75},
        thresholds={"amount": 0.2},
        config=CONFIG_V2,
        created_at="2024-05-01T12:00:00+00:00",
    )
    (GOLDEN / "baseline_v2.json").write_text(kept.to_json(indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
