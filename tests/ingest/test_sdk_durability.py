"""Issue 3's durability check, end to end: the SDK streams into a real ``driftpilot serve``,
the server is killed with SIGKILL mid-stream and restarted on the same database, and every
event is then stored exactly once: what the server acknowledged survived the kill, and the
SDK re-sent (from its queue and disk spool) what it had not acknowledged. It runs on SQLite
and on PostgreSQL (``db_url``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import RealService, _free_port, wait_until
from driftpilot.ingest import Client
from service_fixtures import db_url, pg_base, pg_schema_url, sqlite_template  # noqa: F401

pytestmark = pytest.mark.slow


class _Serve:
    def __init__(self, folder: Path, port: int, database: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._command = [
            sys.executable, "-m", "driftpilot", "serve", "--port", str(port),
            "--db", database, "--log-level", "warning",
        ]  # fmt: skip
        self._log = folder / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("a") as log:
            self.process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._ready, timeout=60, what="driftpilot serve to start")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"driftpilot serve exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)


def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    folder = tmp_path / "service"
    folder.mkdir()
    created = subprocess.run(
        [sys.executable, "-m", "driftpilot", "keys", "create", "--scope", "admin",
         "--scope", "ingest", "--scope", "read", "--db", db_url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1].strip()
    server = _Serve(folder, _free_port(), db_url)
    server.start()
    try:
        service = RealService(server.url, key)
        client = Client(
            server.url, key, model=service.model, model_version="1",
            spool_dir=tmp_path / "spool", batch_size=250, flush_interval=0.05,
            retry_backoff=0.01, max_backoff=0.2, timeout=2.0,
        )  # fmt: skip
        logged: list[str] = []
        for i in range(12_000):
            logged.append(client.log_prediction({"x": float(i), "k": i % 7}, i % 2))
            if i == 4_000:
                wait_until(lambda: client.stats()["sent"] > 0, what="a first acknowledgement")
                acknowledged_before_kill = client.stats()["sent"]
                server.kill()  # mid-stream: batches are in flight and queued
            if i % 500 == 0:
                time.sleep(0.01)  # a stream, not one burst
        time.sleep(0.5)  # the client meets a dead server for a while and spools
        server.start()
        assert client.flush(timeout=120), client.stats()
        stats = client.stats()
        client.close(timeout=30)
        stored = service.events
        assert acknowledged_before_kill > 0
        assert stats["dropped"] == 0
        assert stats["dead_lettered"] == 0
        assert set(stored) == set(logged)  # nothing lost: acknowledged or re-sent
        assert len(service._items("events")) == len(logged)  # each exactly once
        service.close()
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill(signal.SIGTERM)
