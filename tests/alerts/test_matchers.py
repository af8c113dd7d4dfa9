"""Route and silence matchers: ``~regex`` in RE2, linear time; what RE2 refuses is refused early."""

from __future__ import annotations

import pytest

from driftpilot.alerts._matchers import MAX_PATTERN_LENGTH, check_matchers, matches
from driftpilot.alerts.config import AlertingConfig
from driftpilot.errors import InvalidParameterError
from driftpilot.store.alerts import Silence

# Python's re needs about 2**n steps for (a+)+$ against n a's and a b: 2**100000 never ends.
_LONG_NO_MATCH = "a" * 100_000 + "b"


def test_a_catastrophic_pattern_against_a_long_non_matching_value_completes() -> None:
    assert matches({"team": "~(a+)+$"}, {"team": _LONG_NO_MATCH}) is False
    assert matches({"team": "~(a+)+$"}, {"team": "a" * 100_000}) is True
    silence = Silence(id=1, matchers={"team": "~(a+)+$"}, starts_at=0, ends_at=10,
                      created_by=None, comment=None, created_at=0)  # fmt: skip
    assert silence.matches({"team": _LONG_NO_MATCH}, at=5) is False


def test_equality_full_match_and_missing_labels() -> None:
    assert matches({"model": "loans", "tier": "~crit.*"}, {"model": "loans", "tier": "critical"})
    assert not matches({"tier": "~crit"}, {"tier": "critical"})  # full match, not search
    assert not matches({"tier": "critical"}, {"model": "loans"})


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("(a)\\1", "backreferences"), ("(?=a)a", "lookaround"), ("(", "missing")],
)
def test_patterns_re2_refuses_are_refused_naming_the_matcher(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"'team'.*{reason}"):
        check_matchers({"team": "~" + pattern})


def test_overlong_patterns_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="at most 1,000"):
        check_matchers({"team": "~" + "a" * (MAX_PATTERN_LENGTH + 1)})


def test_a_stored_pattern_re2_refuses_matches_nothing_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert matches({"team": "~(a)\\1"}, {"team": "aa"}) is False
    assert "matches nothing" in caplog.text


def test_routes_use_the_same_matchers() -> None:
    with pytest.raises(ValueError, match="backreferences"):
        AlertingConfig.model_validate(
            {
                "channels": {"x": {"type": "webhook"}},
                "routes": [{"match": {"team": "~(a)\\1"}, "channels": ["x"]}],
            }
        )
    config = AlertingConfig.model_validate(
        {"routes": [{"match": {"team": "~(a+)+$"}, "channels": ["x"]}]}
    )
    assert config.channels_for({"team": _LONG_NO_MATCH}) == []
