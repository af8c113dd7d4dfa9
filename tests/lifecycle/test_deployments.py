"""The deployment state machine: its invariants under any sequence of transitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle import (
    AddShadow,
    Canary,
    Deployment,
    DeploymentTransitionError,
    PromoteCanary,
    RemoveShadow,
    Rollback,
    RoutingKey,
    SetChampion,
    SetRouting,
    SetWeight,
    StartCanary,
    StopCanary,
    Transition,
    apply,
    empty_deployment,
)

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
VERSIONS = st.sampled_from(["v1", "v2", "v3", "v4"])
WEIGHTS = st.floats(min_value=0, max_value=100, allow_nan=False)
KEYS = st.sampled_from(
    [RoutingKey(), RoutingKey(kind="feature", name="user"), RoutingKey(kind="header", name="x-u")]
)
TRANSITIONS: st.SearchStrategy[Transition] = st.one_of(
    st.builds(SetChampion, version=VERSIONS),
    st.builds(StartCanary, version=VERSIONS, weight=WEIGHTS, owner=st.sampled_from(["r-1", "ana"])),
    st.builds(SetWeight, weight=WEIGHTS),
    st.just(StopCanary()),
    st.just(PromoteCanary()),
    st.builds(AddShadow, version=VERSIONS),
    st.builds(RemoveShadow, version=VERSIONS),
    st.builds(Rollback, to=st.none() | VERSIONS),
    st.builds(SetRouting, routing_key=KEYS, sticky=st.booleans()),
)


def step(state: Deployment, transition: Transition) -> Deployment:
    return apply(state, transition, actor="tests", reason="because", now=NOW)[0]


def assert_invariants(state: Deployment) -> None:
    serving = state.versions()
    assert len(set(serving)) == len(serving)
    if state.champion is None:
        assert state.canary is None
        assert state.shadows == ()
    if state.canary is not None:
        assert state.canary.owner
        assert 0 <= state.canary.weight <= 100


@settings(max_examples=300)
@given(st.lists(TRANSITIONS, max_size=30))
def test_any_sequence_of_transitions_keeps_the_invariants(transitions: list[Transition]) -> None:
    state = empty_deployment("m")
    for transition in transitions:
        try:
            after, change = apply(state, transition, actor="policy", reason="r", now=NOW)
        except DeploymentTransitionError:
            assert not isinstance(transition, Rollback), "a rollback is always allowed"
            continue
        assert after.revision == state.revision + 1
        assert change.revision == after.revision
        assert change.state == after
        assert change.action == transition.action
        assert Deployment.from_dict(after.to_dict()) == after
        assert_invariants(after)
        if isinstance(transition, SetRouting) and state.canary is not None:
            assert (after.routing_key, after.sticky) == (state.routing_key, state.sticky)
        state = after


@given(st.lists(TRANSITIONS, max_size=20), st.none() | VERSIONS)
def test_a_rollback_is_allowed_from_every_reachable_state(
    transitions: list[Transition], to: str | None
) -> None:
    state = empty_deployment("m")
    for transition in transitions:
        try:
            state = step(state, transition)
        except DeploymentTransitionError:
            continue
    after = step(state, Rollback(to=to))
    assert after.canary is None
    if to is not None:
        assert after.champion == to


def test_promote_then_rollback_restores_the_champion() -> None:
    state = step(empty_deployment("m"), SetChampion(version="v1"))
    state = step(state, StartCanary(version="v2", weight=5, owner="rollout-7"))
    state = step(state, SetWeight(weight=50))
    assert state.canary == Canary(version="v2", weight=50.0, owner="rollout-7")
    state = step(state, PromoteCanary())
    assert (state.champion, state.canary, state.previous_champion) == ("v2", None, "v1")
    state = step(state, Rollback())
    assert (state.champion, state.previous_champion) == ("v1", "v2")
    assert state.revision == 5


def test_a_canary_needs_an_owner_and_a_champion() -> None:
    with pytest.raises(DeploymentTransitionError, match="no champion"):
        step(empty_deployment("m"), StartCanary(version="v2", weight=5, owner="r"))
    state = step(empty_deployment("m"), SetChampion(version="v1"))
    with pytest.raises(InvalidParameterError, match="'canary owner'"):
        step(state, StartCanary(version="v2", weight=5, owner=" "))
    with pytest.raises(
        InvalidParameterError, match=r"in \[0, 100\] \(percent of traffic\). Got 101 instead"
    ):
        step(state, StartCanary(version="v2", weight=101, owner="r"))
    state = step(state, StartCanary(version="v2", weight=5, owner="r"))
    with pytest.raises(DeploymentTransitionError, match="already running"):
        step(state, StartCanary(version="v3", weight=5, owner="r"))
    with pytest.raises(DeploymentTransitionError, match="promote or stop it"):
        step(state, SetChampion(version="v3"))
    with pytest.raises(InvalidParameterError, match="Got nan instead"):
        step(state, SetWeight(weight=float("nan")))


def test_a_shadow_becomes_the_canary_and_the_change_records_who_and_why() -> None:
    state = step(empty_deployment("m"), SetChampion(version="v1"))
    state = step(state, AddShadow(version="v2"))
    with pytest.raises(DeploymentTransitionError, match="already serves or shadows"):
        step(state, AddShadow(version="v1"))
    after, change = apply(
        state, StartCanary(version="v2", weight=10, owner="r-1"), actor="ana", reason="ramp",
        now=NOW,
    )  # fmt: skip
    assert after.shadows == ()
    assert change.to_dict()["params"] == {"version": "v2", "weight": 10, "owner": "r-1"}
    assert (change.actor, change.reason, change.at) == ("ana", "ramp", NOW)
    with pytest.raises(InvalidParameterError, match="'reason'"):
        apply(state, StopCanary(), actor="ana", reason="", now=NOW)
    with pytest.raises(InvalidParameterError, match="timezone-aware"):
        apply(state, StopCanary(), actor="ana", reason="x", now=datetime(2026, 1, 1))


def test_routing_key_is_validated() -> None:
    with pytest.raises(InvalidParameterError, match="'kind' must be one of"):
        RoutingKey(kind="cookie", name="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="feature name of the routing key"):
        RoutingKey(kind="feature")
    with pytest.raises(InvalidParameterError, match="takes no 'name'"):
        RoutingKey(kind="request_id", name="x")
