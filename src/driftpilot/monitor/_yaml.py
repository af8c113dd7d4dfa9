"""Read YAML keeping the line of every value, so validation errors can name file and line.

PyYAML's composer gives nodes with start marks; we build plain Python data from the node
tree ourselves (safe scalars only, through ``SafeConstructor``) and record, for every path of
keys and indices, the 1-based line where its value starts.
"""

from __future__ import annotations

from typing import Any

import yaml

from driftpilot.errors import MonitorDefinitionError

__all__ = ["Lines", "load_yaml"]

Lines = dict[tuple[str | int, ...], int]


def load_yaml(text: str, *, where: str) -> tuple[Any, Lines]:
    """Parse one YAML document; return the data and the line of each path in it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise MonitorDefinitionError(f"{where}{line}: not valid YAML: {problem}.") from err
    lines: Lines = {}
    if node is None:
        return None, lines
    constructor = yaml.SafeLoader("")
    return _build(node, (), lines, constructor), lines


def _build(node: yaml.Node, path: tuple[str | int, ...], lines: Lines, c: Any) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = c.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*path, key), lines, c)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, c) for i, item in enumerate(node.value)]
    return c.construct_object(node, deep=True)
