"""Seeded data sets shared by the performance tests."""

from __future__ import annotations

import numpy as np


def binary_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y_true, y_score)`` for one of the named binary data sets."""
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "balanced":
        y = rng.integers(0, 2, 400)
        score = 1.0 / (1.0 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(0, 1.5, y.size))))
    elif name == "imbalanced":
        y = (rng.random(600) < 0.05).astype(int)
        score = np.clip(0.1 + 0.4 * y + rng.normal(0, 0.15, y.size), 0.0, 1.0)
    elif name == "ties":
        y = rng.integers(0, 2, 300)
        score = np.round(np.clip(0.5 + 0.2 * (2 * y - 1) + rng.normal(0, 0.3, y.size), 0, 1), 1)
    elif name == "small":
        y = np.array([1, 0, 1, 1, 0, 0, 1])
        score = np.array([0.9, 0.5, 0.5, 0.2, 0.0, 0.7, 1.0])
    else:  # pragma: no cover - a typo in a test
        raise KeyError(name)
    return y, score


def multiclass_dataset(name: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Return ``(y_true, y_proba, labels)`` for one of the named multiclass data sets."""
    rng = np.random.default_rng(sum(map(ord, name)))
    k, n, classes_in_y = {
        "three": (3, 300, [0, 1, 2]),
        "imbalanced": (4, 500, [0, 1, 2, 3]),
        "missing": (4, 200, [0, 1, 3]),
        "two": (2, 150, [0, 1]),
    }[name]
    weights = np.linspace(1.0, 4.0, len(classes_in_y)) if name == "imbalanced" else None
    p = None if weights is None else weights**3 / np.sum(weights**3)
    y = rng.choice(classes_in_y, size=n, p=p)
    logits = rng.normal(0, 1.0, (n, k))
    logits[np.arange(n), y] += 1.2
    if name == "missing":  # ties: round, then renormalise exactly below
        logits = np.round(logits, 1)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, list(range(k))
