"""to_table's pandas fast path gives the table the general conversion gives."""

from __future__ import annotations

import narwhals as nw
import numpy as np
import pandas as pd
import pytest

from driftpilot._frames import to_table


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1000
    return pd.DataFrame(
        {
            "clean": rng.normal(size=n),
            "with_nan": np.where(rng.random(n) < 0.1, np.nan, 1.0),
            "text": rng.choice(["x", "y"], n),
            "count": rng.integers(0, 5, n),
            "single": rng.normal(size=n).astype(np.float32),
            "nullable": pd.array([1.5, None] * (n // 2), dtype="Float64"),
        }
    )


@pytest.mark.parametrize(
    "select",
    [
        lambda f: f,
        lambda f: f.iloc[::2],  # a non-range index: pyarrow keeps it as a column
        lambda f: f.iloc[5:],  # a range index not starting at 0
        lambda f: f[["clean", "single"]],  # floats only
        lambda f: f[["text", "count"]],  # no float column
        lambda f: f.set_axis([0, 1, 2, 3, 4, 5], axis=1),  # non-string names
    ],
)
def test_to_table_pandas_equals_the_general_conversion(select: object) -> None:
    frame = select(_frame())  # type: ignore[operator]
    general = nw.from_native(frame, eager_only=True).to_arrow()
    got = to_table(frame)
    assert got.replace_schema_metadata(None).equals(general.replace_schema_metadata(None))


def test_to_table_pandas_wraps_clean_float_columns_without_a_copy() -> None:
    frame = _frame()
    table = to_table(frame)
    assert np.shares_memory(table["clean"].chunk(0).to_numpy(), frame["clean"].to_numpy())
    # NaN becomes null, as pandas means it
    assert table["with_nan"].null_count == int(frame["with_nan"].isna().sum())
