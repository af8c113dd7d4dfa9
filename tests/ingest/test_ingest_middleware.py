"""PredictionLogger in a real FastAPI model service under uvicorn, logging to a real service."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from _fake_service import FakeService, Served
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse

from conftest import wait_until
from driftpilot.ingest import AsyncClient, Client, PredictionLogger, event_id_for

MakeClient = Callable[..., Client]


def model_app(client: Client | AsyncClient | None = None, **options: Any) -> FastAPI:
    """A model service: /predict doubles x; other routes are not JSON, stream, or fail."""
    app = FastAPI()

    @app.post("/predict")
    async def predict(body: dict[str, Any]) -> dict[str, Any]:
        x = body["features"]["x"]
        return {"prediction": 2 * x, "scores": {"low": 0.25, "high": 0.75}, "model": "m"}

    @app.post("/text")
    async def text(body: dict[str, Any]) -> PlainTextResponse:
        return PlainTextResponse(f"x is {body['features']['x']}")

    @app.post("/stream")
    async def stream(body: dict[str, Any]) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b'{"prediction": ', b"1", b"}"):
                yield part

        return StreamingResponse(chunks(), media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    if client is not None:
        options.setdefault("paths", ["/predict", "/text", "/stream"])
        app.add_middleware(PredictionLogger, client=client, model_version="m1", **options)
    return app


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], str]]:
    servers: list[Served] = []

    def start(app: FastAPI) -> str:
        servers.append(Served(app))
        return servers[-1].url

    yield start
    for server in servers:
        server.stop()


def test_a_prediction_is_logged_with_features_prediction_latency_and_id(
    make_client: MakeClient, service: FakeService, serve: Callable[[FastAPI], str]
) -> None:
    client = make_client()
    url = serve(model_app(client))
    request_id = str(uuid.uuid4())
    with httpx.Client(base_url=url) as http:
        given = http.post(
            "/predict", json={"features": {"x": 3}}, headers={"x-request-id": request_id}
        )
        made = http.post("/predict", json={"features": {"x": 4}})
        keyed = http.post(
            "/predict", json={"features": {"x": 5}}, headers={"x-request-id": "req-5"}
        )
    assert given.json() == {"prediction": 6, "scores": {"low": 0.25, "high": 0.75}, "model": "m"}
    assert given.headers["x-request-id"] == request_id
    assert keyed.headers["x-request-id"] == "req-5"
    made_id = made.headers["x-request-id"]
    assert uuid.UUID(made_id).version == 4
    # An event is queued after its response has gone out: wait for them rather than flush.
    ids = {request_id, made_id, event_id_for("req-5")}
    wait_until(lambda: service.event_ids() == ids, what="the three events")
    event = service.events[request_id]
    assert event["features"] == {"x": 3}
    assert event["prediction"] == 6
    assert event["scores"] == {"low": 0.25, "high": 0.75}
    assert event["model_version"] == "m1"
    assert event["latency_ms"] > 0
    assert service.events[made_id]["prediction"] == 8
    assert service.events[event_id_for("req-5")]["prediction"] == 10  # labels join by "req-5"


def test_responses_are_the_same_with_and_without_the_middleware(
    make_client: MakeClient, serve: Callable[[FastAPI], str]
) -> None:
    plain, logged = serve(model_app()), serve(model_app(make_client()))
    requests = [
        ("/predict", {"features": {"x": 1}}),
        ("/text", {"features": {"x": 1}}),
        ("/stream", {"features": {"x": 1}}),
        ("/predict", [1, 2]),  # 422 from FastAPI's validation
        ("/predict", {"wrong": 1}),  # the endpoint raises: 500 from Starlette's outer handler
    ]
    for path, body in requests:
        headers = {"x-request-id": "fixed"}
        with httpx.Client() as http:
            a = http.post(plain + path, json=body, headers=headers)
            b = http.post(logged + path, json=body, headers=headers)
        assert (a.status_code, a.content) == (b.status_code, b.content)
        assert b.headers.get("x-request-id", "fixed") == "fixed"
        same = {k: v for k, v in a.headers.items() if k not in ("date", "x-request-id")}
        assert same == {k: v for k, v in b.headers.items() if k not in ("date", "x-request-id")}


def test_non_json_streamed_and_failed_responses_pass_through_and_are_counted(
    make_client: MakeClient, service: FakeService, serve: Callable[[FastAPI], str]
) -> None:
    client = make_client()
    url = serve(model_app(client))
    with httpx.Client(base_url=url) as http:
        text = http.post("/text", json={"features": {"x": 7}})
        stream = http.post("/stream", json={"features": {"x": 7}})
        failed = http.post("/predict", json=[1, 2])  # FastAPI refuses the body: 422
        health = http.get("/health")
    assert text.text == "x is 7"
    assert stream.json() == {"prediction": 1}
    assert failed.status_code == 422
    assert all("x-request-id" in r.headers for r in (text, stream, failed))
    assert "x-request-id" not in health.headers  # not a logged path
    wait_until(lambda: client.stats()["middleware_skipped"] == 3, what="3 skipped requests")
    assert client.flush(timeout=20)
    assert service.event_ids() == set()


def test_an_extractor_that_raises_never_changes_the_response(
    make_client: MakeClient, service: FakeService, serve: Callable[[FastAPI], str]
) -> None:
    client = make_client()
    url = serve(model_app(client, features=lambda body: body["missing"]))
    with httpx.Client(base_url=url) as http:
        response = http.post("/predict", json={"features": {"x": 3}})
    assert response.status_code == 200
    assert response.json()["prediction"] == 6
    wait_until(lambda: client.stats()["middleware_errors"] == 1, what="the failure to be counted")
    assert client.flush(timeout=20)
    assert service.event_ids() == set()


class _BrokenClient(Client):
    def log_prediction(self, *args: Any, **kwargs: Any) -> str:
        raise RuntimeError("broken")


def test_a_broken_client_never_changes_the_response(
    service: FakeService, serve: Callable[[FastAPI], str], tmp_path: Any
) -> None:
    client = _BrokenClient(service.url, service.api_key, model=service.model, spool_dir=tmp_path)
    try:
        url = serve(model_app(client))
        with httpx.Client(base_url=url) as http:
            response = http.post("/predict", json={"features": {"x": 3}})
        assert response.json()["prediction"] == 6
        wait_until(lambda: client.stats()["middleware_errors"] == 1, what="the failure counted")
    finally:
        client.close()


def test_custom_extractors_and_a_chunked_request_body(
    make_client: MakeClient, service: FakeService, serve: Callable[[FastAPI], str]
) -> None:
    client = make_client()
    app = model_app(
        client,
        features=lambda body: {"x": body["features"]["x"], "source": "custom"},
        prediction=lambda body: body["prediction"] > 5,
        scores=lambda body: [body["scores"]["low"], body["scores"]["high"]],
        segment=lambda body: {"tenant": body["tenant"]},
    )
    url = serve(app)

    def chunks() -> Iterator[bytes]:  # sent as chunked transfer encoding, in several messages
        yield b'{"features": {"x": '
        yield b'3}, "tenant": "acme"}'

    with httpx.Client(base_url=url) as http:
        response = http.post(
            "/predict",
            content=chunks(),
            headers={"content-type": "application/json", "x-request-id": "r1"},
        )
    assert response.json()["prediction"] == 6
    wait_until(lambda: event_id_for("r1") in service.event_ids(), what="the event")
    event = service.events[event_id_for("r1")]
    assert event["features"] == {"x": 3, "source": "custom"}
    assert event["prediction"] is True
    assert event["scores"] == [0.25, 0.75]
    assert event["segment"] == {"tenant": "acme"}


def test_with_an_async_client(
    make_async_client: Callable[..., AsyncClient], service: FakeService
) -> None:
    async def main() -> list[str]:
        async with make_async_client() as client:
            app = model_app(client)
            transport = httpx.ASGITransport(app=app)  # the same loop as the client's task
            async with httpx.AsyncClient(transport=transport, base_url="http://model") as http:
                responses = [
                    await http.post("/predict", json={"features": {"x": i}}) for i in range(5)
                ]
            assert await client.flush(timeout=20)
            return [r.headers["x-request-id"] for r in responses]

    ids = asyncio.run(main())
    assert service.event_ids() == set(ids)


def test_with_an_async_client_under_uvicorn(
    make_async_client: Callable[..., AsyncClient],
    service: FakeService,
    serve: Callable[[FastAPI], str],
) -> None:
    client = make_async_client()  # its task starts on uvicorn's loop with the first request
    url = serve(model_app(client))
    with httpx.Client(base_url=url) as http:
        ids = [
            http.post("/predict", json={"features": {"x": i}}).headers["x-request-id"]
            for i in range(5)
        ]
    wait_until(lambda: service.event_ids() == set(ids), what="the events of five requests")
