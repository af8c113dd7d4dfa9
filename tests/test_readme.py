"""The README can be pasted: its shell and Python blocks run, in order, against a fresh service.

Every fenced ``bash`` block runs in ``bash -euo pipefail`` and every ``python`` block in the
venv's Python, one after the other, in one empty folder (the user's working folder), sharing
the environment: each shell block starts from the variables the previous ones exported
(``export DRIFTPILOT_API_KEY=...``). The README's ``driftpilot serve &`` starts the service;
``localhost:8000`` is replaced by a free port (``DRIFTPILOT_PORT`` set to it) so parallel runs
do not meet. A block may opt out with ``<!-- readme: skip (why) -->`` on the line above its
fence; ``<!-- readme: file PATH -->`` above a block writes the block to ``PATH`` instead (the
monitor YAML the later blocks use). Any failing block fails the test, naming its README line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

README = Path(__file__).parents[1] / "README.md"
_MARKER = re.compile(r"^<!-- readme: (skip|file) (.+?) -->$")
_FENCE = re.compile(r"^```(\w*)\s*$")
_SHELLS = {"bash", "sh", "shell", "console"}
MAX_SKIPS = 3  # opt-outs stay few


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int  # of the opening fence, 1-based
    marker: str | None = None  # "skip" or "file"
    argument: str = ""


class ReadmeBlockError(AssertionError):
    """A README block that failed; the message names its line and shows its output."""


def parse_blocks(text: str) -> list[Block]:
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        start = index
        body = []
        index += 1
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        marker = _MARKER.match(lines[start - 1].strip()) if start else None
        blocks.append(Block(
            lang=fence[1], code="\n".join(body) + "\n", line=start + 1,
            marker=marker[1] if marker else None, argument=marker[2] if marker else "",
        ))  # fmt: skip
        index += 1
    return blocks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Runner:
    """Runs blocks in ``work``; remembers the process groups it started, to stop them."""

    def __init__(self, work: Path, env: dict[str, str], port: int | None = None) -> None:
        self.work = work
        self.env = env
        self.port = port
        self.state = work / ".readme-env.sh"
        self.state.write_text("")
        self.groups: list[int] = []
        self.ran: dict[str, int] = {"shell": 0, "python": 0}
        self.skipped: list[Block] = []

    def _code(self, block: Block) -> str:
        if self.port is None:
            return block.code
        return re.sub(r"\b(localhost|127\.0\.0\.1):8000\b", f"127.0.0.1:{self.port}", block.code)

    def run(self, block: Block) -> None:
        if block.marker == "skip":
            self.skipped.append(block)
            return
        if block.marker == "file":
            target = self.work / block.argument
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
            return
        if block.lang in _SHELLS:
            body, kind = self._code(block), "shell"
        elif block.lang == "python":
            script = self.work / f"readme_line_{block.line}.py"
            script.write_text(self._code(block), encoding="utf-8")
            body, kind = f"python {shlex.quote(str(script))}", "python"
        else:
            return  # YAML, JSON, text: read, not run
        state = shlex.quote(str(self.state))
        program = f"set -euo pipefail\nsource {state}\n{body}\nexport -p > {state}\n"
        log = self.work / f".readme-line-{block.line}.log"
        with log.open("w") as out:  # a file, not a pipe: `serve &` keeps its copy open
            process = subprocess.Popen(
                ["bash", "-c", program], cwd=self.work, env=self.env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            self.groups.append(process.pid)
            try:
                code = process.wait(timeout=900)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        if code != 0:
            raise ReadmeBlockError(
                f"README.md line {block.line} ({block.lang} block) exited with {code}:\n"
                f"{block.code}\n--- output ---\n{log.read_text(errors='replace')[-4000:]}"
            )
        self.ran[kind] += 1

    def stop(self) -> None:
        """End every process group a block started (the README's `serve &`)."""
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for group in self.groups:
            while time.monotonic() < deadline:
                try:
                    os.killpg(group, 0)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)

    def exported(self, name: str) -> str | None:
        found = re.search(rf'^declare -x {name}="([^"]*)"$', self.state.read_text(), re.M)
        return found[1] if found else None


def _environment(work: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DRIFTPILOT_") and k not in ("COLUMNS", "LINES")}  # fmt: skip
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DRIFTPILOT_PORT"] = str(port)
    # `source .venv/bin/activate` in the README: the venv this test runs in.
    activate = work / ".venv" / "bin" / "activate"
    activate.parent.mkdir(parents=True)
    activate.write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')
    return env


def test_parse_blocks_reads_markers_and_lines() -> None:
    text = (
        "intro\n<!-- readme: skip (needs Kafka) -->\n```bash\nkafka\n```\n"
        "<!-- readme: file m/x.yaml -->\n```yaml\na: 1\n```\n```python\nprint(1)\n```\n"
    )
    skip, file, code = parse_blocks(text)
    assert (skip.lang, skip.marker, skip.argument, skip.line) == (
        "bash",
        "skip",
        "(needs Kafka)",
        3,
    )
    assert (file.marker, file.argument, file.code) == ("file", "m/x.yaml", "a: 1\n")
    assert (code.lang, code.marker, code.code) == ("python", None, "print(1)\n")


@pytest.mark.parametrize(
    "text",
    ["```bash\ntrue\nfalse\necho never\n```\n", "```bash\nfalse | cat\n```\n",
     "```python\nraise SystemExit(3)\n```\n", "```bash\necho $UNSET_VARIABLE\n```\n"],
)  # fmt: skip
def test_a_broken_block_fails(text: str, tmp_path: Path) -> None:
    runner = Runner(tmp_path, _environment(tmp_path, _free_port()))
    (block,) = parse_blocks(text)
    with pytest.raises(ReadmeBlockError, match=r"README\.md line 1 "):
        runner.run(block)


def test_blocks_share_exported_variables_and_files(tmp_path: Path) -> None:
    text = ("```bash\nexport GREETING=hello\n```\n<!-- readme: file data/g.txt -->\n"
            "```text\nworld\n```\n```python\nimport os\n"
            "assert os.environ['GREETING'] == 'hello'\n"
            "assert open('data/g.txt').read() == 'world\\n'\n```\n")  # fmt: skip
    runner = Runner(tmp_path, _environment(tmp_path, _free_port()))
    for block in parse_blocks(text):
        runner.run(block)
    assert runner.ran == {"shell": 1, "python": 1}


@pytest.mark.slow
def test_the_readme_runs_top_to_bottom(tmp_path: Path) -> None:
    port = _free_port()
    runner = Runner(tmp_path, _environment(tmp_path, port), port=port)
    blocks = parse_blocks(README.read_text(encoding="utf-8"))
    try:
        for block in blocks:
            runner.run(block)
        key = runner.exported("DRIFTPILOT_API_KEY")
        assert key is not None
        assert key.startswith("dp_")
        # what the SDK blocks logged reached the service the README started
        events = httpx.get(f"http://127.0.0.1:{port}/v1/models/loans/events",
                           params={"limit": 100}, headers={"authorization": f"Bearer {key}"},
                           timeout=10)  # fmt: skip
        assert events.status_code == 200, events.text
        assert len(events.json()["items"]) >= 4  # 1 + 2 rows of a frame + 1 through middleware
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=10).status_code == 200
    finally:
        runner.stop()
    assert runner.ran["shell"] >= 4
    assert runner.ran["python"] >= 4
    assert len(runner.skipped) <= MAX_SKIPS
    for block in runner.skipped:
        assert block.argument.startswith("(")  # says why, in brackets
        assert len(block.argument) > 10
