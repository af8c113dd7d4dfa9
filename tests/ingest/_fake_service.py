"""A small, real HTTP service that speaks the ingest contract, for the SDK's tests.

It runs under uvicorn on a free 127.0.0.1 port, in a thread of the test process, and keeps
events and labels in dicts that outlive a stop and a restart on the same port (as a
database would). Tests can make it fail the next requests (503, 429 with Retry-After, ...),
commit a batch and then answer 503 (a reply lost after the commit), delay its answers,
reject events one by one, or refuse a whole batch with 422 when it holds a "poison" event.

Contract (as the real service): POST /v1/models/{model}/events and /labels with a Bearer
key; 200 only after the batch is stored; per-record results in request order; the same
event_id again is a duplicate, not an error.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEY = "test-key"


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def _problem(event: Any) -> str | None:
    """Why the real service would reject this event, or None."""
    if not isinstance(event, dict):
        return "not an object"
    try:
        if str(uuid.UUID(event["event_id"])) != event["event_id"]:
            return "event_id is not a canonical UUID"
        if datetime.fromisoformat(event["timestamp"]).tzinfo is None:
            return "timestamp has no timezone"
    except (KeyError, ValueError, TypeError, AttributeError):
        return "event_id or timestamp missing or malformed"
    if not isinstance(event.get("model_version"), str) or not event["model_version"]:
        return "model_version missing"
    if not isinstance(event.get("features"), dict):
        return "features is not an object"
    return None


class Served:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread of this process."""

    def __init__(self, app: Any, port: int = 0) -> None:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; without it
        # a reply's body waits ~40 ms behind its headers (Nagle and delayed ACKs).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class FakeService:
    """The service; ``start()`` it, read ``url``, inspect ``events`` and ``labels``."""

    models: tuple[str, ...] = ("churn",)
    api_key: str = API_KEY
    max_body: int = 10 << 20
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> event
    labels: dict[str, Any] = field(default_factory=dict)  # event_id -> label
    #: One entry per request answered 200: ("events" | "labels", number of records).
    batches: list[tuple[str, int]] = field(default_factory=list)
    #: Status codes to answer the next requests with, before looking at them.
    fail_next: list[int] = field(default_factory=list)
    retry_after: str | None = None
    #: Store the next N batches, then answer 503 (the reply is lost, the data is not).
    commit_then_fail: int = 0
    delay: float = 0.0
    #: Called with each event; a true result rejects that event (status "rejected").
    reject: Callable[[dict[str, Any]], bool] | None = None
    requests: int = 0
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _served: Served | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def model(self) -> str:
        return self.models[0]

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeService:
        self._served = Served(self.app(), self.port)
        self.port = self._served.port
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    # -- inspection ----------------------------------------------------------------------

    def event_ids(self) -> set[str]:
        with self._lock:
            return set(self.events)

    # -- the app -------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/models/{model}/events", self._events, methods=["POST"]),
                Route("/v1/models/{model}/labels", self._labels, methods=["POST"]),
            ]
        )

    async def _admit(self, request: Request, key: str) -> Response | list[Any]:
        """Check key, model, size, injected failures and shape; return the records or a reply."""
        with self._lock:
            self.requests += 1
            status = self.fail_next.pop(0) if self.fail_next else None
        if self.delay:
            await asyncio.sleep(self.delay)
        if status is not None:
            headers = {"retry-after": self.retry_after} if self.retry_after else None
            return _error(status, "injected", f"injected {status}", headers)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "unauthorized", "a valid API key is required")
        if request.path_params["model"] not in self.models:
            return _error(404, "unknown_model", f"no model {request.path_params['model']!r}")
        body = await request.body()
        if len(body) > self.max_body:
            return _error(413, "too_large", f"the body is larger than {self.max_body} bytes")
        try:
            records = json.loads(body)[key]
        except (ValueError, KeyError, TypeError):
            return _error(400, "malformed", f"the body must be a JSON object with {key!r}")
        if not isinstance(records, list):
            return _error(422, "malformed", f"{key!r} must be a list")
        if key == "events" and any(
            isinstance(e, dict)
            and isinstance(e.get("features"), dict)
            and "poison" in e["features"]
            for e in records
        ):
            return _error(422, "poison", "the batch holds an event the schema cannot read")
        return records

    def _reply(self, kind: str, n: int, body: dict[str, Any]) -> Response:
        self.batches.append((kind, n))
        if self.commit_then_fail:
            self.commit_then_fail -= 1
            return _error(503, "injected", "stored, but the reply is lost")
        return JSONResponse(body)

    async def _events(self, request: Request) -> Response:
        admitted = await self._admit(request, "events")
        if isinstance(admitted, Response):
            return admitted
        results = []
        with self._lock:
            for event in admitted:
                problem = _problem(event)
                if problem is None and self.reject is not None and self.reject(event):
                    problem = "rejected by the test"
                if problem is not None:
                    error = {"code": "invalid_event", "message": problem, "details": None}
                    eid = event.get("event_id") if isinstance(event, dict) else None
                    results.append({"event_id": eid, "status": "rejected", "error": error})
                elif event["event_id"] in self.events:
                    results.append({"event_id": event["event_id"], "status": "duplicate"})
                else:
                    self.events[event["event_id"]] = event
                    results.append({"event_id": event["event_id"], "status": "stored"})
            counts = {
                s: sum(r["status"] == s for r in results)
                for s in ("stored", "duplicate", "rejected")
            }
            body = {
                "stored": counts["stored"],
                "duplicates": counts["duplicate"],
                "rejected": counts["rejected"],
                "results": [{"quality_flags": [], "error": None, **r} for r in results],
            }
            return self._reply("events", len(admitted), body)

    async def _labels(self, request: Request) -> Response:
        admitted = await self._admit(request, "labels")
        if isinstance(admitted, Response):
            return admitted
        results = []
        with self._lock:
            for label in admitted:
                eid = label.get("event_id") if isinstance(label, dict) else None
                if not isinstance(eid, str) or "value" not in label:
                    error = {"code": "invalid_label", "message": "bad label", "details": None}
                    results.append({"event_id": eid, "status": "rejected", "error": error})
                elif eid in self.labels:
                    results.append({"event_id": eid, "status": "duplicate", "error": None})
                else:
                    self.labels[eid] = label["value"]
                    status = "joined" if eid in self.events else "pending"
                    results.append({"event_id": eid, "status": status, "error": None})
            body = {
                key: sum(r["status"] == status for r in results)
                for key, status in (
                    ("joined", "joined"),
                    ("pending", "pending"),
                    ("duplicates", "duplicate"),
                    ("rejected", "rejected"),
                )
            }
            return self._reply("labels", len(admitted), {**body, "results": results})


def run_forever(port: int) -> None:  # pragma: no cover - for a separate process (benchmark)
    """Serve until killed."""
    service = FakeService(port=port).start()
    assert service._served is not None
    service._served.thread.join()
