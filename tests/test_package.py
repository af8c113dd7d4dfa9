"""Conformance of the package as a whole: public names, import isolation, error hierarchy."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import driftpilot
from driftpilot import errors

PACKAGES = [
    "driftpilot",
    "driftpilot.stats",
    "driftpilot.profile",
    "driftpilot.drift",
    "driftpilot.detectors",
    "driftpilot.performance",
    "driftpilot.ingest",
    "driftpilot.errors",
    "driftpilot.store",
    "driftpilot.server",
    "driftpilot.server.schemas",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)

    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    def rank(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert exported == sorted(exported, key=rank)
    for public in exported:
        assert hasattr(module, public), f"{name}.{public} is in __all__ but missing"


def test_core_imports_no_service_or_cli_libraries() -> None:
    code = (
        "import sys, driftpilot as dp, driftpilot.stats, driftpilot.profile, driftpilot.drift,"
        " driftpilot.detectors, driftpilot.performance;"
        "bad = {'fastapi', 'sqlalchemy', 'pydantic', 'httpx', 'typer'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_errors_share_one_root_and_keep_builtin_bases() -> None:
    for name in errors.__all__:
        error = getattr(errors, name)
        assert issubclass(error, errors.DriftpilotError)
        if error is not errors.DriftpilotError:
            assert issubclass(
                error,
                ValueError
                | TypeError
                | LookupError
                | PermissionError
                | ImportError
                | ConnectionError,
            )
    codes = [getattr(errors, n).code for n in errors.__all__]
    assert len(codes) == len(set(codes))


def test_version_is_set() -> None:
    assert driftpilot.__version__ != "0.0.0"
