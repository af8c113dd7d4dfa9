"""Traffic controllers: a real command, a real webhook receiver and a real router on loopback."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle import Canary, Deployment
from driftpilot.serving import (
    CONTROLLERS,
    CommandController,
    RouterController,
    WebhookController,
    controller_from_config,
)

DEPLOYMENT = Deployment(
    model="churn", champion="1", canary=Canary(version="2", weight=25, owner="rollout-3"),
    shadows=("3",), revision=7,
)  # fmt: skip


def test_command_gets_the_deployment_in_its_environment(tmp_path: Path) -> None:
    out = tmp_path / "env.json"
    script = (
        "import json, os, sys; json.dump({k: v for k, v in os.environ.items() "
        "if k.startswith('DRIFTPILOT_')}, open(sys.argv[1], 'w'))"
    )
    result = CommandController([sys.executable, "-c", script, str(out)]).apply(DEPLOYMENT)
    assert result.ok, result.detail
    env = json.loads(out.read_text())
    assert {k: v for k, v in env.items() if k != "DRIFTPILOT_DEPLOYMENT"} == {
        "DRIFTPILOT_MODEL": "churn", "DRIFTPILOT_REVISION": "7", "DRIFTPILOT_CHAMPION": "1",
        "DRIFTPILOT_CHAMPION_WEIGHT": "75", "DRIFTPILOT_CANARY": "2",
        "DRIFTPILOT_CANARY_WEIGHT": "25", "DRIFTPILOT_SHADOWS": "3",
    }  # fmt: skip
    assert Deployment.from_dict(json.loads(env["DRIFTPILOT_DEPLOYMENT"])) == DEPLOYMENT


def test_a_failing_command_is_a_failed_result_with_its_stderr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = "import sys; sys.stderr.write('kubectl: forbidden'); sys.exit(3)"
    result = CommandController([sys.executable, "-c", script]).apply(DEPLOYMENT)
    assert (result.status, result.revision) == ("failed", 7)
    assert "exited with 3: kubectl: forbidden" in result.detail
    assert "command controller failed" in caplog.text
    slow = CommandController([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert "did not finish within 0.5 s" in slow.apply(DEPLOYMENT).detail
    missing = CommandController(["/nonexistent/kubectl"]).apply(DEPLOYMENT)
    assert missing.status == "failed"
    assert "could not run" in missing.detail


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def do_GET(self) -> None:
        body = json.dumps({"revision": 7 if self.path == "/fresh" else 6}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.bodies, _Receiver.status = [], 200
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_webhook_posts_a_cloudevent_and_reports_a_refusal(receiver: str) -> None:
    controller = WebhookController(f"{receiver}/hook")
    assert controller.apply(DEPLOYMENT).ok
    event = _Receiver.bodies[0]
    assert (event["specversion"], event["type"]) == ("1.0", "dev.driftpilot.deployment.changed")
    assert event["data"]["weights"] == {"1": 75.0, "2": 25.0}
    assert event["data"]["deployment"]["revision"] == 7
    _Receiver.status = 500
    failed = controller.apply(DEPLOYMENT)
    assert failed.status == "failed"
    assert "answered 500" in failed.detail
    controller.close()
    unreachable = WebhookController("http://127.0.0.1:9/hook", timeout=1).apply(DEPLOYMENT)
    assert unreachable.status == "failed"


def test_router_controller_waits_for_every_router(receiver: str) -> None:
    assert RouterController([f"{receiver}/fresh"]).apply(DEPLOYMENT).ok
    stale = RouterController([f"{receiver}/fresh", f"{receiver}/old"], timeout=0.5, poll=0.1)
    result = stale.apply(DEPLOYMENT)
    assert result.status == "failed"
    assert result.detail.endswith(f"by {receiver}/old")


def test_configuration_is_validated_against_the_registry() -> None:
    assert set(CONTROLLERS) == {"router", "command", "webhook"}
    built = controller_from_config({"kind": "command", "command": "kubectl patch x", "timeout": 5})
    assert isinstance(built, CommandController)
    assert built.command == ["kubectl", "patch", "x"]
    with pytest.raises(InvalidParameterError, match="must be one of 'router', 'command'"):
        controller_from_config({"kind": "seldon"})
    with pytest.raises(InvalidParameterError, match="takes no option 'timout'"):
        controller_from_config({"kind": "webhook", "url": "http://x", "timout": 3})
    with pytest.raises(InvalidParameterError, match="needs the 'url' option"):
        controller_from_config({"kind": "webhook"})
    with pytest.raises(InvalidParameterError, match="'timeout' option of the command"):
        controller_from_config({"kind": "command", "command": ["x"], "timeout": 0})
