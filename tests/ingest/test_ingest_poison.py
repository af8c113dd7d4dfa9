"""One record the service fails on never stops delivery (issue 10 §1, the SDK's side).

The service is the real ``driftpilot serve`` behind a small real HTTP proxy on loopback that
answers 500 to any batch holding a marker (a server-side bug on one value, which the fixed
service no longer has) and, when told, to every request (an outage). Good events streamed
around one poison event all arrive, across a client restart, and the poison event alone is
dead-lettered with the service's reason; an outage dead-letters nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fake_service import Served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conftest import FAST, RealService, wait_until
from driftpilot.ingest import Client

MARKER = "poison-7f3a"


class FailingProxy:
    """Forwards to ``target``; 500 for a batch holding ``MARKER``, or for all while ``down``."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.down = threading.Event()
        self.poison_failures = 0
        self.outage_failures = 0
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])])
        self.served = Served(app)
        self.url = self.served.url

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        if self.down.is_set():
            self.outage_failures += 1
            return _error(503, "unavailable", "the service is restarting")
        if MARKER.encode() in body:
            self.poison_failures += 1
            return _error(500, "internal_error", "The server failed on this batch (a bug).")
        headers = {k: v for k, v in request.headers.items() if k in ("authorization",)}
        headers["content-type"] = "application/json"
        async with httpx.AsyncClient(base_url=self.target, timeout=30) as client:
            reply = await client.request(
                request.method, request.url.path, content=body, headers=headers,
                params=request.query_params,
            )  # fmt: skip
        return Response(reply.content, reply.status_code, media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message, "details": None}}, status)


@pytest.fixture
def real(real_service_address: tuple[str, str]) -> Iterator[RealService]:
    service = RealService(*real_service_address)
    yield service
    service.close()


@pytest.fixture
def proxy(real: RealService) -> Iterator[FailingProxy]:
    running = FailingProxy(real.url)
    yield running
    running.served.stop()


def _client(proxy: FailingProxy, real: RealService, spool_dir: Path, **options: Any) -> Client:
    settings: dict[str, Any] = {
        "api_key": real.api_key, "model": real.model, "model_version": "1",
        "spool_dir": spool_dir, "batch_size": 16, "flush_interval": 0.05, "max_retries": 1,
        "poison_after": 3, **FAST, **options,
    }  # fmt: skip
    return Client(proxy.url, **settings)


def _letters(client: Client) -> list[dict[str, Any]]:
    path = client.dead_letter_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_good_events_around_a_poison_event_arrive_across_a_restart(
    proxy: FailingProxy, real: RealService, spool_dir: Path
) -> None:
    first = _client(proxy, real, spool_dir, poison_after=1_000)  # stuck behind the poison
    good = [first.log_prediction({"x": float(i), "note": "ok"}, i % 2) for i in range(40)]
    poison = first.log_prediction({"x": 1.0, "note": MARKER}, 1)
    good += [first.log_prediction({"x": float(i), "note": "ok"}, i % 2) for i in range(40, 80)]
    wait_until(lambda: proxy.poison_failures >= 1, what="the poison batch to fail")
    first.close(timeout=5)  # a restart: what is not delivered waits in the spool
    before = first.stats()
    assert before["poisoned"] == 0
    second = _client(proxy, real, spool_dir)
    try:
        wait_until(
            lambda: set(good) <= real.event_ids() and _letters(second),
            timeout=60, what="every good event delivered and the poison one dead-lettered",
        )  # fmt: skip
        second.flush(timeout=10)
        stats = second.stats()
    finally:
        second.close(timeout=5)
    stored = real.event_ids()
    assert set(good) <= stored
    assert poison not in stored
    (letter,) = _letters(second)
    assert letter["status"] == 500
    assert letter["error"]["message"] == "The server failed on this batch (a bug)."
    assert letter["record"]["event_id"] == poison
    assert (stats["poisoned"], stats["dead_lettered"]) == (1, 1)


def test_an_outage_dead_letters_nothing(
    proxy: FailingProxy, real: RealService, spool_dir: Path
) -> None:
    client = _client(proxy, real, spool_dir)
    try:
        proxy.down.set()
        ids = [client.log_prediction({"x": float(i)}, i % 2) for i in range(60)]
        wait_until(lambda: proxy.outage_failures >= 20, what="many failed probes")
        proxy.down.clear()
        wait_until(lambda: set(ids) <= real.event_ids(), timeout=60, what="delivery after it")
        assert client.flush(timeout=10)
        stats = client.stats()
    finally:
        client.close(timeout=5)
    assert _letters(client) == []
    assert (stats["poisoned"], stats["dead_lettered"]) == (0, 0)
