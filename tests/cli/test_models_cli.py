"""``driftpilot models``: user mistakes are one line and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftpilot.cli import app
from server.server_process import free_port

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "loans", "--url", "URL"], "Cannot reach the driftpilot service"),
        (["rollback", "loans", "--reason", "x", "--url", "URL"], "Cannot reach"),
        (["list", "loans", "--status", "maybe"], "--status must be"),
        (["register", "loans", "1"], "Give either FILE"),
        (["register", "loans", "1", "--uri", "file:///x"], "--uri needs --sha256"),
        (["register", "loans", "1", "missing.skops"], "does not exist"),
        (["register", "loans", "1", "--uri", "u", "--sha256", "0", "--tag", "oops"],
         "NAME=VALUE"),
        (["status", "loans", "1", "shipped", "--reason", "x"], "STATUS must be"),
        (["list", "loans", "--url", "ftp://host"], "http:// or https://"),
    ],
)  # fmt: skip
def test_user_mistakes_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = runner.invoke(app, ["models", *[url if a == "URL" else a for a in args]])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
