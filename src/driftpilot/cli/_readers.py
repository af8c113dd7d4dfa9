"""Read the files the CLI is given: CSV, Parquet, JSON-lines, or a saved profile.

The format comes from the file name (``.csv``, ``.tsv``, ``.parquet``/``.pq``, ``.jsonl``/
``.ndjson``, ``.json``). A ``.json`` file is a saved profile or baseline when it is one JSON
object with a ``schema_version`` key; otherwise it is read as JSON-lines. Files above
``PROGRESS_BYTES`` show a progress bar on standard error while they are read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from driftpilot.errors import DriftpilotError
from driftpilot.profile import Baseline, Profile, load_profile

__all__ = ["PROGRESS_BYTES", "InputFileError", "read_input"]

PROGRESS_BYTES = 20 * 1024 * 1024
_CSV = {".csv", ".tsv", ".txt"}
_PARQUET = {".parquet", ".pq"}
_JSONL = {".jsonl", ".ndjson"}


class InputFileError(DriftpilotError, ValueError):
    """A file given on the command line is missing, unreadable or of an unknown format."""

    code = "input_file"


def read_input(path: Path, *, console: Console) -> pa.Table | Profile | Baseline:
    """Read ``path`` as a table or a saved profile, with a progress bar for large files."""
    if not path.exists():
        raise InputFileError(f"File not found: {path}")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give a CSV, Parquet or JSON-lines file.")
    suffix = path.suffix.lower()
    if suffix == ".json" and _looks_like_profile(path):
        return load_profile(path)
    if suffix not in _CSV | _PARQUET | _JSONL | {".json"}:
        raise InputFileError(
            f"Cannot tell the format of {path} from its name. Use .csv, .tsv, .parquet, "
            ".jsonl or .json (a saved profile or JSON-lines)."
        )
    try:
        if suffix in _PARQUET:
            return _read_parquet(path, console)
        with _progress_file(path, console) as handle:
            if suffix in _CSV:
                options = pa_csv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
                return pa_csv.read_csv(handle, parse_options=options)
            return pa_json.read_json(handle)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"Cannot read {path}: {_first_line(err)}") from err


def _looks_like_profile(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"{") and b'"schema_version"' in head and b"\n{" not in head


def _read_parquet(path: Path, console: Console) -> pa.Table:
    parquet = pq.ParquetFile(path)
    if path.stat().st_size < PROGRESS_BYTES or parquet.num_row_groups < 2:
        return parquet.read()
    batches = []
    with _progress(console, MofNCompleteColumn()) as progress:
        task = progress.add_task(f"reading {path.name}", total=parquet.metadata.num_rows)
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group)
            batches.append(table)
            progress.advance(task, table.num_rows)
    return pa.concat_tables(batches)


class _CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read to a progress bar."""

    def __init__(self, raw: Any, progress: Progress | None, task: Any) -> None:
        self._raw = raw
        self._progress = progress
        self._task = task

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = int(self._raw.readinto(buffer))
        if self._progress is not None:
            self._progress.advance(self._task, n)
        return n

    def close(self) -> None:
        self._raw.close()
        if self._progress is not None:
            self._progress.stop()
        super().close()


def _progress_file(path: Path, console: Console) -> io.BufferedReader:
    raw = path.open("rb", buffering=0)
    size = path.stat().st_size
    if size < PROGRESS_BYTES:
        return io.BufferedReader(_CountingReader(raw, None, None))
    progress = _progress(console, DownloadColumn())
    task = progress.add_task(f"reading {path.name}", total=size)
    progress.start()
    return io.BufferedReader(_CountingReader(raw, progress, task), buffer_size=1 << 20)


def _progress(console: Console, amount: ProgressColumn) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        amount,
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _first_line(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
