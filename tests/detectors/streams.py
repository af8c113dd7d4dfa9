"""Seeded streams and a River runner shared by the detector tests."""

from __future__ import annotations

from typing import Any

import numpy as np


def abrupt(seed: int, n: int = 1500, shift: float = 1.5) -> list[float]:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, n), rng.normal(shift, 1, n)]).tolist()


def gradual(seed: int, n: int = 3000) -> list[float]:
    rng = np.random.default_rng(seed)
    mean = np.clip(np.linspace(-1.0, 2.0, n), 0.0, 1.0)  # flat, a ramp, then flat
    return (mean + rng.normal(0, 1, n)).tolist()


def variance_change(seed: int, n: int = 1500) -> list[float]:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0, 1, n), rng.normal(0, 3, n)]).tolist()


def no_drift(seed: int, n: int = 3000) -> list[float]:
    return np.random.default_rng(seed).normal(0, 1, n).tolist()


def errors_abrupt(seed: int, n: int = 1500) -> list[int]:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.random(n) < 0.1, rng.random(n) < 0.35]).astype(int).tolist()


def errors_gradual(seed: int, n: int = 3000) -> list[int]:
    rng = np.random.default_rng(seed)
    return (rng.random(n) < np.linspace(0.05, 0.5, n)).astype(int).tolist()


def errors_no_drift(seed: int, n: int = 3000) -> list[int]:
    return (np.random.default_rng(seed).random(n) < 0.2).astype(int).tolist()


REAL_STREAMS = {
    "abrupt": abrupt,
    "gradual": gradual,
    "variance": variance_change,
    "no_drift": no_drift,
}
BINARY_STREAMS = {
    "abrupt": errors_abrupt,
    "gradual": errors_gradual,
    "no_drift": errors_no_drift,
}


def run(detector: Any, stream: list[Any]) -> tuple[list[int], list[int]]:
    """Feed a River (or our) detector; return drift indices and warning indices."""
    drifts: list[int] = []
    warnings: list[int] = []
    for i, x in enumerate(stream):
        detector.update(x)
        if detector.drift_detected:
            drifts.append(i)
        if getattr(detector, "warning_detected", False):
            warnings.append(i)
    return drifts, warnings
