"""Reading the positive class, positive-class scores and top scores out of logged events
(``driftpilot.monitor._outputs``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from driftpilot.monitor._outputs import is_positive, positive_scores, score_values, top_scores


@pytest.mark.parametrize("positive", [1, "1", True, "true", "True"])
def test_one_true_and_their_spellings_are_the_same_positive_class(positive: object) -> None:
    values = [1, "1", True, "true", "TRUE", "1.0", 1.0, 0, "0", False, None, "yes", 2]
    expected = [True] * 7 + [False] * 6
    assert is_positive(values, positive).tolist() == expected


def test_a_named_positive_class_matches_case_insensitively_and_nothing_else() -> None:
    values = ["default", "Default", "repaid", 1, True, None]
    assert is_positive(values, "default").tolist() == [True, True, False, False, False, False]


def test_is_positive_of_nothing() -> None:
    found = is_positive([], 1)
    assert found.dtype == np.bool_
    assert found.shape == (0,)


def _scores(scores: list[Any], predictions: list[Any], **options: Any) -> list[float]:
    options.setdefault("name", None)
    options.setdefault("positive", 1)
    return positive_scores(scores, predictions, **options).tolist()  # type: ignore[no-any-return]


def test_positive_scores_from_mappings() -> None:
    scores = [{"default": 0.83}, {"0": 0.3, "1": 0.7}, {"a": 0.2, "b": 0.8}]
    assert _scores(scores, [1, 1, 0]) == [0.83, 0.7, 0.0]  # no key "1" in the third: prediction
    assert _scores(scores, [0, 0, 1], name="b") == [0.0, 0.0, 0.8]
    assert _scores([{"yes": 0.6, "no": 0.4}], [0], positive="yes") == [0.6]


def test_positive_scores_from_lists_and_numbers() -> None:
    assert _scores([[0.3, 0.7], [0.9, 0.1]], [1, 0]) == [0.7, 0.1]
    assert _scores([[0.2, 0.3, 0.5]], [1]) == [1.0]  # three classes: not a binary pair
    assert _scores([0.25, 1, 0], [1, 0, 1]) == [0.25, 1.0, 0.0]


def test_events_without_a_score_fall_back_to_the_prediction() -> None:
    assert _scores([None, None, None], [1, 0, "1"]) == [1.0, 0.0, 1.0]
    assert _scores(["0.7", True, {"1": "high"}], [0, 1, 1]) == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan, {"1": 2.0}, [0.5, -3.0]])
def test_out_of_range_scores_fall_back_to_the_prediction(bad: Any) -> None:
    assert _scores([bad, bad], [1, 0]) == [1.0, 0.0]


def test_positive_scores_are_float64_one_per_event() -> None:
    found = positive_scores([0.5, None], [1, 1], name=None, positive=1)
    assert found.dtype == np.float64
    assert found.shape == (2,)


def test_top_scores() -> None:
    found = top_scores([
        {"a": 0.2, "b": 0.7, "c": 0.1}, [0.4, 0.6], 0.3, {"default": 0.83}, {"default": 0.2},
        [0.9], None, "0.9", [], {"a": "x"},
    ])  # fmt: skip
    assert found[:6].tolist() == pytest.approx([0.7, 0.6, 0.7, 0.83, 0.8, 0.9])
    assert np.isnan(found[6:]).all()
    assert found.dtype == np.float64


def test_top_scores_of_nothing() -> None:
    assert top_scores([]).shape == (0,)


def test_score_values_are_nan_where_a_score_is_invalid() -> None:
    found = score_values(
        [{"1": 0.7}, None, "0.7", 1.5, -0.1, math.nan, {"1": True}, [0.4, 0.6], {"a": 0.2}, 0.0],
        name=None, positive=1,
    )  # fmt: skip
    assert found[[0, 7, 9]].tolist() == [0.7, 0.6, 0.0]
    assert np.isnan(found[[1, 2, 3, 4, 5, 6]]).all()
    assert found[8] == 0.2  # a single score is the positive class's
