"""Streaming concept-drift detectors: ADWIN, Page-Hinkley, DDM, EDDM and KSWIN.

Each detector is fed one value at a time (a per-event error, loss or score) with
``update(x)``, which returns the detector; ``drift_detected`` is true only on the update that
flagged a change, after which the detector starts again on its own. ``update_many(xs)`` feeds a
batch with the same result, faster, and leaves the flagged positions in ``batch_drifts``;
:func:`detect` runs a detector over a whole stream and returns the indices it flagged.
``to_dict()`` / ``from_dict()`` save and restore a detector exactly.

They are written by hand from the papers (numpy, scipy and the standard library only), with
the parameters, defaults and conventions of River's implementations: with the same parameters
on the same stream they flag the same indices (River is a test-only dependency). Pure
computation: no I/O, no logging, no global random state.
"""

from __future__ import annotations

from driftpilot.detectors._stream import StreamingDetector, detect
from driftpilot.detectors.adwin import ADWIN
from driftpilot.detectors.ddm import DDM
from driftpilot.detectors.eddm import EDDM
from driftpilot.detectors.kswin import KSWIN
from driftpilot.detectors.page_hinkley import PageHinkley

__all__ = ["ADWIN", "DDM", "EDDM", "KSWIN", "PageHinkley", "StreamingDetector", "detect"]
