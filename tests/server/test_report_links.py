"""The alert's "Open the report" link opens an HTML page of the run with a plain GET.

Through a real ``driftpilot serve`` (auth on, SQLite and PostgreSQL): a monitor run fires an
alert, its notification reaches a real webhook on loopback, and the link it carries opens the
run's HTML report without an API key. The same token on another run's id, an edited token and
an expired one are 403 (HTML for a browser, the JSON error object otherwise). Unit tests cover
the token itself and the generated secret file.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftpilot.alerts.report_links import SECRET_FILE, ReportLinkError, ReportLinks, file_secret
from driftpilot.monitor import CheckResult, MonitorReport
from driftpilot.monitor._html import render_run_html
from service_fixtures import make_events

SECRET = "an-example-report-secret-of-40-characters"
NOW = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


# -- the token ----------------------------------------------------------------------------------


def test_a_token_opens_its_run_until_it_expires() -> None:
    links = ReportLinks(SECRET.encode(), ttl_seconds=3600)
    token = links.token(7, now=NOW)
    links.verify(7, token, now=NOW)
    links.verify(7, token, now=NOW + 3599 * 10**6)
    with pytest.raises(ReportLinkError, match=r"expired at 2026-01-01T01:00:00Z"):
        links.verify(7, token, now=NOW + 3600 * 10**6)
    with pytest.raises(ReportLinkError, match="does not open run 8"):
        links.verify(8, token, now=NOW)
    expires, signature = token.split(".")
    with pytest.raises(ReportLinkError, match="does not open run 7"):  # a later expiry
        links.verify(7, f"{int(expires) + 3600}.{signature}", now=NOW)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    with pytest.raises(ReportLinkError, match="does not open run 7"):
        links.verify(7, f"{expires}.{flipped}", now=NOW)
    with pytest.raises(ReportLinkError, match="malformed"):
        links.verify(7, token[:-3], now=NOW)
    with pytest.raises(ReportLinkError, match="needs the 'token'"):
        links.verify(7, None, now=NOW)
    other = ReportLinks(b"another-secret-of-at-least-32-characters", ttl_seconds=3600)
    with pytest.raises(ReportLinkError, match="another secret"):
        other.verify(7, token, now=NOW)
    assert ReportLinkError("x").code == "forbidden"


def test_the_generated_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = file_secret(tmp_path / "data")
    assert file_secret(tmp_path / "data") == first
    assert len(first) == 64
    mode = stat.S_IMODE((tmp_path / "data" / SECRET_FILE).stat().st_mode)
    assert mode == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [SECRET_FILE]


def test_the_page_escapes_user_strings() -> None:
    report = MonitorReport(
        monitor="m", model="loans", window_start=NOW, window_end=NOW + 3600 * 10**6,
        reference={"kind": "range", "start": NOW - 10**9, "end": NOW}, revision=2,
        evaluated_at=NOW, n_events=10, n_labels=0, notes=("<script>alert(1)</script>",),
        results=[CheckResult(check="drift", kind="drift", metric="psi", feature="<b>age</b>",
                             value=0.3, upper=0.2, severity="critical", n=10,
                             details={"n_reference": 20})],
    )  # fmt: skip
    page = render_run_html(report, run_id=3)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;age&lt;/b&gt;" in page
    assert "http://" not in page
    assert "https://" not in page


# -- through a real service ---------------------------------------------------------------------


class _Hook:
    """A webhook receiver on loopback that keeps the CloudEvents it gets."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                hook.events.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "driftpilot", *args], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def hook() -> Iterator[_Hook]:
    receiver = _Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def served(db_url: str, tmp_path: Path, hook: _Hook) -> Iterator[tuple[str, str]]:
    """A real service with auth on, alerting to ``hook``; yields its URL and an admin key."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    alerting = tmp_path / "alerting.yaml"
    alerting.write_text(
        f"channels:\n  hook: {{type: webhook, url: '{hook.url}'}}\n"
        "routes:\n  - {channels: [hook]}\n",
        encoding="utf-8",
    )
    key = _cli("keys", "create", "--scope", "admin", "--name", "t", "--db", db_url)
    env = {**os.environ, "DRIFTPILOT_MAINTENANCE_SECONDS": "0", "DRIFTPILOT_DISPATCH_SECONDS":
           "0.2", "DRIFTPILOT_PUBLIC_URL": url, "DRIFTPILOT_REPORT_SECRET": SECRET,
           "DRIFTPILOT_MONITOR_TICK_SECONDS": "0"}  # fmt: skip
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "driftpilot", "serve", "--port", str(port), "--db", db_url,
         "--data-dir", str(tmp_path / "data"), "--alerting", str(alerting),
         "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.05)
        yield url, key
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _fire(url: str, key: str, hook: _Hook) -> dict[str, Any]:
    """Log an hour of events, run a monitor whose KPI check flags it, return the CloudEvent."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        created = client.post("/v1/models", json={"name": "loans", "task": "binary"})
        assert created.status_code == 201
        events = make_events(360, start="2025-12-31T22:00:00+00:00", step_seconds=30)
        assert client.post("/v1/models/loans/events", json={"events": events}).status_code == 200
        monitor = {
            "model": "loans", "window": {"size": "1h"},
            "reference": {"start": "2025-12-31T22:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "checks": [{"type": "kpi", "name": "rows", "function": "builtins:len", "max": 10},
                       {"type": "feature_drift", "min_events": 50}],
            "alerts": [{"name": "too-many", "when": {"check": "rows"}, "tier": "critical"}],
        }  # fmt: skip
        assert client.put("/v1/monitors/hourly", json=monitor).status_code in (200, 201)
        ran = client.post("/v1/monitors/hourly/backfill", params={
            "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z",
            "notify": True})  # fmt: skip
        assert ran.status_code == 200, ran.text
    deadline = time.monotonic() + 30
    while not hook.events:
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.05)
    [event] = hook.events
    return event


@pytest.mark.slow
def test_the_alerts_link_opens_the_html_report_without_a_key(
    served: tuple[str, str], hook: _Hook
) -> None:
    url, key = served
    event = _fire(url, key, hook)
    link = event["data"]["report_url"]
    match = re.fullmatch(re.escape(url) + r"/reports/runs/(\d+)\?token=([\w.-]+)", link)
    assert match is not None, link
    run_id, token = int(match.group(1)), match.group(2)

    page = httpx.get(link, headers={"Accept": "text/html"}, timeout=30)  # no key
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "hourly on loans" in html
    assert "2026-01-01T00:00:00Z to 2026-01-01T01:00:00Z" in html
    checks = html[html.index('<table id="checks">') : html.index("</table>")]
    assert "<td>rows</td><td>kpi</td><td>kpi</td>" in checks
    assert "120" in checks  # the KPI's value
    assert "≤ 10" in checks  # its threshold
    assert 'sev-warning">warning' in checks  # a KPI check's default severity
    assert 'st-flagged">flagged' in checks
    assert '<table id="drift">' in html  # feature drift: one row per feature
    assert "<td>feature_drift</td><td>age</td>" in html
    assert "http://" not in html.replace(url, "")
    assert "<script" not in html

    # the JSON route needs a key; the signed link does not replace it
    assert httpx.get(f"{url}/v1/runs/{run_id}", timeout=30).status_code == 401

    other = httpx.get(f"{url}/reports/runs/{run_id + 1}", params={"token": token},
                      headers={"Accept": "text/html"}, timeout=30)  # fmt: skip
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("text/html")
    assert f"does not open run {run_id + 1}" in other.text

    expires, signature = token.split(".")
    edited = httpx.get(
        f"{url}/reports/runs/{run_id}",
        params={"token": f"{int(expires) + 86400}.{signature}"},
        timeout=30,
    )
    assert edited.status_code == 403
    assert edited.json()["error"]["code"] == "forbidden"

    old = ReportLinks(SECRET.encode(), ttl_seconds=60).token(run_id, now=NOW)  # expired 2026
    expired = httpx.get(f"{url}/reports/runs/{run_id}", params={"token": old}, timeout=30)
    assert expired.status_code == 403
    assert "expired at 2026-01-01T00:01:00Z" in expired.json()["error"]["message"]

    missing = httpx.get(f"{url}/reports/runs/{run_id}", timeout=30)
    assert missing.status_code == 403
    assert "token" in missing.json()["error"]["message"]
