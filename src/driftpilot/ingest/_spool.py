"""The spool: events and labels on disk that the service has not acknowledged yet.

A spool directory holds *segments*, ``<time_ns>-<pid>-<random>.spool``, replayed oldest
first (by name). A segment starts with a header line, ``{"driftpilot_spool": 1, "model":
...}``, followed by one line per record: its kind (``e`` or ``l``), a space and the JSON
object sent to the service. Writes go straight to the file with ``os.write`` (no buffer in
the process that a crash or a ``fork`` could lose or copy) and are fsync'd in batches by
:meth:`Spool.sync`; a new segment is created under a temporary name and renamed, and the
directory is fsync'd, so a segment either exists with its header or not at all. A line torn
by a crash mid-write is the last of its segment and is skipped (and counted) on replay.

Several processes may share one directory (the workers of one model service). A writer holds
an exclusive ``flock`` on the segment it is writing; replay takes the same lock without
waiting before reading a segment, so no segment is read while it is still being written, and
two processes never replay one segment at the same time. A process killed with SIGKILL loses
its locks with it, and its segments are replayed by whichever client finds them next.
Segments are rewritten (to a temporary file, then ``os.replace``) when part of them has been
delivered, and deleted when all of it has. The size bound is kept per process, from a scan
of the directory plus what the process itself has written since.

Written by hand: the queue libraries that persist to disk (persist-queue, diskcache) keep
items in SQLite, one transaction per put, and hand them back decoded; the spool needs raw
lines it can splice into a request body, a byte bound, and segments that processes sharing a
directory can claim, which plain files and ``flock`` give directly.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from driftpilot.ingest._files import fsync_dir, try_lock, write_all
from driftpilot.ingest._records import Record
from driftpilot.ingest._stats import LogLimiter

__all__ = ["SPOOL_FORMAT", "Segment", "Spool"]

#: Format version written in every segment's header.
SPOOL_FORMAT = 1
_BUFFER_BYTES = 64 << 10
_STALE_TEMP_SECONDS = 60.0


@dataclass(slots=True)
class Segment:
    """A segment claimed for replay: locked, read, to be finished with ``Spool.finish``."""

    path: Path
    fd: int
    size: int
    records: list[Record] = field(default_factory=list)
    #: Lines that could not be read back (torn by a crash, or corrupt).
    lost: int = 0


class Spool:
    """A bounded spool directory of one model.

    Parameters
    ----------
    directory
        Where the segments live; created on the first write.
    model
        The model whose records this spool holds; segments of other models are left alone.
    max_bytes
        Records that would take the directory past this size are not written (and counted
        as dropped by the caller).
    segment_bytes
        A segment is closed, and a new one started, once it holds this many bytes.
    on_lost
        Called with the number of lines a file-system error lost after they were taken.
    log
        Where problems with the file system are reported.
    """

    def __init__(
        self,
        directory: Path,
        *,
        model: str,
        max_bytes: int,
        log: LogLimiter,
        segment_bytes: int = 1 << 20,
        on_lost: Callable[[int], None] | None = None,
    ) -> None:
        self.directory = directory
        self._model = model
        self._header = json.dumps({"driftpilot_spool": SPOOL_FORMAT, "model": model}).encode()
        self._max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        self._log = log
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self._buffer: list[bytes] = []  # lines appended with buffered=True, not yet written
        self._buffered = 0  # their bytes
        self._fd: int | None = None  # the segment this process is writing
        self._path: Path | None = None
        self._written = 0  # bytes in that segment
        self._records = 0  # records in that segment
        self._dirty = False  # written since the last fsync
        self._total = 0  # bytes of every segment known to this process
        self._backlog: list[Path] = []  # closed segments to replay, oldest first
        self._foreign: set[Path] = set()  # segments of another model or format

    # -- writing -------------------------------------------------------------------------

    def append(self, lines: list[bytes], *, buffered: bool = False) -> int:
        """Write spool lines (kind, space, JSON, newline); return how many were taken.

        Lines past the size bound are not taken. With ``buffered=True`` (request threads,
        when the queue is full) lines are kept in memory until 64 KiB have gathered or the
        next :meth:`sync`, so that a request thread seldom makes a system call. Nothing here
        raises: a file-system error is logged, and the lines lost to it reported to
        ``on_lost``.
        """
        with self._lock:
            # Leave room for the header of a new segment, whether or not one is started.
            room = self._max_bytes - self._total - len(self._header) - 1
            count = size = 0
            for line in lines:
                if size + len(line) > room:
                    break
                size += len(line)
                count += 1
            if not count:
                return 0
            self._buffer += lines[:count]
            self._buffered += size
            self._total += size
            if not buffered or self._buffered >= _BUFFER_BYTES:
                self._write_locked()
            return count

    def _write_locked(self) -> bool:
        """Write the buffered lines to this process's segment; ``False`` if that failed."""
        if not self._buffer:
            return True
        lines, size = self._buffer, self._buffered
        self._buffer, self._buffered = [], 0
        try:
            if self._fd is not None and self._written >= self._segment_bytes:
                self._close_locked()
            if self._fd is None:
                self._open_locked()
            assert self._fd is not None
            write_all(self._fd, b"".join(lines))
        except OSError as err:
            self._log.warning(
                "spool-write", "Cannot write to the spool %s: %s", self.directory, err
            )
            self._abandon_locked()
            self._total -= size
            if self._on_lost is not None:
                self._on_lost(len(lines))
            return False
        self._written += size
        self._records += len(lines)
        self._dirty = True
        return True

    def sync(self) -> None:
        """Make everything appended so far durable (written and fsync'd)."""
        with self._lock:
            self._write_locked()
            if not self._dirty or self._fd is None:
                return
            self._dirty = False
            fd = os.dup(self._fd)  # another thread may close the segment while we wait
        try:
            os.fsync(fd)
        except OSError as err:
            self._log.warning("spool-sync", "Cannot fsync the spool %s: %s", self.directory, err)
        finally:
            os.close(fd)

    def _open_locked(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
        temporary = self.directory / f"{name}.tmp"
        path = self.directory / f"{name}.spool"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            try_lock(fd)  # a file nobody else has seen yet: the lock is free
            write_all(fd, self._header + b"\n")
            os.replace(temporary, path)
            fsync_dir(self.directory)
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        self._fd, self._path = fd, path
        self._written = len(self._header) + 1
        self._total += self._written
        self._records = 0

    def _close_locked(self) -> None:
        """Close this process's segment (fsync'd) and queue it for replay."""
        if self._fd is None or self._path is None:
            return
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            if self._records:
                self._backlog.append(self._path)
            else:
                self._path.unlink(missing_ok=True)
                self._total -= self._written
            self._fd, self._path, self._dirty, self._records = None, None, False, 0

    def _abandon_locked(self) -> None:
        """After a write error: close the segment without fsync; what it holds stays queued."""
        if self._fd is not None and self._path is not None:
            os.close(self._fd)
            self._backlog.append(self._path)
            self._fd, self._path, self._dirty, self._records = None, None, False, 0

    def close(self) -> None:
        """Close (fsync) this process's segment; it stays in the spool for the next replay."""
        with self._lock:
            try:
                self._write_locked()
                self._close_locked()
            except OSError as err:
                self._log.warning(
                    "spool-sync", "Cannot fsync the spool %s: %s", self.directory, err
                )

    def after_fork(self) -> None:
        """In a child process: drop the parent's open segment and locks (the parent keeps them)."""
        self._lock = threading.Lock()
        if self._fd is not None:
            os.close(self._fd)  # the parent's flock lives on through the parent's descriptor
        self._fd, self._path, self._records, self._dirty = None, None, 0, False
        self._buffer, self._buffered = [], 0  # the parent writes what it had buffered
        self._backlog.clear()
        self.scan()

    # -- reading -------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether records were appended since the last :meth:`sync`."""
        return self._dirty or bool(self._buffer)

    @property
    def total_bytes(self) -> int:
        """Bytes of every segment this process knows of."""
        return self._total

    def has_backlog(self) -> bool:
        """Whether records are waiting on disk (as far as this process knows)."""
        return bool(self._backlog) or self._records > 0 or bool(self._buffer)

    def scan(self) -> None:
        """Find every segment in the directory: ours, earlier runs' and other processes'."""
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return
        except OSError as err:
            self._log.warning("spool-scan", "Cannot read the spool %s: %s", self.directory, err)
            return
        now = time.time()
        sizes: dict[Path, int] = {}
        for entry in entries:
            try:
                if entry.name.endswith(".spool"):
                    sizes[Path(entry.path)] = entry.stat().st_size
                elif (
                    entry.name.endswith(".tmp")
                    and now - entry.stat().st_mtime > _STALE_TEMP_SECONDS
                ):
                    self._remove_stale(Path(entry.path))
            except FileNotFoundError:
                continue
        with self._lock:
            own = {self._path} if self._path is not None else set()
            self._total = sum(sizes.values())
            self._backlog = sorted(set(sizes) - own - self._foreign)

    def _remove_stale(self, path: Path) -> None:
        """Remove a temporary file left by a process that died while creating a segment."""
        fd = os.open(path, os.O_RDONLY)
        try:
            if try_lock(fd):
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def claim(self) -> Segment | None:
        """Lock and read the oldest segment no one else holds, or return ``None``.

        This process's own segment is closed first when nothing older is waiting, so that
        records spooled a moment ago can be replayed too.
        """
        with self._lock:
            if not self._backlog and (self._records or self._buffer):
                try:
                    self._write_locked()
                    self._close_locked()
                except OSError as err:
                    self._log.warning(
                        "spool-sync", "Cannot fsync the spool %s: %s", self.directory, err
                    )
            candidates = list(self._backlog)
        for path in candidates:
            segment = self._open_segment(path)
            if segment is not None:
                return segment
            with self._lock:  # gone, held by another process, or not ours: forget it
                if path in self._backlog:
                    self._backlog.remove(path)
        return None

    def _open_segment(self, path: Path) -> Segment | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            if not try_lock(fd) or os.stat(path).st_ino != os.fstat(fd).st_ino:
                os.close(fd)  # being written or replayed elsewhere, or replaced meanwhile
                return None
            with open(fd, "rb", closefd=False) as handle:
                data = handle.read()
        except OSError:
            os.close(fd)
            return None
        segment = Segment(path, fd, len(data))
        lines = data.split(b"\n")
        if len(lines) == 1:
            return segment  # the header was torn by a crash: an empty segment, to be removed
        if not self._is_ours(path, lines[0]):
            os.close(fd)
            return None
        segment.lost = 1 if lines[-1] else 0  # a final line without its newline was torn
        for line in lines[1:-1]:
            if line[1:2] == b" " and line[:1] in (b"e", b"l") and line.endswith(b"}"):
                segment.records.append(Record(line[:1], line[2:]))
            else:
                segment.lost += 1
        return segment

    def _is_ours(self, path: Path, header: bytes) -> bool:
        try:
            meta = json.loads(header)
            ours = bool(
                meta.get("driftpilot_spool") == SPOOL_FORMAT and meta.get("model") == self._model
            )
        except (ValueError, AttributeError):
            ours = False
        if not ours:
            self._foreign.add(path)
            self._log.warning(
                "spool-foreign",
                "Leaving %s alone: it is not a driftpilot spool segment of model %r "
                "(use one spool directory per model)",
                path,
                self._model,
            )
        return ours

    def finish(self, segment: Segment, remaining: list[Record]) -> None:
        """Delete a replayed segment, or keep only its ``remaining`` records; then unlock it."""
        try:
            if remaining:
                data = (
                    self._header
                    + b"\n"
                    + b"".join(r.kind + b" " + r.raw + b"\n" for r in remaining)
                )
                temporary = segment.path.with_name(segment.path.name + ".tmp")
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    write_all(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temporary, segment.path)
                fsync_dir(self.directory)
                size = len(data)
            else:
                segment.path.unlink(missing_ok=True)
                size = 0
        except OSError as err:
            self._log.warning("spool-write", "Cannot update the spool %s: %s", self.directory, err)
            size = segment.size  # the segment is still there, whole; it is replayed again
        finally:
            os.close(segment.fd)
        with self._lock:
            self._total += size - segment.size
            if size == 0 and segment.path in self._backlog:
                self._backlog.remove(segment.path)
