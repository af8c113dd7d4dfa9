"""Quality checks of incoming values, and the Arrow columns they are profiled from.

Each check walks one column of a batch (one feature, the prediction, a score, the latency)
and does two things at once: it flags the events whose value breaks the column's rule, and it
builds the Arrow array the profile is made from. A flag is ``"<problem>:<field>"``:

* ``missing:features.age``: a declared (or baseline) feature is absent;
* ``unknown:features.zip``: a feature the schema does not declare;
* ``null:features.age``: ``null`` where the schema says ``"nullable": false``;
* ``wrong_type:features.age``: a value of the wrong JSON type (a string for a numeric
  feature); it is profiled as missing;
* ``nan:features.age``, ``inf:features.age``: non-finite numbers (counted by the profile as
  NaN and infinite);
* ``out_of_bounds:features.age``: a finite number outside the declared ``min``/``max``;
* ``unsupported:features.tags``: an object or array where no schema says what to expect;
  such a column is not profiled.

Kinds: a declared schema wins, then the version's baseline. Without either, a column's kind
comes from the JSON type of its first non-null value (numbers are ``numeric``, strings
``categorical``, booleans ``boolean``), so it does not depend on how many distinct values a
batch happens to hold (``infer_type`` would call a batch of small integers categorical).

Categorical values may be strings, integers or booleans; a column mixing them is profiled
as their ``str`` forms. Datetime values are ISO-8601 strings (naive ones taken as UTC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from driftpilot._columns import ColumnType

__all__ = ["MISSING", "Checked", "Rule", "check_column", "infer_rule", "rules_from_kinds"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Marks a key absent from an object (as opposed to present and ``null``).
MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """What a column's values must be. ``declared``: absence is flagged as ``missing``."""

    kind: ColumnType
    min: float | None = None
    max: float | None = None
    nullable: bool = True
    declared: bool = False


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked column: its Arrow array, or ``None`` when it cannot be profiled."""

    array: pa.Array | None
    kind: ColumnType


_NUMBER = (int, float)


def infer_rule(values: Sequence[Any]) -> Rule | None:
    """Return the rule of an undeclared column from its first non-null value's JSON type.

    ``None`` for a column whose first value is an object or array (not profiled).
    """
    for value in values:
        if value is None or value is MISSING:
            continue
        if isinstance(value, bool):
            return Rule(kind=ColumnType.BOOLEAN)
        if isinstance(value, _NUMBER):
            return Rule(kind=ColumnType.NUMERIC)
        if isinstance(value, str):
            return Rule(kind=ColumnType.CATEGORICAL)
        return None
    return Rule(kind=ColumnType.NUMERIC)


def check_column(
    values: Sequence[Any], rule: Rule, where: str, flags: list[list[str]] | None
) -> Checked:
    """Check ``values`` (one per event; ``MISSING`` for absent) against ``rule``.

    Flags are appended to ``flags[i]`` for event ``i`` (skipped when ``flags`` is ``None``).
    """
    kind = rule.kind
    if kind is ColumnType.NUMERIC:
        return Checked(_numeric(values, rule, where, flags), kind)
    if kind is ColumnType.BOOLEAN:
        return Checked(_typed(values, rule, where, flags, (bool,), pa.bool_()), kind)
    if kind is ColumnType.TEXT:
        return Checked(_typed(values, rule, where, flags, (str,), pa.large_string()), kind)
    if kind is ColumnType.DATETIME:
        return Checked(_datetime(values, rule, where, flags), kind)
    return Checked(_categorical(values, rule, where, flags), kind)


def _absent(value: Any, i: int, rule: Rule, where: str, flags: list[list[str]] | None) -> None:
    if flags is None:
        return
    if value is MISSING:
        if rule.declared:
            flags[i].append(f"missing:{where}")
    elif not rule.nullable:
        flags[i].append(f"null:{where}")


def _numeric(
    values: Sequence[Any], rule: Rule, where: str, flags: list[list[str]] | None
) -> pa.Array:
    if set(map(type, values)) <= {float, int}:
        try:
            array = np.asarray(values, dtype=np.float64)  # fast path: every value a number
        except OverflowError:  # an integer beyond float range: take the slow path
            pass
        else:
            if flags is not None:
                _flag_numbers(array, rule, where, flags, None)
            return pa.array(array)
    clean: list[float | None] = []
    for i, value in enumerate(values):
        if type(value) in (float, int):
            clean.append(_to_float(value))
        elif value is None or value is MISSING:
            clean.append(None)
            _absent(value, i, rule, where, flags)
        else:
            clean.append(None)
            if flags is not None:
                flags[i].append(f"wrong_type:{where}")
    array = np.asarray([math.nan if v is None else v for v in clean], dtype=np.float64)
    mask = np.fromiter((v is None for v in clean), dtype=bool, count=len(clean))
    if flags is not None:
        _flag_numbers(array, rule, where, flags, ~mask)
    return pa.array(array, mask=mask)


def _to_float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond float range
        return math.inf if value > 0 else -math.inf


def _flag_numbers(
    array: np.ndarray[Any, np.dtype[np.float64]],
    rule: Rule,
    where: str,
    flags: list[list[str]],
    present: np.ndarray[Any, np.dtype[np.bool_]] | None,
) -> None:
    nan = np.isnan(array)
    if present is not None:
        nan &= present
    for i in np.flatnonzero(nan).tolist():
        flags[i].append(f"nan:{where}")
    for i in np.flatnonzero(np.isinf(array)).tolist():
        flags[i].append(f"inf:{where}")
    if rule.min is not None or rule.max is not None:
        finite = np.isfinite(array)
        low = -math.inf if rule.min is None else rule.min
        high = math.inf if rule.max is None else rule.max
        outside = finite & ((array < low) | (array > high))
        for i in np.flatnonzero(outside).tolist():
            flags[i].append(f"out_of_bounds:{where}")


def _typed(
    values: Sequence[Any],
    rule: Rule,
    where: str,
    flags: list[list[str]] | None,
    accepted: tuple[type, ...],
    arrow_type: pa.DataType,
) -> pa.Array:
    clean: list[Any] = []
    for i, value in enumerate(values):
        if type(value) in accepted:
            clean.append(value)
            continue
        clean.append(None)
        if value is None or value is MISSING:
            _absent(value, i, rule, where, flags)
        elif flags is not None:
            flags[i].append(f"wrong_type:{where}")
    return pa.array(clean, type=arrow_type)


def _categorical(
    values: Sequence[Any], rule: Rule, where: str, flags: list[list[str]] | None
) -> pa.Array:
    clean: list[Any] = []
    seen: set[type] = set()
    for i, value in enumerate(values):
        kind = type(value)
        if kind is str or kind is int or kind is bool:
            clean.append(value)
            seen.add(kind)
            continue
        clean.append(None)
        if value is None or value is MISSING:
            _absent(value, i, rule, where, flags)
        elif flags is not None:
            flags[i].append(f"wrong_type:{where}")
    if len(seen) > 1:
        return pa.array([None if v is None else str(v) for v in clean], type=pa.large_string())
    arrow_type = {str: pa.large_string(), int: pa.int64(), bool: pa.bool_()}.get(
        next(iter(seen), str), pa.large_string()
    )
    return pa.array(clean, type=arrow_type)


def _datetime(
    values: Sequence[Any], rule: Rule, where: str, flags: list[list[str]] | None
) -> pa.Array:
    clean: list[datetime | None] = []
    for i, value in enumerate(values):
        moment = _parse_datetime(value)
        clean.append(moment)
        if moment is not None:
            continue
        if value is None or value is MISSING:
            _absent(value, i, rule, where, flags)
        elif flags is not None:
            flags[i].append(f"wrong_type:{where}")
    return pa.array(clean, type=pa.timestamp("us", tz="UTC"))


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # outside the years 1-9999 once in UTC
        return None


def rules_from_kinds(kinds: Mapping[str, ColumnType]) -> dict[str, Rule]:
    """Return declared rules (no bounds, nullable) for columns of known kinds (a baseline's)."""
    return {name: Rule(kind=kind, declared=True) for name, kind in kinds.items()}
