"""The monitor YAML loader bounds size, nesting, aliases and alias expansion.

The alias bomb (nine aliases per level over seven levels: 4.8 million values) once took
seconds to build on the service's event loop; it is now refused after building 200,000 values.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from driftpilot.errors import MonitorDefinitionError
from driftpilot.monitor import load_monitors
from driftpilot.monitor._yaml import MAX_ALIASES, MAX_CHARS, MAX_DEPTH, load_yaml


def alias_bomb(levels: int = 7, fan_out: int = 9) -> str:
    """Each level is a list of ``fan_out`` aliases of the level below."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        items = ", ".join(f"*a{level - 1}" for _ in range(fan_out))
        lines.append(f"a{level}: &a{level} [{items}]")
    return "\n".join(lines) + "\n"


GOOD = """\
monitors:
  - name: loans-1h
    model: loans
    window: &w {size: 1h}
    reference: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z}
    checks: [{type: feature_drift}]
"""


def test_the_alias_bomb_is_refused_naming_the_expansion_limit() -> None:
    with pytest.raises(MonitorDefinitionError, match="'nodes' limit"):
        load_yaml(alias_bomb(), where="bomb.yaml")


def test_too_many_aliases_are_refused_with_the_line() -> None:
    text = "x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(MonitorDefinitionError, match=r"line 2: .*'aliases' limit"):
        load_yaml(text, where="many.yaml")


def test_deep_nesting_is_refused_before_any_recursion() -> None:
    for depth in (MAX_DEPTH + 1, 5_000):
        with pytest.raises(MonitorDefinitionError, match="'depth' limit"):
            load_yaml("[" * depth + "]" * depth, where="deep.yaml")
    data, _ = load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, where="ok.yaml")
    assert isinstance(data, list)


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(MonitorDefinitionError, match="line 1: an alias refers to a value"):
        load_yaml("a: &a [1, *a]\n", where="loop.yaml")


def test_oversized_documents_are_refused_unread() -> None:
    with pytest.raises(MonitorDefinitionError, match="'size' limit"):
        load_yaml("#" * (MAX_CHARS + 1), where="big.yaml")


def test_documents_within_the_limits_load_with_their_lines() -> None:
    (spec,) = load_monitors("good.yaml", text=GOOD)
    assert spec.name == "loans-1h"
    data, lines = load_yaml("a: &a {b: 1}\nc: *a\n", where="x")
    assert data == {"a": {"b": 1}, "c": {"b": 1}}
    assert lines[("c",)] == 2


def test_monitor_validate_uses_the_same_loader(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    done = subprocess.run(
        [sys.executable, "-m", "driftpilot", "monitor", "validate", str(bomb)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "'nodes' limit" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
