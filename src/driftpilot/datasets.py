"""Synthetic data sets with known drift, for the demo, benchmarks and tests.

Everything is generated from a seed, so the same call gives the same rows on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from driftpilot.errors import InvalidParameterError

__all__ = ["DriftDataset", "make_drift_data", "make_loans"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftDataset:
    """A reference table, a current table, and the columns that were shifted on purpose."""

    reference: pa.Table
    current: pa.Table
    shifted: tuple[str, ...]


def make_drift_data(
    n_rows: int,
    *,
    n_numeric: int = 20,
    n_categorical: int = 5,
    shifted_share: float = 1 / 3,
    n_current: int | None = None,
    seed: int = 0,
) -> DriftDataset:
    """Make generic wide data: numeric ``num_i`` and categorical ``cat_i`` columns.

    The first ``round(shifted_share * n_columns)`` columns (numeric first) are shifted in the
    current data: numeric ones by half a standard deviation in mean and 20% in scale,
    categorical ones by moving a quarter of the mass between categories.

    Examples
    --------
    >>> data = make_drift_data(1000, n_numeric=2, n_categorical=1, seed=1)
    >>> data.reference.num_rows, data.reference.column_names, data.shifted
    (1000, ['num_0', 'num_1', 'cat_0'], ('num_0',))
    """
    if n_rows < 1:
        raise InvalidParameterError(
            f"The 'n_rows' parameter of make_drift_data must be >= 1. Got {n_rows!r} instead."
        )
    if not 0 <= shifted_share <= 1:
        raise InvalidParameterError(
            "The 'shifted_share' parameter of make_drift_data must be in [0, 1]. "
            f"Got {shifted_share!r} instead."
        )
    rng = np.random.default_rng(seed)
    n_cur = n_rows if n_current is None else n_current
    names = [f"num_{i}" for i in range(n_numeric)] + [f"cat_{i}" for i in range(n_categorical)]
    shifted = tuple(names[: round(shifted_share * len(names))])
    ref: dict[str, pa.Array] = {}
    cur: dict[str, pa.Array] = {}
    for i in range(n_numeric):
        name = f"num_{i}"
        loc, scale = rng.normal(0, 5), rng.uniform(0.5, 3)
        ref[name] = pa.array(rng.normal(loc, scale, n_rows))
        moved = name in shifted
        cur[name] = pa.array(
            rng.normal(loc + (0.5 * scale if moved else 0), scale * (1.2 if moved else 1), n_cur)
        )
    for i in range(n_categorical):
        name = f"cat_{i}"
        k = 4 + 3 * i
        labels = pa.array([f"{name}_v{j}" for j in range(k)])
        weights = rng.dirichlet(np.full(k, 2.0))
        ref[name] = _categories(rng, labels, weights, n_rows)
        if name in shifted:
            weights = 0.75 * weights + 0.25 * np.roll(weights, 1)[::-1] / weights.sum()
            weights = weights / weights.sum()
        cur[name] = _categories(rng, labels, weights, n_cur)
    return DriftDataset(reference=pa.table(ref), current=pa.table(cur), shifted=shifted)


def _categories(
    rng: np.random.Generator, labels: pa.Array, weights: np.ndarray, n: int
) -> pa.Array:
    codes = pa.array(rng.choice(len(labels), size=n, p=weights).astype(np.int32))
    return pa.DictionaryArray.from_arrays(codes, labels).cast(pa.string())


def make_loans(n_rows: int = 20_000, *, drifted: bool = False, seed: int = 0) -> pa.Table:
    """Make a loan-application table, with a realistic drift when ``drifted`` is true.

    The drifted version models a new marketing channel: younger applicants with lower
    incomes, more of them from the ``online`` channel, a broken ``employment_years`` feed
    (12% missing), and a wider ``loan_amount`` spread; ``credit_score`` and ``region``
    stay the same.

    Examples
    --------
    >>> make_loans(100).column_names[:4]
    ['age', 'income', 'credit_score', 'loan_amount']
    """
    rng = np.random.default_rng(seed + (1 if drifted else 0))
    age = rng.normal(31 if drifted else 41, 11, n_rows).clip(18, 90).round()
    income = rng.lognormal(np.log(38_000 if drifted else 52_000), 0.45, n_rows).round(-2)
    credit = rng.normal(680, 60, n_rows).clip(300, 850).round()
    loan = rng.lognormal(np.log(12_000), 0.9 if drifted else 0.6, n_rows).round(-2)
    years = rng.gamma(2.0, 3.0, n_rows).round(1)
    years_mask = rng.random(n_rows) < (0.12 if drifted else 0.01)
    channels = ["branch", "online", "partner", "phone"]
    channel_p = [0.2, 0.6, 0.15, 0.05] if drifted else [0.45, 0.3, 0.15, 0.1]
    regions = ["north", "south", "east", "west", "central"]
    region_p = [0.25, 0.2, 0.2, 0.2, 0.15]
    products = ["personal", "auto", "home_improvement", "debt_consolidation"]
    product_p = [0.4, 0.25, 0.15, 0.2]
    return pa.table(
        {
            "age": age,
            "income": income,
            "credit_score": credit,
            "loan_amount": loan,
            "employment_years": pa.array(years, mask=years_mask),
            "channel": rng.choice(channels, n_rows, p=channel_p),
            "region": rng.choice(regions, n_rows, p=region_p),
            "product": rng.choice(products, n_rows, p=product_p),
            "has_cosigner": rng.random(n_rows) < (0.05 if drifted else 0.15),
        }
    )
