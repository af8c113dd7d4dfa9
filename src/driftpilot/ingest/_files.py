"""Small file-system operations the spool and the dead-letter file share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform != "win32":
    import fcntl

__all__ = ["fsync_dir", "try_lock", "write_all"]


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a file descriptor (``os.write`` may write less)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; ``False`` if another holds it."""
    if sys.platform == "win32":  # pragma: no cover - no flock; one process per spool there
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def fsync_dir(directory: Path) -> None:
    """Make the creation, renaming or removal of files in ``directory`` durable."""
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
