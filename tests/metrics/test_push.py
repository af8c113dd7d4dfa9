"""``push_metrics`` against a real HTTP server on loopback that records what it is sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.parser import text_string_to_metric_families

from driftpilot.errors import InvalidParameterError
from driftpilot.monitor import CheckResult, MonitorReport
from driftpilot.server.metrics import push_metrics, store_registry
from driftpilot.store import Store

T0 = 1_714_521_600_000_000
HOUR = 3_600_000_000


@dataclass
class Gateway:
    """What the fake Pushgateway received: (method, path, content type, body) per request."""

    url: str
    requests: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    recorded = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorded.requests.append(
                (self.command, self.path, self.headers.get("Content-Type", ""), body)
            )
            self.send_response(recorded.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PUT = do_POST = _record

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _record_run(store: Store) -> None:
    store.models.create_model("loans", "binary")
    store.models.create_version("loans", "v1")
    store.monitors.put("batch", model="loans", definition={"checks": []}, origin="api")
    results = [CheckResult(check="feature_drift", kind="drift", metric="psi",
                           feature="credit_score", value=0.375, severity="critical")]  # fmt: skip
    store.runs.record(MonitorReport(
        monitor="batch", model="loans", window_start=T0, window_end=T0 + HOUR, reference={},
        revision=1, evaluated_at=T0 + HOUR, n_events=10, n_labels=0, results=results,
    ))  # fmt: skip


def test_a_batch_run_pushes_the_store_series(store: Store, gateway: Gateway) -> None:
    _record_run(store)
    push_metrics(gateway.url, registry=store_registry(store))
    ((method, path, content_type, body),) = gateway.requests
    assert method == "PUT"  # replaces the job's previous push
    assert path == "/metrics/job/driftpilot_monitor"
    assert content_type.startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, s.labels.get("feature")): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("driftpilot_feature_psi", "credit_score")] == 0.375
    assert samples[("driftpilot_drift_detected", "credit_score")] == 1.0
    assert samples[("driftpilot_monitor_last_window_end_timestamp_seconds", None)] == (
        (T0 + HOUR) / 1e6
    )


def test_the_job_and_grouping_key_make_the_path(gateway: Gateway) -> None:
    registry = CollectorRegistry()
    Gauge("driftpilot_test_value", "A value.", registry=registry).set(2)
    push_metrics(gateway.url, job="nightly", registry=registry, grouping_key={"model": "loans"})
    assert gateway.requests[0][1] == "/metrics/job/nightly/model/loans"
    assert b"driftpilot_test_value 2.0" in gateway.requests[0][3]


def test_a_refused_or_failed_push_raises_connection_error(gateway: Gateway) -> None:
    gateway.status = 500
    with pytest.raises(ConnectionError, match=r"Pushgateway at 'http://127\.0\.0\.1:"):
        push_metrics(gateway.url, registry=CollectorRegistry())
    with pytest.raises(InvalidParameterError, match="'job'"):
        push_metrics(gateway.url, job="", registry=CollectorRegistry())
