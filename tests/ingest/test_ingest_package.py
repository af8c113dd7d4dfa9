"""The public surface of driftpilot.ingest and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import driftpilot
import driftpilot.ingest
from driftpilot.errors import InvalidParameterError
from driftpilot.ingest._settings import MODEL_NAME


def _rank(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    exported = driftpilot.ingest.__all__
    assert exported == sorted(exported, key=_rank)
    assert all(hasattr(driftpilot.ingest, name) for name in exported)


def test_import_driftpilot_loads_no_http_library_until_a_client_is_used() -> None:
    code = (
        "import sys, driftpilot as dp\n"
        "assert 'httpx' not in sys.modules and 'driftpilot.ingest' not in sys.modules\n"
        "assert dp.Client is __import__('driftpilot.ingest').ingest.Client\n"
        "assert dp.AsyncClient.__name__ == 'AsyncClient'\n"
        "assert 'httpx' in sys.modules\n"
        "try:\n    dp.Nope\nexcept AttributeError as err:\n    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "module 'driftpilot' has no attribute 'Nope'"


@pytest.mark.parametrize(
    "name", ["churn", "a", "fraud-v2.1_b", "x" * 200, "", "-a", "a/b", "a b", "x" * 201]
)
def test_model_names_follow_the_services_rule(name: str) -> None:
    store_records = pytest.importorskip("driftpilot.store.records")
    try:
        store_records.check_model_name(name)
        service_accepts = True
    except InvalidParameterError:
        service_accepts = False
    assert (MODEL_NAME.fullmatch(name) is not None) == service_accepts
