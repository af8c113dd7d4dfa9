"""A real ``serve`` under hostile requests: a 500 keeps the connection, a client leaving
mid-upload leaves no traceback, costly monitor bodies are refused with the limit they broke."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from driftpilot.store import create_engine
from server.test_serve import Server


def alias_bomb(levels: int = 7, fan_out: int = 9) -> str:
    """Nine aliases of the level below per level, seven levels: 4.8 million values."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        items = ", ".join(f"*a{level - 1}" for _ in range(fan_out))
        lines.append(f"a{level}: &a{level} [{items}]")
    return "\n".join(lines) + "\n"


def _response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response with a Content-Length from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection; got {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


@pytest.mark.slow
def test_after_a_500_the_same_connection_answers_the_next_request(
    db_url: str, tmp_path: Path
) -> None:
    server = Server(db_url, tmp_path, "--no-auth")
    engine = create_engine(db_url)
    with engine.begin() as connection:  # a 500: the table a route reads is gone
        connection.execute(sa.text("ALTER TABLE dp_silences RENAME TO dp_silences_away"))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(_get("/v1/silences"))
            status, headers, body = _response(sock)
            assert status == 500
            assert json.loads(body)["error"]["code"] == "internal_error"
            assert headers.get("connection", "keep-alive").lower() != "close"
            sock.sendall(_get("/healthz"))
            status, _, _ = _response(sock)
            assert status == 200
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE dp_silences_away RENAME TO dp_silences"))
        engine.dispose()
        server.stop()
    log = Path(server.log.name).read_text()
    assert log.count("GET /v1/silences failed") == 1, log  # ours, with its traceback
    assert "Exception in ASGI application" not in log


@pytest.mark.slow
def test_a_client_leaving_mid_upload_leaves_no_traceback(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, tmp_path, "--no-auth")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert (
                client.post("/v1/models", json={"name": "m", "task": "binary"}).status_code == 201
            )
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
                sock.sendall(
                    b"POST /v1/models/m/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                    + b'{"events": ['
                    + b" " * 20_000
                )
        time.sleep(0.5)  # let the server notice the disconnects
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
    finally:
        server.stop()
    log = Path(server.log.name).read_text()
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log


@pytest.mark.slow
def test_costly_monitor_bodies_are_refused_naming_the_limit(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, tmp_path, "--no-auth")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yaml_headers = {"Content-Type": "application/yaml"}
            bomb = client.put("/v1/monitors/m", content=alias_bomb(), headers=yaml_headers)
            assert bomb.status_code == 422, bomb.text
            assert bomb.json()["error"]["code"] == "invalid_monitor"
            assert "'nodes' limit" in bomb.json()["error"]["message"]
            deep = client.put("/v1/monitors/m", content="[" * 5_000, headers=yaml_headers)
            assert deep.status_code == 422
            assert "'depth' limit" in deep.json()["error"]["message"]
            nested = client.put(
                "/v1/monitors/m", content="[" * 100_000 + "]" * 100_000,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            assert nested.status_code == 400, nested.text
            assert client.get("/healthz").status_code == 200
    finally:
        server.stop()
    log = Path(server.log.name).read_text()
    assert "Traceback" not in log, log
