"""Suite-wide settings.

Hypothesis explores new random examples on every local run; in CI (``CI`` set) it is
derandomized, so a green commit stays green and a failure found locally is fixed, not
rediscovered at random by CI.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
