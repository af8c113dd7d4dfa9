"""Monitors, runs, results and leases in the store.

Each test runs on SQLite and on PostgreSQL (``db_url``). Time is passed in through a fake
clock, never slept for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.monitor import CheckResult, MonitorReport, RunLog
from driftpilot.store import Store, create_engine, migrate
from driftpilot.store import _tables as t
from service_fixtures import _schema_url

HOUR = 3_600_000_000
T0 = 1_714_521_600_000_000  # 2024-05-01T00:00:00Z in microseconds
MONITOR_TABLES = {"dp_monitors", "dp_monitor_runs", "dp_check_results", "dp_monitor_leases"}


class Clock:
    """A settable clock in microseconds."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(db_url: str, clock: Clock) -> Iterator[Store]:
    """A store whose monitors and runs read ``clock``, with model ``loans`` and monitor ``m``."""
    opened = Store(create_engine(db_url), clock=clock)
    opened.models.create_model("loans", "binary")
    opened.monitors.put("m", model="loans", definition={"checks": []}, origin="api")
    yield opened
    opened.close()


def _report(
    *,
    monitor: str = "m",
    model: str = "loans",
    start: int = T0,
    end: int = T0 + HOUR,
    revision: int = 1,
    results: list[CheckResult] | None = None,
    n_labels: int = 0,
) -> MonitorReport:
    if results is None:
        results = [
            CheckResult(check="drift", kind="drift", metric="psi", feature="age", value=0.01),
            CheckResult(
                check="perf", kind="performance", metric="accuracy", value=0.9 - revision / 100,
                stderr=0.01, lower=0.8, severity="none", n=100, n_labels=n_labels,
            ),
        ]  # fmt: skip
    return MonitorReport(
        monitor=monitor, model=model, window_start=start, window_end=end,
        reference={"version": "1"}, revision=revision, evaluated_at=end + revision,
        n_events=100, n_labels=n_labels, results=results, notes=("a note",),
    )  # fmt: skip


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# -- migration -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (never migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base: str = request.getfixturevalue("pg_base")
    schema = f"dp_mon_{tmp_path.name[-20:].lower().replace('-', '_')}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield _schema_url(base, schema)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_monitor_migration_upgrades_downgrades_and_upgrades_again(fresh_url: str) -> None:
    store = Store(create_engine(fresh_url))
    try:
        migrate.upgrade(store.engine, "0001")
        assert not MONITOR_TABLES & set(sa.inspect(store.engine).get_table_names())
        store.models.create_model("loans", "binary")
        store.upgrade()
        assert store.is_current()
        store.monitors.put("m", model="loans", definition={}, origin="file")
        with store.engine.connect() as connection:
            command.downgrade(migrate._config(connection), "0001")
            connection.commit()
        assert not MONITOR_TABLES & set(sa.inspect(store.engine).get_table_names())
        assert [m.name for m in store.models.list_models()] == ["loans"]
        store.upgrade()
        with store.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": t.VERSION_TABLE}
            )
            differences = [
                d
                for d in compare_metadata(context, t.metadata)
                if getattr(d[1], "name", "") != t.VERSION_TABLE
            ]
        assert differences == []
        assert store.monitors.list_monitors() == []
    finally:
        store.close()


# -- monitor definitions ---------------------------------------------------------------------


def test_put_get_list_and_delete_monitors(timed: Store, clock: Clock) -> None:
    timed.models.create_model("churn", "regression")
    definition = {"window": "1h", "checks": [{"type": "drift", "alpha": 0.05}], "a": None}
    created = timed.monitors.put("drift", model="loans", definition=definition, origin="file")
    assert created.definition == definition
    assert (created.model, created.origin, created.created_at, created.updated_at) == (
        "loans", "file", T0, T0,
    )  # fmt: skip
    with timed.engine.connect() as connection:
        text = connection.execute(
            sa.select(t.monitors.c.definition).where(t.monitors.c.name == "drift")
        ).scalar_one()
    assert text == '{"a":null,"checks":[{"alpha":0.05,"type":"drift"}],"window":"1h"}'

    clock.now += 5
    replaced = timed.monitors.put("drift", model="loans", definition={"x": 1}, origin="api")
    assert (replaced.definition, replaced.origin) == ({"x": 1}, "api")
    assert (replaced.created_at, replaced.updated_at) == (T0, T0 + 5)
    assert timed.monitors.get("drift") == replaced

    timed.monitors.put("churn-perf", model="churn", definition={}, origin="api")
    assert [m.name for m in timed.monitors.list_monitors()] == ["churn-perf", "drift", "m"]
    assert [m.name for m in timed.monitors.list_monitors("loans")] == ["drift", "m"]
    assert [m.model for m in timed.monitors.list_monitors("churn")] == ["churn"]

    timed.monitors.delete("drift")
    with pytest.raises(NotFoundError, match="no monitor named 'drift'"):
        timed.monitors.get("drift")
    with pytest.raises(NotFoundError, match="no monitor named 'drift'"):
        timed.monitors.delete("drift")


def test_monitor_errors_name_the_field_and_value(timed: Store) -> None:
    timed.models.create_model("churn", "regression")
    with pytest.raises(ConflictError, match="'m' already exists for model 'loans'"):
        timed.monitors.put("m", model="churn", definition={}, origin="api")
    assert timed.monitors.get("m").model == "loans"
    with pytest.raises(NotFoundError, match="no model named 'nope'"):
        timed.monitors.put("x", model="nope", definition={}, origin="api")
    with pytest.raises(NotFoundError, match="no model named 'nope'"):
        timed.monitors.list_monitors("nope")
    with pytest.raises(InvalidParameterError, match=r"monitor name .* Got 'a b'"):
        timed.monitors.put("a b", model="loans", definition={}, origin="api")
    with pytest.raises(InvalidParameterError, match=r"'origin' .* Got 'cli'"):
        timed.monitors.put("x", model="loans", definition={}, origin="cli")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'definition' must be JSON data"):
        timed.monitors.put("x", model="loans", definition={"a": float("nan")}, origin="api")
    with pytest.raises(InvalidParameterError, match="'definition' must be a mapping"):
        timed.monitors.put("x", model="loans", definition=[1], origin="api")  # type: ignore[arg-type]
    assert [m.name for m in timed.monitors.list_monitors()] == ["m"]


# -- leases ----------------------------------------------------------------------------------


def test_lease_is_exclusive_until_it_expires(timed: Store, clock: Clock) -> None:
    runs = timed.runs
    window = ("m", T0, T0 + HOUR)
    assert runs.acquire(*window, owner="a", ttl_seconds=60)
    assert not runs.acquire(*window, owner="b", ttl_seconds=60)
    assert runs.acquire("m", T0 + HOUR, T0 + 2 * HOUR, owner="b", ttl_seconds=60)  # other window
    clock.now += 30_000_000
    assert runs.acquire(*window, owner="a", ttl_seconds=60)  # refreshed: now expires at +90 s
    clock.now = T0 + 60_000_001
    assert not runs.acquire(*window, owner="b", ttl_seconds=60)
    clock.now = T0 + 90_000_000
    assert not runs.acquire(*window, owner="b", ttl_seconds=60)  # expires_at == now: still held
    clock.now += 1
    assert runs.acquire(*window, owner="b", ttl_seconds=60)  # expired: taken over
    assert not runs.acquire(*window, owner="a", ttl_seconds=60)
    runs.release(*window, owner="a")  # not a's: nothing happens
    assert not runs.acquire(*window, owner="a", ttl_seconds=60)
    runs.release(*window, owner="b")
    assert runs.acquire(*window, owner="a", ttl_seconds=60)


def test_lease_goes_to_exactly_one_of_many_concurrent_owners(timed: Store) -> None:
    results: dict[str, bool] = {}
    barrier = threading.Barrier(6)

    def take(owner: str) -> None:
        barrier.wait()
        results[owner] = timed.runs.acquire("m", T0, T0 + HOUR, owner=owner, ttl_seconds=60)

    threads = [threading.Thread(target=take, args=(f"replica-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False] * 5 + [True]


def test_lease_arguments_are_checked(timed: Store) -> None:
    with pytest.raises(InvalidParameterError, match=r"'ttl_seconds' .* Got 0"):
        timed.runs.acquire("m", T0, T0 + HOUR, owner="a", ttl_seconds=0)
    with pytest.raises(InvalidParameterError, match=r"'owner' .* Got ''"):
        timed.runs.acquire("m", T0, T0 + HOUR, owner="", ttl_seconds=1)
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        timed.runs.acquire("nope", T0, T0 + HOUR, owner="a", ttl_seconds=1)
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        timed.runs.release("nope", T0, T0 + HOUR, owner="a")


# -- runs and results ------------------------------------------------------------------------


def test_run_repository_is_a_run_log(store: Store) -> None:
    log: RunLog = store.runs
    assert log is store.runs


def test_a_new_revision_supersedes_the_old_one(timed: Store) -> None:
    runs = timed.runs
    assert runs.latest("m", T0, T0 + HOUR) is None
    first = runs.record(_report(revision=1, n_labels=10))
    assert (first.revision, first.n_labels, first.severity) == (1, 10, "none")
    assert runs.latest("m", T0, T0 + HOUR) == first
    second = runs.record(_report(revision=2, n_labels=60))
    assert runs.latest("m", T0, T0 + HOUR) == second
    assert [r.revision for r in runs.revisions("m", T0, T0 + HOUR)] == [1, 2]
    points = runs.series("loans", metric="accuracy")
    assert [(p.revision, p.value, p.n_labels) for p in points] == [(2, pytest.approx(0.88), 60)]
    with timed.engine.connect() as connection:
        current = connection.execute(
            sa.select(t.check_results.c.revision, t.check_results.c.current).order_by(
                t.check_results.c.id
            )
        ).all()
    assert [tuple(row) for row in current] == [(1, False), (1, False), (2, True), (2, True)]

    with pytest.raises(ConflictError, match="already has revision 2 of the window"):
        runs.record(_report(revision=2))
    assert _count(timed, t.monitor_runs) == 2
    assert _count(timed, t.check_results) == 4

    late = runs.record(_report(revision=1, start=T0 + HOUR, end=T0 + 2 * HOUR))
    early = runs.record(_report(revision=3, start=T0 + 2 * HOUR, end=T0 + 3 * HOUR))
    stale = runs.record(_report(revision=2, start=T0 + 2 * HOUR, end=T0 + 3 * HOUR))
    assert runs.latest("m", T0 + 2 * HOUR, T0 + 3 * HOUR) == early  # recorded out of order
    assert stale.revision == 2
    assert [(p.window_start, p.revision) for p in runs.series("loans", metric="accuracy")] == [
        (T0, 2), (late.window_start, 1), (T0 + 2 * HOUR, 3),
    ]  # fmt: skip


def test_record_checks_the_report(timed: Store) -> None:
    timed.models.create_model("churn", "regression")
    with pytest.raises(InvalidParameterError, match=r"watches model 'loans'.* 'churn'"):
        timed.runs.record(_report(model="churn"))
    with pytest.raises(InvalidParameterError, match=r"'revision' must be 1 or more. Got 0"):
        timed.runs.record(_report(revision=0))
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        timed.runs.record(_report(monitor="nope"))
    assert _count(timed, t.monitor_runs) == 0


def test_report_round_trips(timed: Store) -> None:
    results = [
        CheckResult(
            check="drift", kind="drift", metric="psi", feature="age", segment="region=eu",
            value=float("nan"), stderr=None, lower=None, upper=0.2, p_value=0.01,
            severity="critical", n=50, reason="too few", details={"bins": [1, 2], "x": None},
        ),
        CheckResult(check="kpi", kind="kpi", metric="latency_p95", value=12.5, severity="warning"),
    ]  # fmt: skip
    report = _report(results=results)
    summary = timed.runs.record(report)
    assert summary.severity == "critical"
    assert timed.runs.report(summary.run_id).to_dict() == report.to_dict()
    with pytest.raises(NotFoundError, match="no monitor run with id 999"):
        timed.runs.report(999)
    (point,) = timed.runs.series(
        "loans", metric="psi", feature="age", segment="region=eu", check="drift"
    )
    assert (point.value, point.upper, point.severity, point.n) == (None, 0.2, "critical", 50)


def test_evaluated_and_runs_list_the_newest_revisions(timed: Store) -> None:
    runs = timed.runs
    for hour in range(4):
        runs.record(_report(start=T0 + hour * HOUR, end=T0 + (hour + 1) * HOUR))
    runs.record(_report(start=T0 + HOUR, end=T0 + 2 * HOUR, revision=2))
    since = runs.evaluated("m", since=T0 + 2 * HOUR)
    assert [(r.window_end, r.revision) for r in since] == [(T0 + 3 * HOUR, 1), (T0 + 4 * HOUR, 1)]
    every = runs.evaluated("m", since=0)
    assert [(r.window_start, r.revision) for r in every] == [
        (T0, 1), (T0 + HOUR, 2), (T0 + 2 * HOUR, 1), (T0 + 3 * HOUR, 1),
    ]  # fmt: skip
    assert all(r.monitor == "m" and r.model == "loans" for r in every)
    listed = runs.runs("m")
    assert [r.window_start for r in listed] == [T0 + h * HOUR for h in (3, 2, 1, 0)]
    assert [r.revision for r in listed] == [1, 1, 2, 1]
    assert [r.window_start for r in runs.runs("m", limit=2)] == [T0 + 3 * HOUR, T0 + 2 * HOUR]
    ranged = runs.runs("m", start=T0 + HOUR, end=T0 + 3 * HOUR, revisions=True)
    assert [(r.window_start, r.revision) for r in ranged] == [
        (T0 + 2 * HOUR, 1), (T0 + HOUR, 2), (T0 + HOUR, 1),
    ]  # fmt: skip
    with pytest.raises(InvalidParameterError, match=r"'limit' must be 1 or more. Got 0"):
        runs.runs("m", limit=0)
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        runs.evaluated("nope", since=0)


def test_series_filters_by_check_feature_segment_monitor_and_time(timed: Store) -> None:
    timed.monitors.put("other", model="loans", definition={}, origin="api")

    def result(check: str, feature: str | None, segment: str | None, value: float) -> CheckResult:
        return CheckResult(
            check=check, kind="drift", metric="psi", feature=feature, segment=segment, value=value
        )

    for hour in range(3):
        timed.runs.record(
            _report(
                start=T0 + hour * HOUR, end=T0 + (hour + 1) * HOUR,
                results=[
                    result("drift", "age", None, hour + 0.1),
                    result("drift", "income", None, hour + 0.2),
                    result("drift", "age", "region=eu", hour + 0.3),
                    result("drift", None, None, hour + 0.4),
                    result("drift2", "age", None, hour + 0.5),
                ],
            )
        )  # fmt: skip
    timed.runs.record(_report(monitor="other", results=[result("drift", "age", None, 9.0)]))

    def values(
        *,
        monitor: str | None = None,
        check: str | None = None,
        feature: str | None = None,
        segment: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> list[float | None]:
        points = timed.runs.series(
            "loans", metric="psi", monitor=monitor, check=check, feature=feature,
            segment=segment, start=start, end=end,
        )  # fmt: skip
        return [p.value for p in points]

    assert values(feature="age", check="drift", monitor="m") == [0.1, 1.1, 2.1]
    assert values(feature="age", check="drift") == [0.1, 9.0, 1.1, 2.1]
    assert values(feature="age", monitor="m") == [0.1, 0.5, 1.1, 1.5, 2.1, 2.5]
    assert values(feature="income") == [0.2, 1.2, 2.2]
    assert values(feature="age", segment="region=eu") == [0.3, 1.3, 2.3]
    assert values() == [0.4, 1.4, 2.4]  # model-wide: no feature, no segment
    assert values(feature="age", check="drift", monitor="m", start=T0 + HOUR) == [1.1, 2.1]
    assert values(feature="age", check="drift", monitor="m", end=T0 + HOUR) == [0.1]
    assert timed.runs.series("loans", metric="ks") == []
    points = timed.runs.series("loans", metric="psi", feature="age", check="drift", monitor="m")
    assert [(p.window_start, p.window_end) for p in points] == [
        (T0 + h * HOUR, T0 + (h + 1) * HOUR) for h in range(3)
    ]
    with pytest.raises(NotFoundError, match="no model named 'nope'"):
        timed.runs.series("nope", metric="psi")
    with pytest.raises(NotFoundError, match="no monitor named 'nope'"):
        timed.runs.series("loans", metric="psi", monitor="nope")


# -- deletion --------------------------------------------------------------------------------


def test_deleting_the_model_or_monitor_removes_runs_results_and_leases(timed: Store) -> None:
    timed.models.create_model("churn", "binary")
    timed.monitors.put("keep", model="churn", definition={}, origin="api")
    timed.monitors.put("gone", model="loans", definition={}, origin="api")
    for name, model in (("m", "loans"), ("keep", "churn"), ("gone", "loans")):
        timed.runs.record(_report(monitor=name, model=model))
        assert timed.runs.acquire(name, T0, T0 + HOUR, owner="a", ttl_seconds=60)
    tables = (t.monitors, t.monitor_runs, t.check_results, t.monitor_leases)
    assert [_count(timed, table) for table in tables] == [3, 3, 6, 3]
    timed.monitors.delete("gone")
    assert [_count(timed, table) for table in tables] == [2, 2, 4, 2]
    timed.models.delete_model("loans", confirm="loans")
    assert [_count(timed, table) for table in tables] == [1, 1, 2, 1]
    assert [m.name for m in timed.monitors.list_monitors()] == ["keep"]
    assert timed.runs.latest("keep", T0, T0 + HOUR) is not None
