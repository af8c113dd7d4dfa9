"""What survives the caller's process: a SIGKILL, a plain exit, a fork."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _fake_service import FakeService

from conftest import FAST
from driftpilot.ingest import Client

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX")


def _script(body: str, **values: object) -> str:
    head = "import json, os, sys, time\nfrom driftpilot.ingest import Client\n"
    head += "".join(f"{name} = {value!r}\n" for name, value in values.items())
    return head + textwrap.dedent(body)


def _service(service: FakeService) -> dict[str, str]:
    return {"KEY": service.api_key, "MODEL": service.model}


def _dead_url() -> str:
    with socket.socket() as sock:  # a port nothing listens on once this closes
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_the_spool_survives_sigkill_and_the_next_client_replays_it(
    service: FakeService, spool_dir: Path
) -> None:
    body = """
        client = Client(URL, KEY, model=MODEL, model_version="1", spool_dir=SPOOL,
                        batch_size=20, max_queue=50, **FAST)
        ids = [client.log_prediction({"x": i}, i) for i in range(300)]
        client.log_label(ids[0], 1)
        delivered = client.flush(timeout=30)
        print(json.dumps({"ids": ids, "delivered": delivered, "stats": client.stats()}), flush=True)
        time.sleep(600)
    """
    code = _script(body, URL=_dead_url(), SPOOL=str(spool_dir), FAST=FAST, **_service(service))
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            report = json.loads(process.stdout.readline())
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert report["delivered"] is False
    assert report["stats"]["spooled"] == 301
    assert report["stats"]["dropped"] == 0

    client = Client(service.url, service.api_key, model=service.model, spool_dir=spool_dir, **FAST)
    try:
        assert client.flush(timeout=30) is True
    finally:
        client.close()
    assert service.event_ids() == set(report["ids"])
    assert set(service.labels) == {report["ids"][0]}
    assert client.stats()["replayed"] == 301
    assert not list(spool_dir.glob("*.spool"))


def test_interpreter_exit_delivers_what_is_queued(service: FakeService, spool_dir: Path) -> None:
    body = """
        client = Client(URL, KEY, model=MODEL, model_version="1", spool_dir=SPOOL,
                        flush_interval=3600)
        print(json.dumps([client.log_prediction({"x": i}, i) for i in range(20)]))
    """  # no flush, no close: atexit does it
    code = _script(body, URL=service.url, SPOOL=str(spool_dir), **_service(service))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert service.event_ids() == set(json.loads(done.stdout))


def test_interpreter_exit_spools_when_the_service_is_down(
    service: FakeService, spool_dir: Path
) -> None:
    body = """
        client = Client(URL, KEY, model=MODEL, model_version="1", spool_dir=SPOOL,
                        flush_interval=3600, exit_timeout=0.5, **FAST)
        print(json.dumps([client.log_prediction({"x": i}, i) for i in range(20)]))
    """
    code = _script(body, URL=_dead_url(), SPOOL=str(spool_dir), FAST=FAST, **_service(service))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    client = Client(service.url, service.api_key, model=service.model, spool_dir=spool_dir, **FAST)
    try:
        assert client.flush(timeout=30) is True
    finally:
        client.close()
    assert service.event_ids() == set(json.loads(done.stdout))


def test_a_forked_child_gets_its_own_working_client(service: FakeService, spool_dir: Path) -> None:
    body = """
        client = Client(URL, KEY, model=MODEL, model_version="1", spool_dir=SPOOL)
        ids = [client.log_prediction({"who": "parent"}, 0)]
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            child = [client.log_prediction({"who": "child"}, 1) for _ in range(5)]
            ok = client.flush(timeout=30)
            os.write(write, json.dumps({"ids": child, "ok": ok}).encode())
            os._exit(0)
        os.close(write)
        child = json.loads(os.read(read, 1 << 16))
        os.waitpid(pid, 0)
        ids.append(client.log_prediction({"who": "parent"}, 0))
        ok = child["ok"] and client.flush(30)
        print(json.dumps({"parent": ids, "child": child["ids"], "ok": ok}))
    """
    code = _script(body, URL=service.url, SPOOL=str(spool_dir), **_service(service))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert len(set(report["parent"] + report["child"])) == 7  # ids stay unique across the fork
    assert service.event_ids() == set(report["parent"] + report["child"])


def test_two_processes_sharing_a_spool_never_replay_one_segment_twice(
    fake_service: FakeService, spool_dir: Path
) -> None:
    fake_service.stop()
    writers = [
        Client(
            fake_service.url,
            fake_service.api_key,
            model="churn",
            model_version="1",
            spool_dir=spool_dir,
            **FAST,
        )
        for _ in range(2)
    ]
    ids = [w.log_prediction({"w": n, "i": i}, i) for n, w in enumerate(writers) for i in range(30)]
    assert [w.flush(timeout=20) for w in writers] == [False, False]
    fake_service.start()
    assert [w.flush(timeout=30) for w in writers] == [True, True]
    for writer in writers:
        writer.close()
    assert fake_service.event_ids() == set(ids)
    assert sum(n for _, n in fake_service.batches) == 60  # each spooled event sent once
    assert os.listdir(spool_dir) == []
