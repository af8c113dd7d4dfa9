"""Suite-wide settings.

Hypothesis explores new random examples on every local run; in CI (``CI`` set) it is
derandomized, so a green commit stays green and a failure found locally is fixed, not
rediscovered at random by CI.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


_SERVICE_TESTS = (
    "tests/server/",
    "tests/store/",
    "tests/ingest/",
    "tests/monitor/",
    "tests/alerts_engine/",
    "tests/metrics/",
    "tests/cli/",
    "tests/e2e/",
)


@pytest.fixture(autouse=True)
def _collect_garbage_after_service_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Collect garbage after each test that opens connections, so a leaked one (an unclosed
    database connection) is reported by the test that leaked it, not by whichever test runs
    when the GC next does. Only there: a full collection after every test costs minutes."""
    yield
    if any(part in request.node.nodeid for part in _SERVICE_TESTS):
        gc.collect()
