"""Deployment state in the store: optimistic concurrency, version checks, the history."""

from __future__ import annotations

import threading

import pytest

from driftpilot.errors import ConflictError, NotFoundError
from driftpilot.lifecycle import (
    DeploymentTransitionError,
    PromoteCanary,
    Rollback,
    SetChampion,
    SetWeight,
    StartCanary,
)
from driftpilot.store import Store


def _model(store: Store) -> None:
    store.models.create_model("churn", "binary")
    for version in ("1", "2", "3"):
        store.models.create_version("churn", version)


def test_changes_are_checked_recorded_and_conflict_when_stale(store: Store) -> None:
    _model(store)
    assert store.deployments.get("churn").revision == 0
    state, _ = store.deployments.change(
        "churn", SetChampion(version="1"), actor="ana", reason="first", expected_revision=0
    )
    assert (state.champion, state.revision) == ("1", 1)
    with pytest.raises(ConflictError, match="at revision 1, not 0"):
        store.deployments.change(
            "churn", SetChampion(version="2"), actor="bob", reason="x", expected_revision=0
        )
    with pytest.raises(NotFoundError, match="no version '9'"):
        store.deployments.change("churn", StartCanary(version="9", weight=5, owner="r"),
                                 actor="ana", reason="x")  # fmt: skip
    with pytest.raises(DeploymentTransitionError, match="no canary"):
        store.deployments.change("churn", SetWeight(weight=5), actor="ana", reason="x")
    store.deployments.change("churn", StartCanary(version="2", weight=5, owner="rollout-1"),
                             actor="policy", reason="ramp")  # fmt: skip
    store.deployments.change("churn", PromoteCanary(), actor="policy", reason="healthy")
    state, _ = store.deployments.change("churn", Rollback(), actor="ana", reason="alert")
    assert (state.champion, state.revision) == ("1", 4)
    assert store.deployments.get("churn") == state
    assert store.deployments.revision("churn") == 4
    history = store.deployments.history("churn")
    assert [(c.revision, c.action, c.actor) for c in history] == [
        (4, "rollback", "ana"), (3, "promote_canary", "policy"), (2, "start_canary", "policy"),
        (1, "set_champion", "ana"),
    ]  # fmt: skip
    assert history[2].params == {"version": "2", "weight": 5, "owner": "rollout-1"}
    assert history[1].state.champion == "2"
    assert [c.revision for c in store.deployments.history("churn", limit=2, before=4)] == [3, 2]
    with pytest.raises(NotFoundError, match="no model named 'nope'"):
        store.deployments.get("nope")


def test_concurrent_writers_at_one_revision_one_wins(store: Store) -> None:
    _model(store)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def write(version: str) -> None:
        barrier.wait()
        try:
            store.deployments.change("churn", SetChampion(version=version), actor=version,
                                     reason="race", expected_revision=0)  # fmt: skip
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=write, args=(v,)) for v in ("1", "2", "3", "1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert [c.revision for c in store.deployments.history("churn")] == [1]
