"""Array type aliases shared across driftpilot."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray", "Seed"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Randomness enters as a seed or a generator, resolved once with ``numpy.random.default_rng``.
Seed = int | np.random.Generator | None
