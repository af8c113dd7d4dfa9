"""Read YAML keeping the line of every value, so validation errors can name file and line.

PyYAML's composer gives nodes with start marks; we build plain Python data from the node
tree ourselves (safe scalars only, through ``SafeConstructor``) and record, for every path of
keys and indices, the 1-based line where its value starts.

Monitor definitions come from admins over the API, so the loader bounds what a document may
cost before building anything: at most ``MAX_CHARS`` characters, ``MAX_DEPTH`` levels of
nesting and ``MAX_ALIASES`` aliases (checked on PyYAML's event stream, which is read without
recursion), and at most ``MAX_NODES`` values once aliases are expanded (an alias bomb: nine
aliases per level over seven levels name 9**7 = 4.8 million values in a few hundred bytes).
A document over a limit is a ``MonitorDefinitionError`` (``invalid_monitor``) naming the
limit. The service parses on a worker thread, never on its event loop.
"""

from __future__ import annotations

from typing import Any

import yaml

from driftpilot.errors import MonitorDefinitionError

__all__ = ["MAX_ALIASES", "MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "Lines", "load_yaml"]

Lines = dict[tuple[str | int, ...], int]

#: Longest document, in characters.
MAX_CHARS = 1_000_000
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 50
#: Most aliases (``*name``) in one document.
MAX_ALIASES = 100
#: Most values (mappings, sequences and scalars) after expanding aliases.
MAX_NODES = 200_000


def _limit(where: str, line: int | None, what: str, limit: str, value: int) -> None:
    at = f", line {line}" if line is not None else ""
    raise MonitorDefinitionError(
        f"{where}{at}: the YAML document is over the {limit!r} limit: {what} (at most "
        f"{value:,}; a guard against documents that cost more to read than they say)."
    )


def _check_events(text: str, where: str) -> None:
    """Bound nesting depth and aliases while streaming the events (no recursion)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                _limit(where, line, f"more than {MAX_DEPTH} levels of nesting", "depth",
                       MAX_DEPTH)  # fmt: skip
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                line = event.start_mark.line + 1 if event.start_mark else None
                _limit(where, line, f"more than {MAX_ALIASES} aliases", "aliases", MAX_ALIASES)


def load_yaml(text: str, *, where: str) -> tuple[Any, Lines]:
    """Parse one YAML document; return the data and the line of each path in it.

    Raises
    ------
    MonitorDefinitionError
        Not valid YAML, or over one of the limits (module docstring).
    """
    if len(text) > MAX_CHARS:
        _limit(where, None, f"{len(text):,} characters", "size", MAX_CHARS)
    try:
        _check_events(text, where)
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
    _check_expansion(node, where)
    return _build(node, (), lines, constructor), lines


def _check_expansion(node: yaml.Node, where: str) -> None:
    """Count the values the node graph expands to (memoised per shared node), unbuilt."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: yaml.Node) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        if id(n) in open_nodes:
            line = n.start_mark.line + 1
            raise MonitorDefinitionError(f"{where}, line {line}: an alias refers to a value "
                                         f"that contains it (a recursive structure).")  # fmt: skip
        open_nodes.add(id(n))
        total = 1
        if isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total += sum(size(item) for item in n.value)
        sizes[id(n)] = total = min(total, MAX_NODES + 1)
        open_nodes.discard(id(n))
        return total

    if size(node) > MAX_NODES:
        what = f"more than {MAX_NODES:,} values once its aliases are expanded"
        _limit(where, None, what, "nodes", MAX_NODES)


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
