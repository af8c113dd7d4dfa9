"""Quality checks of one column: the flags each bad value gets and the array profiled."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest

from driftpilot import ColumnType
from driftpilot.store._checks import MISSING, Rule, check_column, infer_rule


def _check(values: list[Any], rule: Rule) -> tuple[list[Any], list[list[str]]]:
    flags: list[list[str]] = [[] for _ in values]
    checked = check_column(values, rule, "features.f", flags)
    assert checked.array is not None
    return checked.array.to_pylist(), flags


def test_numeric_rule_flags_every_problem_once() -> None:
    rule = Rule(kind=ColumnType.NUMERIC, min=0, max=10, nullable=False, declared=True)
    values, flags = _check(
        [1, 2.5, -1, 11, math.nan, -math.inf, None, MISSING, "7", True, 10**400], rule
    )
    assert values[:4] == [1.0, 2.5, -1.0, 11.0]
    assert math.isnan(values[4])
    assert values[5:10] == [-math.inf, None, None, None, None]
    assert values[10] == math.inf
    assert flags == [
        [], [], ["out_of_bounds:features.f"], ["out_of_bounds:features.f"], ["nan:features.f"],
        ["inf:features.f"], ["null:features.f"], ["missing:features.f"],
        ["wrong_type:features.f"], ["wrong_type:features.f"], ["inf:features.f"],
    ]  # fmt: skip


def test_undeclared_columns_do_not_flag_absence() -> None:
    values, flags = _check([MISSING, None, 1.0], Rule(kind=ColumnType.NUMERIC))
    assert values == [None, None, 1.0]
    assert flags == [[], [], []]


@pytest.mark.parametrize(
    ("values", "arrow_type", "expected"),
    [
        (["a", "b", None], pa.large_string(), ["a", "b", None]),
        ([1, 2, 2], pa.int64(), [1, 2, 2]),
        ([True, False], pa.bool_(), [True, False]),
        (["a", 1, True], pa.large_string(), ["a", "1", "True"]),
    ],
)
def test_categorical_arrays_keep_one_type(
    values: list[Any], arrow_type: pa.DataType, expected: list[Any]
) -> None:
    checked = check_column(values, Rule(kind=ColumnType.CATEGORICAL), "prediction", None)
    assert checked.array is not None
    assert checked.array.type == arrow_type
    assert checked.array.to_pylist() == expected


def test_other_kinds() -> None:
    values, flags = _check(
        ["2024-01-01T01:00:00+01:00", "2024-01-01", "soon", 3], Rule(kind=ColumnType.DATETIME)
    )
    assert [v is None for v in values] == [False, False, True, True]
    assert flags[2:] == [["wrong_type:features.f"], ["wrong_type:features.f"]]
    _, flags = _check([True, 1], Rule(kind=ColumnType.BOOLEAN))
    assert flags == [[], ["wrong_type:features.f"]]
    _, flags = _check(["some words", 5], Rule(kind=ColumnType.TEXT))
    assert flags == [[], ["wrong_type:features.f"]]


def test_kinds_inferred_from_the_first_value() -> None:
    assert infer_rule([MISSING, None, 3]) == Rule(kind=ColumnType.NUMERIC)
    assert infer_rule([True]) == Rule(kind=ColumnType.BOOLEAN)
    assert infer_rule(["x", 1]) == Rule(kind=ColumnType.CATEGORICAL)
    assert infer_rule([{"a": 1}]) is None
    assert infer_rule([None]) == Rule(kind=ColumnType.NUMERIC)
