"""Synthetic data sets with known drift, for the demo, benchmarks and tests.

Everything is generated from a seed, so the same call gives the same rows on every machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from driftpilot.errors import InvalidParameterError

__all__ = ["DriftDataset", "Traffic", "make_drift_data", "make_loans", "make_traffic"]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Logged traffic of a binary classifier, hour by hour, with incidents at known hours.

    ``events`` and ``labels`` are objects as the HTTP API takes them (times in ISO 8601);
    ``start`` is the first hour in microseconds since the epoch; ``incidents`` maps each
    incident injected (``drift``, ``missing``, ``concept``) to its first hour (0-based).
    """

    events: list[dict[str, object]]
    labels: list[dict[str, object]]
    start: int
    hours: int
    per_hour: int
    reference_hours: int
    incidents: dict[str, int]

    def hour(self, index: int) -> int:
        """Return the start of hour ``index`` in microseconds since the epoch."""
        return self.start + index * 3_600_000_000


def _iso_us(us: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat().replace("+00:00", "Z")


def make_traffic(
    *,
    hours: int = 240,
    per_hour: int = 200,
    reference_hours: int = 72,
    drift_at: int | None = None,
    missing_at: int | None = None,
    missing_hours: int = 3,
    missing_feature: str = "income",
    concept_at: int | None = None,
    label_share: float = 0.9,
    label_delay_hours: float = 2.0,
    start: str = "2026-01-01T00:00:00+00:00",
    version: str = "v1",
    seed: int = 0,
) -> Traffic:
    """Simulate a loan-default classifier's traffic with a drift, a broken feed, a concept shift.

    Scores are calibrated (the label is drawn from the score) until ``concept_at``, after
    which 35% of labels flip: the inputs and scores stay the same, the accuracy falls. From
    ``drift_at`` the credit score falls by one standard deviation and the channel mix moves.
    For ``missing_hours`` hours from ``missing_at`` every event lacks ``missing_feature``.
    A ``label_share`` of events get a label ``label_delay_hours`` after the event. The first
    ``reference_hours`` hours are clean (a reference period).
    """
    from datetime import datetime

    if hours < 1 or per_hour < 1:
        raise InvalidParameterError(f"hours and per_hour must be >= 1. Got {hours} and {per_hour}.")
    rng = np.random.default_rng(seed)
    t0 = int(datetime.fromisoformat(start).timestamp()) * 1_000_000
    n = hours * per_hour
    hour = np.repeat(np.arange(hours), per_hour)
    ts = (
        t0
        + hour * 3_600_000_000
        + np.sort(rng.integers(0, 3_600_000_000, size=(hours, per_hour)), axis=1).reshape(-1)
    )
    age = np.clip(rng.normal(42, 12, n), 18, 90).round()
    income = np.exp(rng.normal(10.8, 0.5, n)).round(-2)
    credit = np.clip(rng.normal(680, 60, n), 300, 850).round()
    channel = rng.choice(["web", "branch", "phone"], size=n, p=[0.6, 0.3, 0.1])
    region = rng.choice(["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    if drift_at is not None:
        late = hour >= drift_at
        credit[late] = np.clip(credit[late] - 60, 300, 850)
        channel[late] = rng.choice(
            ["web", "branch", "phone"], size=int(late.sum()), p=[0.3, 0.3, 0.4]
        )
    z = -0.9 * (credit - 680) / 60 - 0.6 * (np.log(income) - 10.8) / 0.5 + 0.02 * (age - 42)
    p = 1 / (1 + np.exp(-(z - 0.4)))
    label = rng.random(n) < p
    if concept_at is not None:
        flip = (hour >= concept_at) & (rng.random(n) < 0.35)
        label[flip] = ~label[flip]
    gone = np.zeros(n, dtype=bool)
    if missing_at is not None:
        gone = (hour >= missing_at) & (hour < missing_at + missing_hours)
    labelled = rng.random(n) < label_share
    events: list[dict[str, object]] = []
    labels: list[dict[str, object]] = []
    delay = int(label_delay_hours * 3_600_000_000)
    for i in range(n):
        event_id = str(uuid.UUID(int=(seed << 64) | i, version=4))
        features: dict[str, object] = {
            "age": float(age[i]),
            "income": None if gone[i] and missing_feature == "income" else float(income[i]),
            "credit_score": float(credit[i]),
            "channel": str(channel[i]),
            "region": str(region[i]),
        }
        if gone[i] and missing_feature != "income":
            features[missing_feature] = None
        events.append(
            {
                "event_id": event_id,
                "timestamp": _iso_us(int(ts[i])),
                "model_version": version,
                "features": features,
                "prediction": int(p[i] >= 0.5),
                "scores": {"default": round(float(p[i]), 6)},
                "segment": {"region": str(region[i])},
            }
        )
        if labelled[i]:
            labels.append(
                {
                    "event_id": event_id,
                    "value": int(label[i]),
                    "timestamp": _iso_us(int(ts[i]) + delay),
                }
            )
    incidents = {
        name: at
        for name, at in (("drift", drift_at), ("missing", missing_at), ("concept", concept_at))
        if at is not None
    }
    return Traffic(
        events=events,
        labels=labels,
        start=t0,
        hours=hours,
        per_hour=per_hour,
        reference_hours=reference_hours,
        incidents=incidents,
    )
