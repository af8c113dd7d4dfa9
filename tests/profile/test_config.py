"""ProfileConfig: validation messages and the saved form."""

from __future__ import annotations

import pytest

from driftpilot.errors import InvalidParameterError, ProfileFormatError
from driftpilot.profile import ProfileConfig
from driftpilot.profile.config import frequent_items_lg_max_k


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bins", 0, "'bins' parameter of ProfileConfig must be an integer >= 1. Got 0"),
        ("bins", 2.5, "'bins'.*Got 2.5"),
        ("category_cap", True, "'category_cap'.*Got True"),
        ("kll_k", 4, r"'kll_k'.*in \[8, 65535\]. Got 4"),
        ("kll_k", 70_000, "'kll_k'.*Got 70000"),
        ("histograms", "yes", "'histograms'.*True or False. Got 'yes'"),
    ],
)
def test_invalid_values_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        ProfileConfig(**{field: value})  # type: ignore[arg-type]


def test_dict_round_trip_and_checks() -> None:
    config = ProfileConfig(bins=7, category_cap=50, kll_k=64, histograms=False)
    assert ProfileConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ProfileFormatError, match="'bins'"):
        ProfileConfig.from_dict(config.to_dict() | {"bins": "7"})
    with pytest.raises(ProfileFormatError, match="kll_k"):
        ProfileConfig.from_dict(config.to_dict() | {"kll_k": 3})


def test_differences_are_described() -> None:
    a, b = ProfileConfig(), ProfileConfig(bins=20, kll_k=100)
    assert a.describe_difference(b) == "bins=10 vs 20, kll_k=200 vs 100"


def test_frequent_items_map_tracks_four_times_the_cap() -> None:
    for cap in (1, 2, 100, 10_000, 123_456):
        lg = frequent_items_lg_max_k(cap)
        assert 0.75 * 2**lg >= 4 * cap
        assert lg == 3 or 0.75 * 2 ** (lg - 1) < 4 * cap
    assert frequent_items_lg_max_k(10_000) == 16
