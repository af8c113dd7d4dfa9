"""The rollback rule as a pure function: always the previous target, or a clear refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import ConflictError
from driftpilot.lifecycle import TRANSITIONS, AliasMove, VersionStatus, rollback_target


def _chain(targets: list[str | None]) -> list[AliasMove]:
    """Moves through ``targets`` in order, newest first, each starting where the last ended."""
    moves, previous = [], None
    for revision, version in enumerate(targets, start=1):
        moves.append(AliasMove(id=revision, model="m", alias="champion", version=version,
                               previous=previous, actor="t", reason="r", revision=revision,
                               rollback=False, moved_at=revision))  # fmt: skip
        previous = version
    return moves[::-1]


@given(st.lists(st.sampled_from(["1", "2", "3", None]), min_size=2, max_size=20))
def test_rollback_returns_the_target_before_the_newest_move(targets: list[str | None]) -> None:
    history = _chain(targets)
    if targets[-2] is None:
        with pytest.raises(ConflictError, match="nothing to roll back to"):
            rollback_target("m", "champion", history)
    else:
        assert rollback_target("m", "champion", history) == targets[-2]


@given(st.lists(st.sampled_from(["1", "2", "3", "4"]), min_size=1, max_size=10),
       st.sampled_from(["1", "2", "3", "4", "5"]))  # fmt: skip
def test_rollback_to_a_named_version_needs_it_in_the_history(targets: list[str], to: str) -> None:
    history = _chain(list(targets))
    if to == targets[-1]:
        with pytest.raises(ConflictError, match="already points"):
            rollback_target("m", "champion", history, to=to)
    elif to in targets:
        assert rollback_target("m", "champion", history, to=to) == to
    else:
        with pytest.raises(ConflictError, match="never pointed at"):
            rollback_target("m", "champion", history, to=to)


def test_a_never_set_alias_has_nothing_to_roll_back() -> None:
    with pytest.raises(ConflictError, match="never set"):
        rollback_target("m", "champion", [])


def test_archived_is_final_and_every_status_reaches_it_or_is_it() -> None:
    assert TRANSITIONS[VersionStatus.ARCHIVED] == frozenset()
    for status, targets in TRANSITIONS.items():
        assert status not in targets
        assert status is VersionStatus.ARCHIVED or VersionStatus.ARCHIVED in targets
