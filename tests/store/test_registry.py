"""The registry over SQLite and PostgreSQL: registration, statuses, aliases and their history."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftpilot.errors import (
    ConflictError,
    InvalidParameterError,
    NotFoundError,
    PreconditionRequiredError,
    StaleRevisionError,
)
from driftpilot.lifecycle import (
    Artifact,
    Lineage,
    Registry,
    Signature,
    VersionMetrics,
    VersionStatus,
)
from driftpilot.store import Store, Task, create_engine

SHA = "ab" * 32


def _register(store: Store, version: str, model: str = "loans") -> None:
    store.registry.register_version(
        model, version,
        artifact=Artifact(uri=f"file:///a/{version}", flavor="sklearn", size=10, sha256=SHA),
        signature=Signature(inputs={"age": "float"}, outputs={"p": "float"}),
        lineage=Lineage(data_fingerprint="fp", data_start=1, data_end=2, code_version="c1",
                        parameters={"C": 1.0}, run_id="run-7"),
        metrics=VersionMetrics(validation={"auc": 0.8}), description="d", tags={"team": "a"},
        created_by="tests",
    )  # fmt: skip


@pytest.fixture
def registry(store: Store) -> Store:
    store.models.create_model("loans", Task.BINARY)
    return store


def test_the_store_implements_the_port(registry: Store) -> None:
    port: Registry = registry.registry
    assert port is registry.registry


def test_register_get_and_list(registry: Store) -> None:
    registry.models.create_version("loans", "seen-in-events")
    for v in ("1", "2", "3"):
        _register(registry, v)
    got = registry.registry.get_version("loans", "2")
    assert got.status is VersionStatus.REGISTERED
    assert got.revision == 1
    assert got.artifact is not None
    assert got.artifact.sha256 == SHA
    assert got.lineage.run_id == "run-7"
    assert got.lineage.parameters == {"C": 1.0}
    assert got.signature.inputs == {"age": "float"}
    assert got.metrics.validation == {"auc": 0.8}
    assert got.created_by == "tests"
    assert got.registered_at is not None
    with pytest.raises(ConflictError, match="registered already"):
        _register(registry, "2")
    first = registry.registry.list_versions("loans", limit=2)
    assert [v.version for v in first.items] == ["seen-in-events", "1"]
    assert first.items[0].status is None
    second = registry.registry.list_versions("loans", limit=2, cursor=first.next_cursor)
    assert [v.version for v in second.items] == ["2", "3"]
    assert second.next_cursor is None
    registered = registry.registry.list_versions("loans", status=VersionStatus.REGISTERED)
    assert [v.version for v in registered.items] == ["1", "2", "3"]
    with pytest.raises(InvalidParameterError, match="cursor"):
        registry.registry.list_versions("loans", cursor="nonsense!")
    with pytest.raises(NotFoundError):
        registry.registry.get_version("loans", "9")


def test_status_transitions_and_revisions(registry: Store) -> None:
    _register(registry, "1")
    done = registry.registry.set_status(
        "loans",
        "1",
        VersionStatus.VALIDATED,
        expected_revision=1,
        actor="ci",
        reason="gates passed",
    )
    assert done.status is VersionStatus.VALIDATED
    assert done.revision == 2
    with pytest.raises(StaleRevisionError) as stale:
        registry.registry.set_status(
            "loans", "1", VersionStatus.REJECTED, expected_revision=1, actor="ci", reason="late"
        )
    assert stale.value.details == {"expected": 1, "current": 2}
    with pytest.raises(ConflictError, match="cannot become registered"):
        registry.registry.set_status(
            "loans", "1", VersionStatus.REGISTERED, expected_revision=2, actor="ci", reason="back"
        )
    with_report = registry.registry.attach_report(
        "loans", "1", name="holdout", document={"auc": 0.81}, created_by="eval"
    )
    assert with_report.revision == 3
    assert [(r.name, r.document) for r in with_report.reports] == [("holdout", {"auc": 0.81})]
    registry.registry.move_alias(
        "loans", "champion", "1", expected_revision=None, actor="me", reason="first"
    )
    with pytest.raises(ConflictError, match="while alias champion points at it"):
        registry.registry.set_status(
            "loans", "1", VersionStatus.ARCHIVED, expected_revision=3, actor="me", reason="old"
        )


def test_alias_moves_are_recorded_and_rolled_back(registry: Store) -> None:
    for v in ("1", "2", "3"):
        _register(registry, v)
    reg = registry.registry
    first = reg.move_alias(
        "loans", "champion", "1", expected_revision=None, actor="me", reason="launch"
    )
    assert (first.version, first.previous, first.revision) == ("1", None, 1)
    with pytest.raises(PreconditionRequiredError, match="If-Match"):
        reg.move_alias("loans", "champion", "2", expected_revision=None, actor="me", reason="x")
    reg.move_alias("loans", "champion", "2", expected_revision=1, actor="me", reason="better")
    with pytest.raises(StaleRevisionError):
        reg.move_alias("loans", "champion", "3", expected_revision=1, actor="other", reason="x")
    back = reg.rollback_alias(
        "loans", "champion", expected_revision=2, actor="oncall", reason="errors up"
    )
    assert (back.version, back.previous, back.rollback) == ("1", "2", True)
    assert reg.get_alias("loans", "champion").version == "1"
    assert reg.get_version("loans", "1").aliases == ("champion",)
    removed = reg.move_alias(
        "loans", "champion", None, expected_revision=3, actor="me", reason="retire"
    )
    assert removed.version is None
    assert reg.list_aliases("loans") == []
    restored = reg.rollback_alias(
        "loans", "champion", expected_revision=4, actor="me", reason="oops"
    )
    assert restored.version == "1"
    history = reg.alias_history("loans", "champion")
    assert [m.revision for m in history] == [5, 4, 3, 2, 1]
    assert [(m.version, m.previous) for m in history][-2:] == [("2", "1"), ("1", None)]
    with pytest.raises(ConflictError, match="never pointed at version '3'"):
        reg.rollback_alias("loans", "champion", expected_revision=5, actor="me", reason="x", to="3")
    registry.registry.set_status("loans", "3", VersionStatus.REJECTED, expected_revision=1,
                                 actor="eval", reason="worse")  # fmt: skip
    with pytest.raises(ConflictError, match="is rejected"):
        reg.move_alias("loans", "challenger", "3", expected_revision=None, actor="me", reason="try")
    with pytest.raises(InvalidParameterError, match="'alias'"):
        reg.move_alias("loans", "Champion!", "1", expected_revision=None, actor="me", reason="x")
    with pytest.raises(InvalidParameterError, match="'reason'"):
        reg.move_alias("loans", "canary", "1", expected_revision=None, actor="me", reason=" ")


def test_concurrent_moves_from_one_revision_let_exactly_one_win(registry: Store) -> None:
    for v in ("1", "2", "3", "4", "5"):
        _register(registry, v)
    reg = registry.registry
    reg.move_alias("loans", "champion", "1", expected_revision=None, actor="me", reason="start")
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def move(version: str) -> None:
        barrier.wait()
        try:
            reg.move_alias(
                "loans", "champion", version, expected_revision=1, actor=version, reason="race"
            )
            outcomes.append("won")
        except StaleRevisionError:
            outcomes.append("stale")

    threads = [threading.Thread(target=move, args=(v,)) for v in ("2", "3", "4", "5")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stale", "stale", "stale", "won"]
    assert reg.get_alias("loans", "champion").revision == 2
    assert len(reg.alias_history("loans", "champion")) == 2


def test_concurrent_creation_of_a_new_alias_lets_exactly_one_win(registry: Store) -> None:
    for v in ("1", "2", "3"):
        _register(registry, v)
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def create(version: str) -> None:
        barrier.wait()
        try:
            registry.registry.move_alias(
                "loans", "canary", version, expected_revision=None, actor=version, reason="race"
            )
            outcomes.append("won")
        except (StaleRevisionError, PreconditionRequiredError):
            outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(v,)) for v in ("1", "2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "won"]


def test_deleting_the_model_removes_its_registry(registry: Store) -> None:
    _register(registry, "1")
    registry.registry.move_alias(
        "loans", "champion", "1", expected_revision=None, actor="me", reason="x"
    )
    registry.models.delete_model("loans", confirm="loans")
    registry.models.create_model("loans", Task.BINARY)
    with pytest.raises(NotFoundError):
        registry.registry.get_alias("loans", "champion")


_ALIASES = itertools.count()


@pytest.fixture
def sqlite_registry(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """One SQLite store for every example of a property (each example takes a new alias)."""
    target = tmp_path / "registry.db"
    target.write_bytes(sqlite_template.read_bytes())
    store = Store(create_engine(f"sqlite:///{target}"))
    store.models.create_model("loans", Task.BINARY)
    for v in ("1", "2", "3", "4"):
        _register(store, v)
    yield store
    store.close()


_STEP = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(["1", "2", "3", "4"])),
    st.tuples(st.just("remove"), st.none()),
    st.tuples(st.just("rollback"), st.none()),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, min_size=1, max_size=12))
def test_rollback_always_returns_the_previous_target(
    sqlite_registry: Store, steps: list[tuple[str, str | None]]
) -> None:
    """History is a chain (each move starts where the last ended) and rollback undoes one."""
    reg = sqlite_registry.registry
    alias = f"a{next(_ALIASES)}"
    pointing: str | None = None
    revision: int | None = None
    for action, version in steps:
        before = pointing
        try:
            if action == "set":
                move = reg.move_alias(
                    "loans", alias, version, expected_revision=revision, actor="h", reason="set"
                )
            elif action == "remove":
                move = reg.move_alias(
                    "loans", alias, None, expected_revision=revision, actor="h", reason="rm"
                )
            else:
                last = reg.alias_history("loans", alias, limit=1) if revision else []
                move = reg.rollback_alias(
                    "loans", alias, expected_revision=revision or 0, actor="h", reason="rb"
                )
                assert move.version == last[0].previous
        except ConflictError:
            continue  # a refused move (no-op, nothing to remove or roll back) changes nothing
        assert move.previous == before
        pointing, revision = move.version, move.revision
        assert reg.get_alias("loans", alias).version == pointing
    if revision:
        history = reg.alias_history("loans", alias, limit=1000)
        for newer, older in itertools.pairwise(history):
            assert newer.previous == older.version
            assert newer.revision == older.revision + 1
