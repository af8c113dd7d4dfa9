"""The public surface of driftpilot.stats, its result type and what it may import."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest

import driftpilot.stats
from driftpilot.stats import TestResult

ALLOWED_IMPORTS = {"numpy", "scipy", "driftpilot.errors", "driftpilot._typing"}
STDLIB = {"__future__", "collections", "dataclasses", "math", "numbers", "re", "typing",
          "warnings"}  # fmt: skip


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase, then everything else."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def test_all_is_sorted_and_complete() -> None:
    exported = driftpilot.stats.__all__
    assert exported == sorted(exported, key=_isort_key)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(driftpilot.stats, name)
    public = set()
    for module in pkgutil.iter_modules(driftpilot.stats.__path__):
        submodule = importlib.import_module(f"driftpilot.stats.{module.name}")
        if not module.name.startswith("_") or module.name in ("_binning", "_result"):
            public.update(getattr(submodule, "__all__", []))
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
    "path", sorted(Path(driftpilot.stats.__file__).parent.glob("*.py")), ids=lambda p: p.name
)
def test_imports_only_numpy_scipy_and_our_base_modules(path: Path) -> None:
    for name in _imported_modules(path):
        if name.startswith("driftpilot.stats") or name.split(".")[0] in STDLIB:
            continue
        assert any(
            name == allowed or name.startswith(f"{allowed}.") for allowed in ALLOWED_IMPORTS
        ), f"{path.name} imports {name}"


def test_result_is_a_frozen_value_object() -> None:
    result = TestResult(method="ks", statistic=0.1, p_value=0.5, n_reference=3, n_current=4)
    assert result.details == {}
    assert TestResult.__test__ is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.statistic = 0.2  # type: ignore[misc]
    with pytest.raises(TypeError):
        TestResult("ks", 0.1, 0.5, 3, 4)  # type: ignore[misc]
    assert result == TestResult(method="ks", statistic=0.1, p_value=0.5, n_reference=3, n_current=4)
