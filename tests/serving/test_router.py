"""The router: hot swaps under concurrent requests, shadows off the request path, cohorts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle import (
    AddShadow,
    PromoteCanary,
    Rollback,
    RoutingKey,
    SetChampion,
    SetRouting,
    SetWeight,
    StartCanary,
)
from driftpilot.serving import NotServingError, Router, StoreDeploymentSource
from driftpilot.store import Store, create_engine
from serving.sklearn_models import GatedPredictor, load, trained

ROWS = [{"x1": i / 10, "x2": -i / 7, "x3": (i % 5) - 2.0, "user": f"u{i}"} for i in range(50)]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(create_engine(f"sqlite:///{tmp_path / 'driftpilot.db'}"))
    store.upgrade()
    store.models.create_model("churn", "binary")
    for version in ("1", "2", "3", "4"):
        store.models.create_version("churn", version)
    yield store
    store.close()


def change(store: Store, *transitions: object) -> None:
    for transition in transitions:
        store.deployments.change("churn", transition, actor="tests", reason="test")  # type: ignore[arg-type]


def test_nothing_deployed_is_not_serving_then_the_champion_answers(sqlite_store: Store) -> None:
    router = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), load)
    router.refresh()
    with pytest.raises(NotServingError, match="no champion"):
        router.predict(ROWS[:1])
    change(sqlite_store, SetChampion(version="1"))
    assert router.refresh()
    assert not router.refresh()  # unchanged revision: nothing loaded, nothing swapped
    answers = router.predict(ROWS)
    expected = load("churn", "1").predict(ROWS)
    assert [a.prediction for a in answers] == expected
    assert {(a.model_version, a.cohort) for a in answers} == {("1", "champion")}
    with pytest.raises(InvalidParameterError, match="one id per row"):
        router.predict(ROWS, event_ids=["a"])
    router.close()


def test_feature_key_splits_rows_and_each_row_gets_its_versions_answer(sqlite_store: Store) -> None:
    change(sqlite_store, SetChampion(version="1"),
           SetRouting(routing_key=RoutingKey(kind="feature", name="user")),
           StartCanary(version="2", weight=50, owner="rollout-1"))  # fmt: skip
    router = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), load)
    router.refresh()
    answers = router.predict(ROWS)
    by_version = {"1": load("churn", "1"), "2": load("churn", "2")}
    for row, answer in zip(ROWS, answers, strict=True):
        assert answer.cohort == router.cohort_of(row["user"])
        assert answer.model_version == ("2" if answer.cohort == "canary" else "1")
        assert answer.prediction == by_version[answer.model_version].predict([row])[0]
    assert {a.cohort for a in answers} == {"champion", "canary"}
    unkeyed = router.predict([{k: v for k, v in ROWS[0].items() if k != "user"}])
    assert unkeyed[0].cohort == "champion"
    stats = router.stats()
    assert stats.unkeyed == 1
    assert stats.rows["champion"] + stats.rows["canary"] == len(ROWS) + 1
    router.close()


def test_concurrent_requests_during_hot_swaps_never_fail(sqlite_store: Store) -> None:
    change(sqlite_store, SetChampion(version="1"))
    loaded = threading.Event()

    def slow_load(model: str, version: str) -> object:
        loaded.wait(0.05)  # a load takes a while: requests keep arriving meanwhile
        return load(model, version)

    router = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), slow_load)  # type: ignore[arg-type]
    router.refresh()
    stop = threading.Event()
    failures: list[BaseException] = []
    served: list[set[str]] = []

    def hammer() -> None:
        versions: set[str] = set()
        while not stop.is_set():
            try:
                for answer in router.predict(ROWS[:5], request_id=None):
                    versions.add(answer.model_version)
            except BaseException as err:
                failures.append(err)
        served.append(versions)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    steps = [
        StartCanary(version="2", weight=10, owner="r"), SetWeight(weight=60), PromoteCanary(),
        AddShadow(version="3"), StartCanary(version="4", weight=50, owner="r"), Rollback(),
        Rollback(), SetChampion(version="3"),
    ]  # fmt: skip
    for step in steps:
        change(sqlite_store, step)
        assert router.refresh()
    stop.set()
    for thread in threads:
        thread.join()
    router.wait_for_shadows()
    assert failures == []
    assert set().union(*served) <= {"1", "2", "3", "4"}
    assert router.stats().swaps == len(steps) + 1
    assert router.stats().requests > 0
    router.close()


def test_a_failed_load_keeps_the_old_deployment_and_is_counted(sqlite_store: Store) -> None:
    change(sqlite_store, SetChampion(version="1"))

    def picky(model: str, version: str) -> object:
        if version == "2":
            raise OSError("artifact store unreachable")
        return load(model, version)

    router = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), picky)  # type: ignore[arg-type]
    router.refresh()
    change(sqlite_store, StartCanary(version="2", weight=100, owner="r"))
    assert not router.refresh()
    assert {a.model_version for a in router.predict(ROWS)} == {"1"}
    stats = router.stats()
    assert (stats.load_errors, stats.revision) == (1, 1)
    assert "artifact store unreachable" in (stats.last_error or "")
    router.close()


def test_shadow_overflow_is_counted_and_never_changes_the_response(sqlite_store: Store) -> None:
    change(sqlite_store, SetChampion(version="1"), AddShadow(version="2"))
    gate = threading.Event()

    def gated(model: str, version: str) -> object:
        return GatedPredictor(trained(version), gate) if version == "2" else load(model, version)

    router = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), gated,  # type: ignore[arg-type]
                    shadow_queue=2)  # fmt: skip
    router.refresh()
    expected = load("churn", "1").predict(ROWS)
    for _ in range(10):  # the shadow is stuck: one job taken, two queued, seven dropped
        answers = router.predict(ROWS)
        assert [a.prediction for a in answers] == expected
        assert {a.cohort for a in answers} == {"champion"}
    stats = router.stats()
    assert stats.shadow_enqueued + stats.shadow_dropped == 10
    assert stats.shadow_dropped >= 7
    gate.set()
    router.wait_for_shadows()
    router.close()
