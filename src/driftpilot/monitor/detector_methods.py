"""The registry of streaming detectors a ``detector`` check can run, by its ``method``.

One table that the check's validation (``method`` must be a key, ``params`` must fit the
detector's signature and pass its own range checks), the runner (which builds the detector),
the check type registry (the metric a detector result carries is its ``method``) and the docs
(README's table of methods, checked by a test) all read. Adding a detector is one entry here.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley, StreamingDetector
from driftpilot.errors import DriftpilotError

__all__ = ["DETECTORS", "DetectorMethod", "detector_method"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorMethod:
    """One detector a ``detector`` check can run.

    Attributes
    ----------
    name
        The check's ``method``.
    detector
        The detector class (``driftpilot.detectors``), built with the check's ``params``.
    title
        What the docs call it.
    binary
        Whether it is fed 0/1 values only (DDM, EDDM: an error rate), so it watches the error
        stream of a classifier, never scores or a regression's absolute errors.
    """

    name: str
    detector: type[Any]
    title: str
    binary: bool = False

    @property
    def parameters(self) -> tuple[str, ...]:
        """The keyword parameters the detector accepts, in signature order."""
        return tuple(
            name for name, p in inspect.signature(self.detector).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        )  # fmt: skip

    def build(self, params: Mapping[str, Any]) -> StreamingDetector:
        """Return a fresh detector with ``params``.

        Raises
        ------
        ValueError
            ``params`` names a parameter the detector does not have, or its own checks
            refuse a value (the message names the parameter and the value).
        """
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise ValueError(f"{self.name} has no parameter {unknown[0]!r}; its parameters "
                             f"are {sorted(self.parameters)}")  # fmt: skip
        try:
            built: StreamingDetector = self.detector(**params)
        except (TypeError, ValueError, DriftpilotError) as err:
            raise ValueError(f"bad {self.name} params: {str(err).rstrip('.')}") from None
        return built


#: The detectors of ``detector`` checks, by ``method``.
DETECTORS: Mapping[str, DetectorMethod] = {
    m.name: m
    for m in (
        DetectorMethod(name="adwin", detector=ADWIN, title="ADWIN"),
        DetectorMethod(name="page_hinkley", detector=PageHinkley, title="Page-Hinkley"),
        DetectorMethod(name="ddm", detector=DDM, title="DDM", binary=True),
        DetectorMethod(name="eddm", detector=EDDM, title="EDDM", binary=True),
        DetectorMethod(name="kswin", detector=KSWIN, title="KSWIN"),
    )
}  # fmt: skip


def detector_method(name: str) -> DetectorMethod:
    """Return the registry entry of ``method`` ``name``.

    Raises
    ------
    ValueError
        No detector has that name (the message lists them).
    """
    try:
        return DETECTORS[name]
    except KeyError:
        raise ValueError(
            f"unknown detector method {name!r}; choose from {sorted(DETECTORS)}"
        ) from None
