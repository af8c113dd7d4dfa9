"""A real ``driftpilot serve`` with the dashboard's data, behind a path-prefix proxy.

``Served.start(folder)`` creates an admin and a read key with the CLI, starts the service
(auth on, SQLite in ``folder``, public URL ``http://127.0.0.1:<proxy>/dp``, an alerting file
whose webhook nobody receives, so notifications are stored with their signed report links),
seeds it (``seed.seed``) and starts the proxy: a small HTTP server on loopback that forwards
``/dp/...`` to the service without the prefix, as nginx's ``proxy_pass`` would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from dashboard.seed import seed

__all__ = ["PREFIX", "Served"]

PREFIX = "/dp"
SECRET = "dashboard-test-report-secret-of-40-chars"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "driftpilot", *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class _Proxy:
    """Forward ``PREFIX/...`` to ``upstream/...``; anything else is a 404."""

    def __init__(self, upstream: str) -> None:
        client = httpx.Client(base_url=upstream, timeout=120, follow_redirects=False)
        self.client = client

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                if not (self.path == PREFIX or self.path.startswith(PREFIX + "/")):
                    self.send_error(404)
                    return
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP and k.lower() != "host"}  # fmt: skip
                answer = client.request(self.command, self.path[len(PREFIX):] or "/",
                                        headers=headers, content=body)  # fmt: skip
                data = answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                del args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


@dataclass
class Served:
    """The service, its proxy, and the keys to sign in with."""

    process: subprocess.Popen[bytes]
    proxy: _Proxy
    direct: str
    admin_key: str
    read_key: str
    log: Any

    @property
    def url(self) -> str:
        """The public URL (through the proxy, with the prefix)."""
        return f"http://127.0.0.1:{self.proxy.port}{PREFIX}"

    @classmethod
    def start(cls, folder: Path, *, extra_models: int = 12) -> Served:
        """Start, seed and proxy a service whose data lives in ``folder``."""
        db = f"sqlite:///{folder / 'driftpilot.db'}"
        _cli("db", "upgrade", "--db", db)
        admin = _cli("keys", "create", "--scope", "admin", "--name", "admin", "--db", db)
        reader = _cli("keys", "create", "--scope", "read", "--name", "reader", "--db", db)
        alerting = folder / "alerting.yaml"
        alerting.write_text("channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:9/'}\n"
                            "routes:\n  - {channels: [hook]}\n", encoding="utf-8")  # fmt: skip
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proxy = _Proxy(f"http://127.0.0.1:{port}")
        env = {**os.environ, "DRIFTPILOT_MAINTENANCE_SECONDS": "0",
               "DRIFTPILOT_DISPATCH_SECONDS": "0", "DRIFTPILOT_MONITOR_TICK_SECONDS": "0",
               "DRIFTPILOT_REPORT_SECRET": SECRET,
               "DRIFTPILOT_PUBLIC_URL": f"http://127.0.0.1:{proxy.port}{PREFIX}"}  # fmt: skip
        log = (folder / "serve.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "driftpilot", "serve", "--port", str(port), "--db", db,
             "--data-dir", str(folder), "--alerting", str(alerting), "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        direct = f"http://127.0.0.1:{port}"
        served = cls(process=process, proxy=proxy, direct=direct, admin_key=admin,
                     read_key=reader, log=log)  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                served.stop()
                raise AssertionError((folder / "serve.log").read_text())
            try:
                if httpx.get(f"{direct}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                served.stop()
                raise AssertionError("driftpilot serve did not start")
            time.sleep(0.05)
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=direct, headers=headers, timeout=300) as client:
            seed(client, extra=extra_models)
        return served

    def report_link(self, model: str = "loans") -> str:
        """Return the signed report link of ``model``'s newest notification (as sent)."""
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        answer = httpx.get(f"{self.direct}/v1/notifications", headers=headers, timeout=30)
        answer.raise_for_status()
        found = [n for n in answer.json()["items"] if n["payload"]["model"] == model]
        link: str = found[0]["payload"]["report_url"]
        return link

    def stop(self) -> None:
        """Stop the service and the proxy."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.proxy.close()
        self.log.close()
