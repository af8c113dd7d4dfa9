"""Upgrading keeps every row readable: a database at each past revision, filled, then upgraded.

For every revision of the shipped migrations (read from Alembic's script directory, so a new
migration is covered the day it is added), on SQLite and PostgreSQL: migrate an empty database
to that revision, fill it with the reference rows its schema holds (``upgrade_data``: plain
``INSERT``/``UPDATE`` naming that revision's columns), start a real ``driftpilot serve`` on it
(which upgrades it to the newest revision), and check

* the rows: every filled column of every filled table reads back as it was written;
* every GET route of the service: below 500, and the answer equal to what the same route
  answers on the reference database, built at the newest revision by the service itself (the
  few differences an older schema implies are listed in ``_expected``);
* the store's repositories: the same records as on the reference database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families

from driftpilot.store import Store, create_engine, migrate
from driftpilot.store._tables import VERSION_TABLE
from server.server_process import Server
from service_fixtures import empty_database
from store.upgrade_data import (
    FILLS,
    REPORT_SECRET,
    Answers,
    Reference,
    answers_of,
    build_reference,
    expected_answers,
    get_answers,
    read_rows,
    routes,
    store_reads,
)
from store.upgrade_data import fill as fill_rows

pytestmark = pytest.mark.slow


def _revisions() -> list[tuple[str, str]]:
    """Every migration revision, oldest first, with its file name."""
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    found = [(r.revision, Path(r.path).name) for r in script.walk_revisions()]
    return found[::-1]


REVISIONS = _revisions()
Expected = Callable[[str], Answers]
ORDER = [revision for revision, _ in REVISIONS]
#: Metrics computed from the database (the rest count this process's own work).
STORE_METRICS = (
    "driftpilot_metrics_store_up", "driftpilot_alerts_firing", "driftpilot_feature_drift_score",
    "driftpilot_feature_psi", "driftpilot_drift_detected", "driftpilot_missing_ratio",
    "driftpilot_data_quality_value", "driftpilot_model_performance",
    "driftpilot_estimated_performance", "driftpilot_check_severity", "driftpilot_check_status",
    "driftpilot_check_judged_window_end_timestamp_seconds",
    "driftpilot_monitor_last_window_end_timestamp_seconds",
)  # fmt: skip


def _no_fill_message(revision: str, path: str) -> str:
    return (
        f"Migration {revision} ({path}) has no data-filling step: add FILLS[{revision!r}] in "
        "tests/store/upgrade_data.py, naming each table it creates (or the columns it adds) "
        "with the columns its schema holds, and make build_reference write such rows, so that "
        "upgrading a database with data at this revision is tested."
    )


def test_every_migration_revision_has_a_data_filling_step() -> None:
    missing = [_no_fill_message(r, p) for r, p in REVISIONS if r not in FILLS]
    assert not missing, "\n".join(missing)
    unknown = sorted(set(FILLS) - set(ORDER))
    assert not unknown, f"FILLS names revisions that no migration has: {unknown}"
    assert ORDER[-1] == migrate.head_revision()


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The reference database; its copy through every fill answers exactly as it does."""
    ref = build_reference(tmp_path_factory.mktemp("reference"))
    answers = answers_of(ref.url, tmp_path_factory.mktemp("reference-answers"), ref)
    refused = {r: a for r, a in answers.routes.items() if a[0] != 200}
    assert not refused, refused
    copy = expected_answers(ref, ORDER, tmp_path_factory.mktemp("copy"))
    for route, (status, body) in answers.routes.items():
        _compare(ORDER[-1], route, copy.routes[route], (status, body))
    assert copy.reads == answers.reads
    return ref


@pytest.fixture(scope="session")
def expected(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Expected:
    """What a database holding the rows of each revision answers, never migrated."""
    cache: dict[str, Answers] = {}

    def at(revision: str) -> Answers:
        if revision not in cache:
            upto = ORDER[: ORDER.index(revision) + 1]
            folder = tmp_path_factory.mktemp(f"expected-{revision}")
            cache[revision] = expected_answers(reference, upto, folder, derived=_derived(revision))
        return cache[revision]

    return at


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, reference: Reference) -> None:
    """No background work in the served process: what it answers is what is stored.

    The served process reads the reference's artifact store: an upgrade moves no file.
    """
    for name, value in {
        "DRIFTPILOT_MONITOR_TICK_SECONDS": "0", "DRIFTPILOT_DISPATCH_SECONDS": "0",
        "DRIFTPILOT_REPORT_SECRET": REPORT_SECRET,
        "DRIFTPILOT_ARTIFACTS": str(reference.artifacts),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def _before(revision: str, than: str) -> bool:
    return ORDER.index(revision) < ORDER.index(than)


def _derived(revision: str) -> tuple[str, ...]:
    """Tables a later migration fills from the rows of a database at ``revision``."""
    if not _before(revision, "0002") and _before(revision, "0008"):
        return ("dp_check_states",)  # 0008: each check's newest status, from its results
    return ()


def _store_metrics(text: str) -> list[tuple[str, tuple[Any, ...], float]]:
    samples = [
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(text)
        if family.name in STORE_METRICS
        for s in family.samples
    ]
    return sorted(samples)


def _without_sketches(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_sketches(v) for k, v in value.items() if k != "kll"}
    if isinstance(value, list):
        return [_without_sketches(v) for v in value]
    return value


def _sketches(value: Any, where: str = "") -> list[str]:
    """Where a window profile holds a KLL sketch (compared by place, not by bytes)."""
    if isinstance(value, dict):
        found = [f"{where}.kll"] if isinstance(value.get("kll"), str) and value["kll"] else []
        return found + [p for k, v in value.items() for p in _sketches(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _sketches(v, f"{where}[{i}]")]
    return []


def _compare(revision: str, route: str, got: tuple[int, Any], expected: tuple[int, Any]) -> None:
    """``got`` (status, answer) of ``route`` after an upgrade from ``revision``, as expected."""
    assert got[0] < 500, f"{route}: {got}"
    assert got[0] == expected[0], f"{route}: {got} where {expected} was expected"
    if route in ("/healthz", "/readyz") or got[0] != 200:
        assert got == expected, route
        return
    if route == "/metrics":
        assert _store_metrics(got[1]) == _store_metrics(expected[1]), route
        return
    if route == "/v1/models/{model}/profile":
        # A KLL sketch's merge draws random bits: the same partials merged twice give two
        # sketches of the same items. Everything else of a window profile is exact.
        assert _sketches(got[1]) == _sketches(expected[1]), route
        got, expected = (got[0], _without_sketches(got[1])), (200, _without_sketches(expected[1]))
    assert got[1] == expected[1], (
        f"{route}: {json.dumps(got[1])[:400]} != {json.dumps(expected[1])[:400]}"
    )


def _check_rows(engine: sa.Engine, ref: Reference, revision: str) -> None:
    upto = ORDER[: ORDER.index(revision) + 1]
    columns: dict[str, list[str]] = {}
    for r in upto:
        for table, names in FILLS[r].tables.items():
            columns.setdefault(table, []).extend(names)
    for table, names in columns.items():
        got = read_rows(engine, table, tuple(names))
        written = [{c: row[c] for c in names} for row in ref.rows[table]]
        assert got == written, f"{table}: rows changed by the upgrade from {revision}"


def _check_derived(engine: sa.Engine, ref: Reference, revision: str) -> None:
    """What the migrations after ``revision`` compute from the rows they find."""
    if "dp_check_states" in _derived(revision):
        names = ("monitor_id", "check", "window_end", "status", "judged_end")
        assert read_rows(engine, "dp_check_states", names) == [
            {c: row[c] for c in names} for row in ref.rows["dp_check_states"]
        ]
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # new rows draw ids after the copied ones
            new_id = connection.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence('dp_events', 'id'))")
            ).scalar_one()
            assert new_id > max(row["id"] for row in ref.rows["dp_events"])


def _built_at(
    kind: str, revision: str, tmp_path: Path, request: pytest.FixtureRequest, ref: Reference
) -> str:
    """Return the URL of a new database at ``revision`` holding the rows its schema holds."""
    url = empty_database(kind, tmp_path, request)
    engine = create_engine(url)
    migrate.upgrade(engine, revision)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names()) - {VERSION_TABLE}
        existing = {
            table: {c["name"] for c in sa.inspect(connection).get_columns(table)}
            for table in tables
        }
    upto = ORDER[: ORDER.index(revision) + 1]
    filled = {table for r in upto for table in FILLS[r].tables}
    assert tables <= filled, (
        f"At revision {revision} the tables {sorted(tables - filled)} exist but no "
        "data-filling step writes them: add them to its FILLS entry in upgrade_data.py."
    )
    for r in upto:
        for table, names in FILLS[r].tables.items():
            absent = set(names) - existing.get(table, set())
            assert not absent, f"FILLS[{r!r}] names {table} columns {absent} not at {revision}"
    fill_rows(engine, ref, upto)
    engine.dispose()
    return url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("revision", ORDER)
def test_a_database_filled_at_a_past_revision_upgrades_and_reads_back_through_every_path(
    revision: str,
    kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    reference: Reference,
    expected: Expected,
    service_env: None,
) -> None:
    if revision not in FILLS:
        pytest.fail(_no_fill_message(revision, dict(REVISIONS)[revision]))
    url = _built_at(kind, revision, tmp_path, request, reference)
    server = Server(url, tmp_path)  # upgrades the database at start
    try:
        headers = {"Authorization": f"Bearer {reference.key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as api:
            openapi = api.get("/openapi.json").json()
            documented = {
                path for path, operations in openapi["paths"].items() if "get" in operations
            }
            covered = {route.split("#")[0] for route in routes(reference)}
            assert documented <= covered, f"GET routes no check reads: {documented - covered}"
            answers = list(get_answers(api.get, reference))
    finally:
        server.stop()
    wanted = expected(revision)
    for route, status, body in answers:
        _compare(revision, route, (status, body), wanted.routes[route])
    engine = create_engine(url)
    request.addfinalizer(engine.dispose)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()
    _check_rows(engine, reference, revision)
    _check_derived(engine, reference, revision)
    assert store_reads(Store(engine)) == wanted.reads
