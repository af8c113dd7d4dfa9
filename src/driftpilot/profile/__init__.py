"""Mergeable column summaries of a data set: profiles and baselines.

``profile(data)`` summarises every column (counts, moments, quantile sketches, binned
histograms, category counts); profiles merge exactly and save to versioned JSON.
``baseline(data, target=..., prediction=...)`` adds what a model's reference data needs:
a fingerprint, target and prediction summaries, metrics and thresholds.
"""

from __future__ import annotations

from driftpilot.profile._build import profile
from driftpilot.profile._load import load as load_profile
from driftpilot.profile._profile import Profile
from driftpilot.profile._summary import ColumnSummary
from driftpilot.profile.baseline import Baseline, baseline
from driftpilot.profile.categorical import CategoricalSummary
from driftpilot.profile.config import ProfileConfig
from driftpilot.profile.fingerprint import fingerprint
from driftpilot.profile.histogram import Histogram
from driftpilot.profile.numeric import NumericSummary
from driftpilot.profile.text import TextSummary

__all__ = [
    "Baseline",
    "CategoricalSummary",
    "ColumnSummary",
    "Histogram",
    "NumericSummary",
    "Profile",
    "ProfileConfig",
    "TextSummary",
    "baseline",
    "fingerprint",
    "load_profile",
    "profile",
]
