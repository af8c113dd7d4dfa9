"""The service's commands: db upgrade, keys create|list|revoke, serve's refusals."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from driftpilot.cli import app
from driftpilot.store import Scope, Store, migrate

runner = CliRunner()


def test_db_upgrade_then_keys_lifecycle(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    upgraded = runner.invoke(app, ["db", "upgrade", "--data-dir", data])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"revision {migrate.head_revision()}" in upgraded.stdout
    created = runner.invoke(app, ["keys", "create", "--scope", "ingest", "--scope", "read",
                                  "--name", "sdk", "--data-dir", data])  # fmt: skip
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("dp_")
    assert "cannot be shown again" in created.stderr
    store = Store.from_url(data_dir=data)
    assert store.keys.verify(key, Scope.READ).name == "sdk"
    listed = runner.invoke(app, ["keys", "list", "--data-dir", data])
    assert "ingest, read" in listed.stdout
    assert key not in listed.stdout
    key_id = key.split("_")[1]
    revoked = runner.invoke(app, ["keys", "revoke", key_id, "--data-dir", data])
    assert revoked.exit_code == 0
    assert store.keys.list_keys()[0].revoked_at is not None
    compacted = runner.invoke(app, ["db", "compact", "--data-dir", data])
    assert compacted.exit_code == 0
    store.close()


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    data = str(tmp_path)
    cases = [
        (["keys", "create", "--scope", "root", "--data-dir", data], "scope must be one of"),
        (["keys", "revoke", "nope", "--data-dir", data], "There is no API key 'nope'"),
        (["serve", "--host", "10.1.2.3", "--no-auth"], "Refusing to run without API keys"),
        (["serve", "--port", "70000"], "Invalid setting 'port'"),
        (["db", "upgrade", "--db", "mysql://x@y/z"], "SQLite or PostgreSQL"),
        (["db", "upgrade", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x"], "Cannot use"),
        (["serve", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x"], "Cannot use"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 or "Cannot use" in message
