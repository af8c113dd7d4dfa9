"""Representative data for the upgrade test: what each migration revision's schema holds.

``build_reference`` makes a database at the newest revision the way a user does, through the
service (a model, versions, a baseline, events with features, predictions, scores and
segments, labels, a rejected event, a monitor with runs, check results and a firing alert, a
silence, API keys, two registered versions with scikit-learn artifacts saved with skops, one
validated with a report, an alias moved from one to the other, a deployment with a champion
and a canary), plus the rows no route writes directly (outbox notifications, a lease, a
streaming detector's state with its model version), and records what every GET route answers
on it.

``FILLS`` says, per migration revision, which tables and columns that revision's schema
holds data in (``Fill``): a table a revision creates, or the columns it adds to one. A
database built at revision R is filled with the reference rows, column by column as listed by
the fills of R and the revisions before it, with plain ``INSERT`` and ``UPDATE`` statements
naming the columns (no model of the newest schema), so each row is one an older driftpilot
could have written. A new migration must add its ``Fill`` (the test says so).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from fastapi.testclient import TestClient

from driftpilot.alerts.report_links import ReportLinks
from driftpilot.datasets import make_traffic
from driftpilot.errors import NotFoundError
from driftpilot.profile import baseline
from driftpilot.server import Settings, create_app
from driftpilot.store import Store, create_engine, now_us
from driftpilot.store import _tables as t

__all__ = [
    "ALIAS",
    "CANARY",
    "FILLS",
    "MODEL",
    "MONITOR",
    "REGISTERED",
    "REPORT_SECRET",
    "Answers",
    "Fill",
    "Reference",
    "answers_of",
    "build_reference",
    "expected_answers",
    "fill",
    "get_answers",
    "read_rows",
    "routes",
    "store_reads",
]

MODEL, MONITOR = "loans", "loans-1h"
#: The registered versions (``REGISTERED`` validated, with a report) and the alias moved.
REGISTERED, CANARY, ALIAS = "v2", "v3", "production"
REPORT_SECRET = "upgrade-test-report-secret-0123456789abcdef"
FAR = 2**62
SLO_AT = "2026-01-01T06:00:00Z"


@dataclass(frozen=True)
class Fill:
    """What one revision's schema holds: per table, the columns it writes.

    A table not filled by an earlier revision is inserted (every row of the reference); a
    table filled before gets the new columns set row by row (``UPDATE ... WHERE <key>``).
    """

    tables: Mapping[str, tuple[str, ...]]
    note: str = ""


_EVENTS = ("id", "model_id", "event_id", "version", "ts", "received_at", "latency_ms",
           "payload", "quality_flags")  # fmt: skip
_ALERTS = ("id", "model_id", "dedup_key", "monitor", "rule", "group_values", "tier", "state",
           "bad", "clear", "findings", "first_window_start", "last_bad_window_end",
           "last_window_end", "fired_at", "last_notified_at", "acknowledged_at",
           "acknowledged_by", "resolved_at", "created_at", "updated_at")  # fmt: skip
_RESULTS = ("id", "run_id", "monitor_id", "model_id", "window_start", "window_end", "revision",
            "check", "kind", "metric", "feature", "segment", "value", "stderr", "lower", "upper",
            "p_value", "severity", "n", "n_labels", "current")  # fmt: skip

FILLS: dict[str, Fill] = {
    "0001": Fill({
        "dp_models": ("id", "name", "task", "feature_schema", "created_at"),
        "dp_model_versions": ("id", "model_id", "version", "created_at"),
        "dp_baselines": ("id", "version_id", "kind", "fingerprint", "n_rows", "document",
                         "created_at"),
        "dp_events": _EVENTS,
        "dp_labels": ("id", "model_id", "event_id", "value", "ts", "received_at", "joined_at"),
        "dp_profile_partials": ("id", "model_id", "version", "kind", "bucket_start",
                                "bucket_seconds", "n_rows", "reference_id", "document",
                                "created_at"),
        "dp_api_keys": ("id", "key_id", "name", "scopes", "key_hash", "created_at",
                        "revoked_at"),
    }),
    "0002": Fill({
        "dp_monitors": ("id", "model_id", "name", "definition", "origin", "created_at",
                        "updated_at"),
        "dp_monitor_runs": ("id", "monitor_id", "model_id", "window_start", "window_end",
                            "revision", "n_events", "n_labels", "severity", "evaluated_at",
                            "report"),
        "dp_check_results": _RESULTS,
        "dp_monitor_leases": ("monitor_id", "window_start", "window_end", "owner",
                              "expires_at"),
    }),
    "0003": Fill({
        "dp_alerts": _ALERTS,
        "dp_silences": ("id", "matchers", "starts_at", "ends_at", "created_by", "comment",
                        "created_at"),
        "dp_notifications": ("id", "notification_id", "alert_id", "channel", "kind", "payload",
                             "status", "attempts", "last_error", "created_at", "updated_at"),
    }),
    "0004": Fill({
        "dp_profile_rollups": ("id", "model_id", "version", "kind", "day_start", "partial_ids",
                               "n_partials", "max_partial_id", "document", "created_at"),
    }),
    "0005": Fill(
        {"dp_notifications": ("first_attempt_at", "next_attempt_at", "last_status")},
        note="the outbox's retry schedule (the rollup repair has no data of its own)",
    ),
    "0006": Fill({
        "dp_rejected": ("id", "model_id", "kind", "ts", "key_id", "event_id", "code", "error",
                        "body", "body_chars"),
    }),
    "0007": Fill({
        "dp_detector_states": ("monitor_id", "check_name", "segment", "window_end",
                               "window_start", "fingerprint", "state", "n_fed", "updated_at"),
    }),
    "0008": Fill({
        "dp_check_states": ("monitor_id", "check", "window_end", "status", "judged_end"),
    }),
    "0010": Fill({
        "dp_model_versions": ("status", "revision", "artifact_uri", "artifact_flavor",
                              "artifact_size", "artifact_sha256", "artifact_options",
                              "signature", "lineage", "metrics", "description", "tags",
                              "created_by", "registered_at"),
        "dp_model_aliases": ("model_id", "alias", "version_id", "revision", "updated_at"),
        "dp_alias_moves": ("id", "model_id", "alias", "version", "previous", "actor", "reason",
                           "revision", "rollback", "moved_at"),
        "dp_version_reports": ("id", "version_id", "name", "document", "created_by",
                               "created_at"),
        "dp_version_changes": ("id", "version_id", "revision", "status_from", "status_to",
                               "actor", "reason", "changed_at"),
    }, note="the registry: versions with artifacts, statuses, reports, aliases and moves"),
    "0011": Fill({
        "dp_deployments": ("model_id", "revision", "state", "updated_at"),
        "dp_deployment_changes": ("id", "model_id", "revision", "action", "params", "actor",
                                  "reason", "state", "at"),
    }, note="a deployment with a champion and a canary, and its history"),
    "0012": Fill(
        {"dp_detector_states": ("model_version",)},
        note="the model version that served a detector state's window",
    ),
}  # fmt: skip

#: Columns that find a row for an ``UPDATE`` (tables without an ``id``).
_KEYS = {
    "dp_monitor_leases": ("monitor_id", "window_start", "window_end"),
    "dp_detector_states": ("monitor_id", "check_name", "segment", "window_end"),
    "dp_check_states": ("monitor_id", "check"),
    "dp_model_aliases": ("model_id", "alias"),
    "dp_deployments": ("model_id",),
}


def _key(table: str) -> tuple[str, ...]:
    return _KEYS.get(table, ("id",))


@dataclass
class Reference:
    """The reference database: its rows, its admin key and the ids its routes are read with."""

    url: str
    key: str
    rows: dict[str, list[dict[str, Any]]]
    run_id: int
    alert_id: int
    series: dict[str, str]
    token: str
    artifacts: Path


@dataclass(frozen=True)
class Answers:
    """What every GET route and every store read answers on one database."""

    routes: dict[str, tuple[int, Any]]
    reads: dict[str, Any]


def routes(ref: Reference) -> dict[str, str]:
    """Every GET route of the service, by its OpenAPI path, as the URL to call here."""
    model = f"/v1/models/{MODEL}"
    series = "&".join(f"{k}={v}" for k, v in ref.series.items())
    return {
        "/healthz": "/healthz",
        "/readyz": "/readyz",
        "/reports/runs/{run_id}": f"/reports/runs/{ref.run_id}?token={ref.token}",
        "/v1/alerts": "/v1/alerts",
        "/v1/alerts/{alert_id}": f"/v1/alerts/{ref.alert_id}",
        "/v1/keys": "/v1/keys",
        "/v1/models": "/v1/models",
        "/v1/models/{model}": model,
        "/v1/models/{model}/events": f"{model}/events?limit=1000",
        "/v1/models/{model}/export": f"{model}/export?format=jsonl",
        "/v1/models/{model}/export#parquet": f"{model}/export?format=parquet",
        "/v1/models/{model}/labels": f"{model}/labels?limit=1000",
        "/v1/models/{model}/profile": f"{model}/profile",
        "/v1/models/{model}/rejected": f"{model}/rejected",
        "/v1/models/{model}/series": f"{model}/series?{series}",
        "/v1/models/{model}/versions": f"{model}/versions",
        "/v1/models/{model}/versions/{version}": f"{model}/versions/{REGISTERED}",
        "/v1/models/{model}/versions/{version}/artifact": (
            f"{model}/versions/{REGISTERED}/artifact"
        ),
        "/v1/models/{model}/versions/{version}/baseline": f"{model}/versions/v1/baseline",
        "/v1/models/{model}/aliases": f"{model}/aliases",
        "/v1/models/{model}/aliases/{alias}": f"{model}/aliases/{ALIAS}",
        "/v1/models/{model}/aliases/{alias}/history": f"{model}/aliases/{ALIAS}/history",
        "/v1/models/{model}/deployment": f"{model}/deployment",
        "/v1/models/{model}/deployment/history": f"{model}/deployment/history",
        "/v1/monitors": "/v1/monitors",
        "/v1/monitors/{name}": f"/v1/monitors/{MONITOR}",
        "/v1/monitors/{name}/runs": f"/v1/monitors/{MONITOR}/runs?revisions=true",
        "/v1/monitors/{name}/slos": f"/v1/monitors/{MONITOR}/slos?at={SLO_AT}",
        "/v1/notifications": "/v1/notifications",
        "/v1/notifications/dead-letters": "/v1/notifications/dead-letters",
        "/v1/runs/{run_id}": f"/v1/runs/{ref.run_id}",
        "/v1/silences": "/v1/silences",
        "/metrics": "/metrics",
    }


def _decode(route: str, response: Any) -> Any:
    """The answer of a route as data to compare (exports parsed, HTML and metrics as text)."""
    if route.endswith("#parquet"):
        return pq.read_table(pa.BufferReader(response.content)).to_pylist()
    if route.endswith("/export"):
        return [json.loads(line) for line in response.text.splitlines()]
    if route in ("/metrics", "/reports/runs/{run_id}"):
        return response.text
    if route.endswith("/artifact"):  # the bytes, as their digest, beside the digest announced
        return {
            "sha256": hashlib.sha256(response.content).hexdigest(),
            "size": len(response.content),
            "checksum": response.headers["X-Checksum-SHA256"],
        }
    return response.json()


def get_answers(get: Callable[[str], Any], ref: Reference) -> Iterator[tuple[str, int, Any]]:
    """Yield ``(route, status, decoded answer)`` for every GET route."""
    for route, url in routes(ref).items():
        response = get(url)
        yield (
            route,
            response.status_code,
            (_decode(route, response) if response.status_code == 200 else response.text),
        )


def read_rows(engine: sa.Engine, table: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return ``columns`` of every row of ``table``, ordered by its key."""
    with engine.connect() as connection:
        clause = sa.table(table, *(sa.column(c) for c in columns))
        order = [sa.column(c) for c in _key(table)]
        rows = connection.execute(sa.select(clause).order_by(*order)).mappings().all()
    return [dict(r) for r in rows]


def fill(engine: sa.Engine, ref: Reference, revisions: list[str]) -> None:
    """Write the reference rows that the schema of the last of ``revisions`` holds."""
    done: set[str] = set()
    with engine.begin() as connection:
        for revision in revisions:
            for table, columns in FILLS[revision].tables.items():
                rows = [{c: row[c] for c in columns} for row in ref.rows[table]]
                assert rows, f"the reference database has no rows in {table}"
                clause = sa.table(table, *(sa.column(c) for c in columns))
                if table not in done:
                    connection.execute(sa.insert(clause), rows)
                    done.add(table)
                    continue
                keys = _key(table)
                keyed = sa.table(table, *(sa.column(c) for c in (*keys, *columns)))
                for row, full in zip(rows, ref.rows[table], strict=True):
                    connection.execute(
                        sa.update(keyed).where(*(keyed.c[k] == full[k] for k in keys)).values(**row)
                    )
        if connection.dialect.name == "postgresql":  # as if each row had drawn its id
            for table in done:
                if "id" in _filled_columns(table, revisions):
                    connection.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )


def _filled_columns(table: str, revisions: list[str]) -> set[str]:
    """Every column of ``table`` that the fills of ``revisions`` write."""
    return {c for r in revisions for c in FILLS[r].tables.get(table, ())}


def _all_rows(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    rows = {}
    with engine.connect() as connection:
        for table in t.metadata.sorted_tables:
            order = [table.c[c] for c in _key(table.name)]
            found = connection.execute(sa.select(table).order_by(*order)).mappings().all()
            rows[table.name] = [dict(r) for r in found]
    return rows


def _populate(api: TestClient) -> None:
    traffic = make_traffic(hours=6, per_hour=320, reference_hours=3, drift_at=4, seed=11)
    assert api.post("/v1/models", json={"name": MODEL, "task": "binary"}).status_code == 201
    assert api.post(f"/v1/models/{MODEL}/versions", json={"version": "v0"}).status_code == 201
    features = pa.Table.from_pylist([e["features"] for e in traffic.events[:960]])
    document = baseline(features, model_name=MODEL, model_version="v1").to_json()
    answer = api.put(
        f"/v1/models/{MODEL}/versions/v1/baseline",
        content=document,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    events = traffic.events
    events[5]["latency_ms"] = 12.5
    events[6]["features"]["income"] = float("nan")  # stored, with a quality flag
    for i in range(0, len(events), 1000):
        body = json.dumps({"events": events[i : i + 1000]}, allow_nan=True)
        answer = api.post(
            f"/v1/models/{MODEL}/events", content=body,
            headers={"content-type": "application/json"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
    bad = {"event_id": "not-a-uuid", "timestamp": "2026-01-01T01:00:00Z", "model_version": "v1"}
    answer = api.post(f"/v1/models/{MODEL}/events", json={"events": [bad]})
    assert answer.json()["rejected"] == 1, answer.text
    answer = api.post(f"/v1/models/{MODEL}/labels", json={"labels": traffic.labels[:600]})
    assert answer.status_code == 200, answer.text
    pending = {"event_id": "00000000-0000-4000-8000-00000000beef", "value": 1,
               "timestamp": "2026-01-01T05:00:00Z"}  # fmt: skip
    assert api.post(f"/v1/models/{MODEL}/labels", json={"labels": [pending]}).status_code == 200
    monitor = {
        "model": MODEL, "window": {"size": "1h"},
        "reference": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T03:00:00Z"},
        "checks": [{"type": "feature_drift", "mode": "exact"}, {"type": "missing_values"}],
        "alerts": [{"name": "drift", "when": {"check": "feature_drift"}, "labels": {"team": "a"}}],
        "slos": [{"name": "psi", "metric": "psi", "feature": "credit_score", "kind": "mean",
                  "objective": "< 0.1"}],
    }  # fmt: skip
    assert api.put(f"/v1/monitors/{MONITOR}", json=monitor).status_code == 200
    answer = api.post(
        f"/v1/monitors/{MONITOR}/backfill",
        params={"start": "2026-01-01T03:00:00Z", "end": "2026-01-01T06:00:00Z"},
    )
    assert answer.status_code == 200, answer.text
    answer = api.post(
        "/v1/silences",
        json={"matchers": {"team": "b"}, "ends_at": "2099-01-01T00:00:00Z", "comment": "old"},
    )
    assert answer.status_code == 201, answer.text
    assert api.post("/v1/keys", json={"scopes": ["read"], "name": "reader"}).status_code == 201
    revoked = api.post("/v1/keys", json={"scopes": ["ingest"], "name": "gone"}).json()
    assert api.delete(f"/v1/keys/{revoked['key_id']}").status_code == 200
    _register(api, traffic.events[:400], traffic.labels[:400])
    _deploy(api)


def _skops_model(events: list[dict[str, Any]], labels: list[dict[str, Any]], c: float) -> bytes:
    """A logistic regression on the traffic's numeric features, saved with skops."""
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    truth = {label["event_id"]: int(label["value"]) for label in labels}
    rows = [e for e in events if e["event_id"] in truth]
    frame = pd.DataFrame([{k: e["features"][k] for k in _INPUTS} for e in rows])
    frame["y"] = [truth[e["event_id"]] for e in rows]
    frame = frame.dropna()  # the event whose income is NaN
    model = LogisticRegression(C=c, max_iter=500).fit(frame[list(_INPUTS)], frame["y"])
    data: bytes = sio.dumps(model)
    return data


_INPUTS = ("age", "income", "credit_score")


def _register(api: TestClient, events: list[dict[str, Any]], labels: list[dict[str, Any]]) -> None:
    """Two versions registered with an artifact; one validated with a report; an alias moved."""
    versions = f"/v1/models/{MODEL}/versions"
    for version, c in ((REGISTERED, 1.0), (CANARY, 0.1)):
        data = _skops_model(events, labels, c)
        manifest = {
            "flavor": "sklearn", "sha256": hashlib.sha256(data).hexdigest(),
            "signature": {"inputs": dict.fromkeys(_INPUTS, "float"), "outputs": {"default": "int"}},
            "lineage": {"data_fingerprint": "a" * 64, "data_start": "2026-01-01T00:00:00Z",
                        "data_end": "2026-01-01T03:00:00Z", "code_version": "git:1234abc",
                        "parameters": {"C": c}, "baseline_id": None},
            "metrics": {"validation": {"roc_auc": 0.71}, "training": {"log_loss": 0.6}},
            "description": f"C={c}",
            "tags": {"team": "risk"}, "actor": "trainer",
        }  # fmt: skip
        answer = api.put(
            f"{versions}/{version}/artifact",
            files={"file": ("model.skops", io.BytesIO(data), "application/octet-stream")},
            data={"manifest": json.dumps(manifest)},
        )
        assert answer.status_code == 201, answer.text
        download = api.get(f"{versions}/{version}/artifact")
        assert download.status_code == 200, download.text
        assert download.content == data
    tag = api.get(f"{versions}/{REGISTERED}").headers["ETag"]
    answer = api.post(
        f"{versions}/{REGISTERED}/status", headers={"If-Match": tag},
        json={"status": "validated", "reason": "passed the holdout gate", "actor": "gate"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    answer = api.post(
        f"{versions}/{REGISTERED}/reports",
        json={"name": "holdout-2026-01", "document": {"roc_auc": 0.71, "n": 400}},
    )
    assert answer.status_code == 201, answer.text
    alias = f"/v1/models/{MODEL}/aliases/{ALIAS}"
    answer = api.put(alias, json={"version": CANARY, "reason": "first release"})
    assert answer.status_code == 200, answer.text
    answer = api.put(
        alias, headers={"If-Match": answer.headers["ETag"]},
        json={"version": REGISTERED, "reason": "the validated one", "actor": "release"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


def _deploy(api: TestClient) -> None:
    """A champion, then a canary beside it."""
    deployment = f"/v1/models/{MODEL}/deployment"
    for action in (
        {"action": "set_champion", "version": REGISTERED, "reason": "the validated version"},
        {"action": "start_canary", "version": CANARY, "weight": 0.1, "owner": "rollout-7",
         "reason": "try the smaller C"},
    ):  # fmt: skip
        answer = api.patch(deployment, json=action)
        assert answer.status_code == 200, answer.text


def _rows_no_route_writes(engine: sa.Engine) -> None:
    """Outbox rows (a pending one, a dead letter), an expired lease, a detector's state."""
    with engine.begin() as connection:
        alert = connection.execute(sa.select(t.alerts.c.id).order_by(t.alerts.c.id)).scalar()
        monitor = connection.execute(sa.select(t.monitors.c.id)).scalar_one()
        assert alert is not None, "the reference monitor raised no alert"
        payload = {"specversion": "1.0", "type": "driftpilot.alert.fired", "data": {"a": 1}}
        base = {"alert_id": alert, "channel": "ops-webhook", "kind": "fired",
                "payload": json.dumps(payload), "created_at": 1_767_240_000_000_000}  # fmt: skip
        connection.execute(t.notifications.insert(), [
            {**base, "notification_id": "6f1c2b1e-0000-4000-8000-000000000001",
             "status": "pending", "attempts": 0, "last_error": None,
             "updated_at": base["created_at"], "first_attempt_at": None, "last_status": None},
            {**base, "notification_id": "6f1c2b1e-0000-4000-8000-000000000002",
             "status": "failed", "attempts": 3, "last_error": "HTTP 404 from the receiver",
             "updated_at": 1_767_240_100_000_000, "first_attempt_at": 1_767_240_000_500_000,
             "last_status": 404},
        ])  # fmt: skip
        connection.execute(t.monitor_leases.insert().values(
            monitor_id=monitor, window_start=0, window_end=3_600_000_000, owner="old-replica",
            expires_at=1,
        ))  # fmt: skip
        connection.execute(t.detector_states.insert().values(
            monitor_id=monitor, check_name="stream", segment="", window_end=1_767_240_000_000_000,
            window_start=1_767_236_400_000_000, fingerprint="f" * 64,
            state=json.dumps({"kind": "page_hinkley", "n": 42}), n_fed=42,
            model_version="v1", updated_at=1_767_240_000_000_000,
        ))  # fmt: skip


def _settings(url: str, folder: Path, artifacts: Path) -> Settings:
    return Settings(
        db=url, data_dir=folder, maintenance_seconds=0, monitor_tick_seconds=0,
        dispatch_seconds=0, report_secret=REPORT_SECRET, artifacts=str(artifacts),
    )  # fmt: skip


def build_reference(folder: Path) -> Reference:
    """Build the reference database in ``folder`` (at the newest revision, by the service)."""
    url = f"sqlite:///{folder / 'reference.db'}"
    artifacts = folder / "artifacts"
    app = create_app(_settings(url, folder, artifacts))
    store: Store = app.state.store
    try:
        with TestClient(app) as api:
            key = store.keys.create(["admin"], name="upgrade-admin").key
            api.headers["Authorization"] = f"Bearer {key}"
            _populate(api)
            _rows_no_route_writes(store.engine)
            assert store.profiles.roll_up(before=FAR) >= 1
            with store.engine.connect() as connection:
                run_id = connection.execute(sa.select(sa.func.min(t.monitor_runs.c.id))).scalar()
                alert_id = connection.execute(sa.select(sa.func.min(t.alerts.c.id))).scalar()
                result = connection.execute(
                    sa.select(t.check_results).where(t.check_results.c.feature != "")
                ).mappings().first()  # fmt: skip
            assert run_id is not None
            assert alert_id is not None
            assert result is not None
            links = ReportLinks(REPORT_SECRET.encode(), ttl_seconds=10 * 365 * 86400)
            ref = Reference(
                url=url, key=key, rows=_all_rows(store.engine), run_id=run_id,
                alert_id=alert_id, token=links.token(run_id, now=now_us()),
                series={"metric": result["metric"], "feature": result["feature"],
                        "monitor": MONITOR},
                artifacts=artifacts,
            )  # fmt: skip
    finally:
        store.close()
    empty = [name for name, rows in ref.rows.items() if not rows]
    assert not empty, f"the reference database has no rows in {empty}"
    return ref


def answers_of(url: str, folder: Path, ref: Reference) -> Answers:
    """Read every GET route (in-process) and every store read of the database at ``url``."""
    app = create_app(_settings(url, folder, ref.artifacts))
    store: Store = app.state.store
    try:
        with TestClient(app) as api:
            api.headers["Authorization"] = f"Bearer {ref.key}"
            answers = {route: (status, body) for route, status, body in get_answers(api.get, ref)}
            return Answers(routes=answers, reads=store_reads(store))
    finally:
        store.close()


def expected_answers(
    ref: Reference, revisions: list[str], folder: Path, *, derived: tuple[str, ...] = ()
) -> Answers:
    """What a database never migrated, holding the rows ``revisions`` fill, answers.

    A database at the newest revision is filled exactly as the upgraded one was, so the two
    differ only by what the migrations did on the way: the ``derived`` tables, which a
    migration computes from older rows, are copied whole from the reference (the test checks
    that the migration computed the same).
    """
    url = f"sqlite:///{folder / 'expected.db'}"
    store = Store(create_engine(url))
    store.upgrade()
    fill(store.engine, ref, revisions)
    with store.engine.begin() as connection:
        for table in derived:
            connection.execute(t.metadata.tables[table].insert(), ref.rows[table])
    store.close()
    return answers_of(url, folder, ref)


def store_reads(store: Store) -> dict[str, Any]:
    """What the store's repositories read (records compared as they are; errors by type)."""
    reads: dict[str, Callable[[], Any]] = {
        "models": store.models.list_models,
        "versions": lambda: store.models.list_versions(MODEL),
        "baseline": lambda: store.models.get_baseline(MODEL, "v1").to_json(),
        "events": lambda: store.events.page(MODEL, limit=1000),
        "labels": lambda: store.labels.page(MODEL, limit=1000),
        "export": lambda: [record for chunk in store.events.export(MODEL) for record in chunk],
        "keys": store.keys.list_keys,
        "monitors": store.monitors.list_monitors,
        "runs": lambda: store.runs.runs(MONITOR, revisions=True),
        "report": lambda: store.runs.report(_first_run(store)).to_dict(),
        "alerts": store.alerts.list_alerts,
        "silences": store.alerts.silences,
        "notifications": store.alerts.notifications,
        "rejected": lambda: store.rejected.page(MODEL),
        "detector": lambda: store.runs.detector_state(MONITOR, "stream", "", at=FAR),
        "profile_events": lambda: store.profiles.window(MODEL).n_events,
        "registry_versions": lambda: store.registry.list_versions(MODEL),
        "registry_version": lambda: store.registry.get_version(MODEL, REGISTERED),
        "aliases": lambda: store.registry.list_aliases(MODEL),
        "alias": lambda: store.registry.get_alias(MODEL, ALIAS),
        "alias_history": lambda: store.registry.alias_history(MODEL, ALIAS),
        "deployment": lambda: store.deployments.get(MODEL),
        "deployment_history": lambda: store.deployments.history(MODEL),
    }
    found: dict[str, Any] = {}
    for name, call in reads.items():
        try:
            found[name] = call()
        except NotFoundError as err:
            found[name] = ("NotFoundError", str(err))
    return found


def _first_run(store: Store) -> int:
    with store.engine.connect() as connection:
        run_id = connection.execute(sa.select(sa.func.min(t.monitor_runs.c.id))).scalar()
    if run_id is None:
        raise NotFoundError("no monitor run")
    return int(run_id)
