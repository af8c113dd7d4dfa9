"""What a loaded model is to driftpilot: something that predicts on a batch of rows.

Every flavor (scikit-learn through skops, a Python class, MLflow pyfunc) loads into an
object of this shape, and the serving router calls nothing else. ``rows`` is a list of
feature mappings (one per request row), so the router needs no frame library; a flavor
converts it to what its model expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["Predictor"]


@runtime_checkable
class Predictor(Protocol):
    """A loaded model version.

    ``predict`` returns one prediction per row, in order. ``predict_proba`` returns one
    mapping of class to probability per row, or ``None`` when the model has no scores.
    """

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Return one prediction per row."""
        ...

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]] | None:
        """Return one class-probability mapping per row, or ``None`` without scores."""
        ...
