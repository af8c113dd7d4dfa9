"""The value object every test and distance kernel returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["TestResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """The outcome of a two-sample test or distance.

    Attributes
    ----------
    method
        The kernel's identifier, such as ``"ks"`` or ``"psi"``.
    statistic
        The test statistic or distance, a finite Python float.
    p_value
        The p-value in ``[0, 1]``, or ``None`` for a distance that has none.
    n_reference
        Number of reference observations (for binned kernels, the sum of the counts).
    n_current
        Number of current observations (for binned kernels, the sum of the counts).
    details
        Documented extras of the kernel, such as ``eps``, ``scale`` or ``dof``.
    """

    # Tell pytest that this class, whose name starts with "Test", is not a test case.
    __test__ = False

    method: str
    statistic: float
    p_value: float | None
    n_reference: int
    n_current: int
    details: Mapping[str, float] = field(default_factory=dict)
