"""The public surface of driftpilot.performance and what it may import."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest

import driftpilot.performance

ALLOWED_IMPORTS = {"numpy", "scipy", "driftpilot.errors", "driftpilot._typing"}
STDLIB = {"__future__", "collections", "dataclasses", "math", "numbers", "typing"}
RESULTS = ["BinaryMetricsResult", "LabelCoverageResult", "MulticlassMetricsResult",
           "RegressionMetricsResult"]  # fmt: skip


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase, then everything else."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def test_all_is_sorted_and_complete() -> None:
    exported = driftpilot.performance.__all__
    assert exported == sorted(exported, key=_isort_key)
    for name in exported:
        assert hasattr(driftpilot.performance, name)
    public = set()
    for module in pkgutil.iter_modules(driftpilot.performance.__path__):
        if not module.name.startswith("_"):
            submodule = importlib.import_module(f"driftpilot.performance.{module.name}")
            public.update(submodule.__all__)
    assert public == set(exported)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    sorted(Path(driftpilot.performance.__file__).parent.glob("*.py")),
    ids=lambda p: p.name,
)
def test_imports_only_numpy_scipy_and_our_base_modules(path: Path) -> None:
    for name in _imported_modules(path):
        if name.startswith("driftpilot.performance") or name.split(".")[0] in STDLIB:
            continue
        assert any(
            name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED_IMPORTS
        ), f"{path.name} imports {name}"


@pytest.mark.parametrize("name", RESULTS)
def test_results_are_frozen_keyword_only_value_objects(name: str) -> None:
    cls = getattr(driftpilot.performance, name)
    params = cls.__dataclass_params__
    assert params.frozen
    assert all(field.kw_only for field in dataclasses.fields(cls))
    assert hasattr(cls, "__slots__")
    assert callable(cls.to_dict)
    assert dataclasses.is_dataclass(cls)
