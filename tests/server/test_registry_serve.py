"""The registry end to end: a real ``driftpilot serve`` on SQLite and PostgreSQL, the CLI and
the SDK against it, an artifact tampered with on disk, and racing alias moves over HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression

from driftpilot.errors import ChecksumMismatchError, StaleRevisionError
from driftpilot.ingest import RegistryClient
from server.server_process import Server, run_cli

pytestmark = pytest.mark.slow
MODEL = "loans"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(db_url, tmp_path, "--no-auth", "--artifacts", str(tmp_path / "artifacts"))
    yield running
    running.stop()


def _model_file(tmp_path: Path, seed: int) -> tuple[Path, LogisticRegression]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 2))
    y = (x[:, 0] - x[:, 1] + rng.normal(scale=0.3, size=300) > 0).astype(int)
    estimator = LogisticRegression().fit(x, y)
    path = tmp_path / f"model-{seed}.skops"
    skops.io.dump(estimator, path)
    return path, estimator


def _cli(server: Server, *args: str) -> str:
    done = run_cli("models", *args, "--url", server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_register_promote_roll_back_and_download(server: Server, tmp_path: Path) -> None:
    api = httpx.Client(base_url=server.url + "/v1")
    assert api.post("/models", json={"name": MODEL, "task": "binary"}).status_code == 201
    files = {}
    for seed, version in ((1, "v1"), (2, "v2")):
        path, estimator = _model_file(tmp_path, seed)
        files[version] = (path, estimator)
        shown = json.loads(_cli(
            server, "register", MODEL, version, str(path), "--input", "a:float",
            "--input", "b:float", "--metric", "auc=0.9", "--run-id", f"run-{seed}",
            "--param", "C=1.0", "--format", "json",
        ))  # fmt: skip
        assert shown["status"] == "registered"
        assert shown["artifact"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert shown["lineage"]["parameters"] == {"C": 1.0}
    listed = json.loads(_cli(server, "list", MODEL, "--format", "json"))
    assert [(v["version"], v["status"]) for v in listed] == [
        ("v1", "registered"),
        ("v2", "registered"),
    ]
    _cli(server, "alias", "set", MODEL, "champion", "v1", "--reason", "launch")
    _cli(server, "alias", "set", MODEL, "challenger", "v2", "--reason", "retrained")
    promoted = json.loads(_cli(server, "promote", MODEL, "--reason", "wins", "--format", "json"))
    assert promoted[0]["previous"] == "v1"
    assert promoted[0]["version"] == "v2"
    back = json.loads(_cli(server, "rollback", MODEL, "--reason", "errors", "--format", "json"))
    assert back[0]["version"] == "v1"
    assert back[0]["rollback"] is True
    history = json.loads(_cli(server, "alias", "history", MODEL, "champion", "--format", "json"))
    assert [(m["previous"], m["version"]) for m in history] == [
        ("v2", "v1"), ("v1", "v2"), (None, "v1"),
    ]  # fmt: skip
    table = _cli(server, "alias", "list", MODEL)
    assert "champion" in table
    assert "challenger" in table

    with RegistryClient(server.url) as client:
        predictor = client.load(MODEL, workdir=tmp_path)  # the champion: v1
        rows = [{"a": 0.5, "b": -1.0}, {"a": -1.0, "b": 2.0}]
        expected = files["v1"][1].predict(np.array([[0.5, -1.0], [-1.0, 2.0]])).tolist()
        assert predictor.predict(rows) == expected
        record = client.get_version(MODEL, "v1")
        assert record.aliases == ("champion",)
        assert record.lineage.run_id == "run-1"

    target = tmp_path / "downloaded.skops"
    _cli(server, "download", MODEL, "v2", "-o", str(target))
    assert target.read_bytes() == files["v2"][0].read_bytes()

    # Tamper with the stored file: the service refuses to serve it, and so does the SDK.
    stored = next((tmp_path / "artifacts").rglob("model-2.skops"))
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    refused = api.get(f"/models/{MODEL}/versions/v2/artifact")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "checksum_mismatch"
    with RegistryClient(server.url) as client, pytest.raises(ChecksumMismatchError):
        client.download(MODEL, "v2", tmp_path / "again.skops")
    failed = run_cli("models", "download", MODEL, "v2", "-o", str(tmp_path / "x"),
                     "--url", server.url)  # fmt: skip
    assert failed.returncode == 2
    assert "checksum" in failed.stderr.lower() or "sha-256" in failed.stderr.lower()
    assert "Traceback" not in failed.stderr
    api.close()


def test_http_concurrency_rules(server: Server, tmp_path: Path) -> None:
    api = httpx.Client(base_url=server.url + "/v1")
    assert api.post("/models", json={"name": MODEL, "task": "binary"}).status_code == 201
    path, _ = _model_file(tmp_path, 5)
    data = path.read_bytes()
    wrong = {"flavor": "sklearn", "sha256": "0" * 64}
    answer = api.put(
        f"/models/{MODEL}/versions/bad/artifact",
        files={"file": ("m.skops", data)},
        data={"manifest": json.dumps(wrong)},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "checksum_mismatch"
    manifest = {"flavor": "sklearn", "sha256": hashlib.sha256(data).hexdigest()}
    for version in ("1", "2", "3", "4"):
        answer = api.put(f"/models/{MODEL}/versions/{version}/artifact",
                         files={"file": ("m.skops", data)},
                         data={"manifest": json.dumps(manifest)})  # fmt: skip
        assert answer.status_code == 201, answer.text
        assert answer.headers["etag"] == '"1"'
    again = api.put(f"/models/{MODEL}/versions/1/artifact", files={"file": ("m.skops", data)},
                    data={"manifest": json.dumps(manifest)})  # fmt: skip
    assert again.status_code == 409
    by_uri = api.put(
        f"/models/{MODEL}/versions/5/artifact",
        json={**manifest, "uri": api.get(f"/models/{MODEL}/versions/1").json()["artifact"]["uri"]},
    )
    assert by_uri.status_code == 201, by_uri.text
    outside = api.put(f"/models/{MODEL}/versions/6/artifact",
                      json={**manifest, "uri": str(path)})  # fmt: skip
    assert outside.status_code == 422
    assert "under the artifact store" in outside.text

    created = api.put(f"/models/{MODEL}/aliases/champion", json={"version": "1", "reason": "go"})
    assert created.status_code == 200
    assert created.headers["etag"] == '"1"'
    missing = api.put(f"/models/{MODEL}/aliases/champion", json={"version": "2", "reason": "x"})
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "precondition_required"
    assert api.get(f"/models/{MODEL}/aliases/champion").headers["etag"] == '"1"'

    def move(version: str, results: list[int]) -> None:
        with httpx.Client(base_url=server.url + "/v1") as own:
            results.append(own.put(f"/models/{MODEL}/aliases/champion",
                                   json={"version": version, "reason": "race"},
                                   headers={"If-Match": '"1"'}).status_code)  # fmt: skip

    results: list[int] = []
    threads = [threading.Thread(target=move, args=(v, results)) for v in ("2", "3", "4")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409, 409]
    stale = api.post(f"/models/{MODEL}/aliases/champion/rollback", json={"reason": "x"},
                     headers={"If-Match": '"1"'})  # fmt: skip
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_revision"
    assert stale.json()["error"]["details"] == {"expected": 1, "current": 2}
    with RegistryClient(server.url) as client, pytest.raises(StaleRevisionError):
        client.set_alias(MODEL, "champion", "4", reason="old read", revision=1)

    version = api.get(f"/models/{MODEL}/versions/2")
    assert version.headers["etag"] == f'"{version.json()["revision"]}"'
    rejected = api.post(f"/models/{MODEL}/versions/5/status",
                        json={"status": "rejected", "reason": "worse"},
                        headers={"If-Match": '"1"'})  # fmt: skip
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    refused = api.put(f"/models/{MODEL}/aliases/canary", json={"version": "5", "reason": "x"})
    assert refused.status_code == 409
    page = api.get(f"/models/{MODEL}/versions", params={"limit": 2}).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = api.get(f"/models/{MODEL}/versions", params={"cursor": page["next_cursor"]}).json()
    assert [v["version"] for v in page["items"] + rest["items"]] == ["1", "2", "3", "4", "5"]
    api.close()
