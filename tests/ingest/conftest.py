"""Fixtures of the ingest tests: a real HTTP service on loopback, and clients that use it.

``service`` is what the delivery tests talk to: a real ``driftpilot serve`` started once per
test worker (or the one ``DRIFTPILOT_TEST_SERVICE_URL`` and ``DRIFTPILOT_TEST_API_KEY``
name), with a fresh model per test. Only tests that inject failures the real service cannot
be made to produce on demand (503 with Retry-After, slow answers, counting requests) take
``fake_service``, a small real HTTP server of ``_fake_service.py`` on loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fake_service import FakeService

from driftpilot.ingest import AsyncClient, Client

#: Retries and probes a test does not wait long for (the defaults are 0.25 s up to 30 s).
FAST = {"retry_backoff": 0.01, "max_backoff": 0.05, "timeout": 2.0}


def wait_until(condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "") -> None:
    """Wait for ``condition()`` to hold; fail after ``timeout`` seconds (a hang, not a speed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what or condition}")
        time.sleep(0.01)


class RealService:
    """A running ``driftpilot serve``, read back through its query API; one model per test."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url.rstrip("/"), api_key
        self.model = f"sdk-test-{uuid.uuid4().hex[:12]}"
        self._http = httpx.Client(base_url=self.url, headers={"authorization": f"Bearer {api_key}"})
        self._http.post(
            "/v1/models", json={"name": self.model, "task": "binary"}
        ).raise_for_status()

    def _items(self, what: str) -> list[dict[str, Any]]:
        items, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = self._http.get(f"/v1/models/{self.model}/{what}", params=params).json()
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                return items

    @property
    def events(self) -> dict[str, dict[str, Any]]:
        return {event["event_id"]: event for event in self._items("events")}

    @property
    def labels(self) -> dict[str, Any]:
        return {label["event_id"]: label["value"] for label in self._items("labels")}

    def event_ids(self) -> set[str]:
        return set(self.events)

    def close(self) -> None:
        self._http.delete(f"/v1/models/{self.model}", params={"confirm": self.model})
        self._http.close()


REAL_URL = os.environ.get("DRIFTPILOT_TEST_SERVICE_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def real_service_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real ``driftpilot serve`` (SQLite, one per test worker) and an admin key for it.

    ``DRIFTPILOT_TEST_SERVICE_URL`` and ``DRIFTPILOT_TEST_API_KEY`` point the tests at one
    already running instead (PostgreSQL behind it, say).
    """
    if REAL_URL:
        yield REAL_URL, os.environ["DRIFTPILOT_TEST_API_KEY"]
        return
    folder = tmp_path_factory.mktemp("serve")
    command = [sys.executable, "-m", "driftpilot"]
    created = subprocess.run(
        [*command, "keys", "create", "--scope", "admin", "--scope", "ingest", "--scope",
         "read", "--data-dir", str(folder)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1].strip()
    port = _free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--data-dir", str(folder),
         "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url, process), timeout=60, what="driftpilot serve to start")
        yield url, key
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"driftpilot serve exited with {process.returncode}")
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def fake_service() -> Iterator[FakeService]:
    """The fake service, for tests that inject failures (503, delays, a stopped service)."""
    service = FakeService().start()
    yield service
    service.stop()


@pytest.fixture
def service(request: pytest.FixtureRequest) -> Iterator[FakeService | RealService]:
    """The real ``driftpilot serve`` with a fresh model for this test; the fake service
    instead for a test that also asks for ``fake_service`` (to inject failures)."""
    if "fake_service" in request.fixturenames:
        yield request.getfixturevalue("fake_service")
        return
    real = RealService(*request.getfixturevalue("real_service_address"))
    yield real
    real.close()


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


def _settings(service: FakeService | RealService, spool_dir: Path, options: Any) -> dict[str, Any]:
    defaults = {"api_key": service.api_key, "model": service.model, "model_version": "1"}
    return {"url": service.url, "spool_dir": spool_dir, **defaults, **FAST, **options}


@pytest.fixture
def make_client(
    service: FakeService | RealService, spool_dir: Path
) -> Iterator[Callable[..., Client]]:
    """Make clients of ``service`` (its model, version "1"); all closed after the test."""
    clients: list[Client] = []

    def make(**options: Any) -> Client:
        clients.append(Client(**_settings(service, spool_dir, options)))
        return clients[-1]

    yield make
    for client in clients:
        client.close(timeout=5)


@pytest.fixture
def make_async_client(
    service: FakeService | RealService, spool_dir: Path
) -> Callable[..., AsyncClient]:
    """Make async clients of ``service``; each test closes its own (on its event loop)."""

    def make(**options: Any) -> AsyncClient:
        return AsyncClient(**_settings(service, spool_dir, options))

    return make
