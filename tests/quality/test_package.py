"""The public surface of driftpilot.quality and what it may import."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import driftpilot.quality

ALLOWED_IMPORTS = {
    "numpy",
    "scipy",
    "driftpilot.errors",
    "driftpilot._typing",
    "driftpilot._columns",
    "driftpilot.profile",
    "driftpilot.stats",
}
STDLIB = {"__future__", "collections", "dataclasses", "math", "numbers", "types", "typing"}
RESULTS = [name for name in driftpilot.quality.__all__ if name.endswith("Result")]


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase, then everything else."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def test_all_is_sorted_and_complete() -> None:
    exported = driftpilot.quality.__all__
    assert exported == sorted(exported, key=_isort_key)
    for name in exported:
        assert hasattr(driftpilot.quality, name)
    public = set()
    for module in pkgutil.iter_modules(driftpilot.quality.__path__):
        if not module.name.startswith("_"):
            submodule = importlib.import_module(f"driftpilot.quality.{module.name}")
            public.update(submodule.__all__)
    assert public == set(exported)
    assert len(RESULTS) == 6


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted(Path(driftpilot.quality.__file__).parent.glob("*.py")), ids=lambda p: p.name
)
def test_imports_only_numpy_scipy_and_lower_layers(path: Path) -> None:
    for name in _imported_modules(path):
        if name.startswith("driftpilot.quality") or name.split(".")[0] in STDLIB:
            continue
        assert any(
            name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED_IMPORTS
        ), f"{path.name} imports {name}"


def test_importing_quality_loads_no_service_library() -> None:
    code = (
        "import sys, driftpilot.quality;"
        "bad = {'fastapi', 'sqlalchemy', 'pydantic', 'httpx', 'typer', 'sklearn'}"
        " & set(sys.modules); print(sorted(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", RESULTS)
def test_results_are_frozen_keyword_only_value_objects(name: str) -> None:
    cls = getattr(driftpilot.quality, name)
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen
    assert all(field.kw_only for field in dataclasses.fields(cls))
    assert hasattr(cls, "__slots__")
    assert callable(cls.to_dict)
