"""Real scikit-learn models for the serving tests, and the loader ``serve-model`` is given.

Each version is a logistic regression trained here on its own seed of a synthetic task, so
versions predict differently (a test can tell which one answered).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

FEATURES = ("x1", "x2", "x3")


class SklearnPredictor:
    """A fitted scikit-learn classifier behind ``driftpilot.lifecycle.Predictor``."""

    def __init__(self, model: Any, features: Sequence[str] = FEATURES) -> None:
        self.model = model
        self.features = list(features)

    def _matrix(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return np.array([[float(row[f]) for f in self.features] for row in rows])

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        return [int(p) for p in self.model.predict(self._matrix(rows))]

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]] | None:
        classes = [str(c) for c in self.model.classes_]
        return [dict(zip(classes, map(float, p), strict=True))
                for p in self.model.predict_proba(self._matrix(rows))]  # fmt: skip


@cache
def trained(version: str) -> LogisticRegression:
    seed = sum(map(ord, version))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, len(FEATURES)))
    coef = rng.normal(size=len(FEATURES))
    y = (x @ coef + rng.normal(scale=0.3, size=400) > 0).astype(int)
    return LogisticRegression().fit(x, y)


def load(model: str, version: str) -> SklearnPredictor:
    """The loader: ``(model, version) -> Predictor`` (trained on first use)."""
    return SklearnPredictor(trained(version))


class GatedPredictor(SklearnPredictor):
    """A real model that waits for ``gate`` before predicting (a slow shadow)."""

    def __init__(self, model: Any, gate: threading.Event) -> None:
        super().__init__(model)
        self.gate = gate

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        self.gate.wait()
        return super().predict(rows)
