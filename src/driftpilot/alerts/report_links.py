"""Signed links to one run's HTML report, for the "Open the report" button of an alert.

A link is ``{public_url}/reports/runs/{run_id}?token={expires}.{signature}``: ``expires`` is
the Unix time (seconds) after which the link no longer opens, and ``signature`` the URL-safe
base64 of HMAC-SHA256 over ``driftpilot-report:{run_id}:{expires}`` with the service's report
secret. The token therefore opens one run, read-only, until it expires; changing the run id or
the expiry breaks the signature. No API key is needed, so a browser opens it from Slack or an
e-mail.

The secret is ``DRIFTPILOT_REPORT_SECRET`` when set (every replica and every CLI process that
makes or opens links must share it), else 32 random bytes generated once into
``<data_dir>/report-link.key`` (mode 0600; created with an atomic exclusive link, so two
processes starting at once agree). Replacing the secret revokes every link made with the old
one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from driftpilot.errors import ForbiddenError, InvalidParameterError

__all__ = ["SECRET_FILE", "ReportLinkError", "ReportLinks", "file_secret"]

#: Where a generated secret is kept, inside the service's data folder.
SECRET_FILE = "report-link.key"
_TOKEN = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{43})")


class ReportLinkError(ForbiddenError):
    """A report link whose token is missing, malformed, tampered with or expired (403)."""


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def file_secret(folder: Path) -> bytes:
    """Return the secret kept in ``folder/report-link.key``, generating it the first time."""
    path = folder / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".report-link-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process's file stands
            os.link(temporary, path)  # atomic and exclusive: the first process wins
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise InvalidParameterError(
            f"The report secret file {path} holds {len(text)} characters; it needs at least 32 "
            "(delete it to have a new one generated, which revokes existing report links)."
        )
    return text.encode("ascii")


class ReportLinks:
    """Make and check report tokens.

    Parameters
    ----------
    secret
        The HMAC key, or a function returning it (read lazily, once: a generated secret file
        is only created when a link is first made or opened).
    ttl_seconds
        How long a link opens after it is made.
    """

    def __init__(self, secret: bytes | Callable[[], bytes], *, ttl_seconds: int) -> None:
        if ttl_seconds < 1:
            raise InvalidParameterError(
                f"The 'ttl_seconds' parameter of ReportLinks must be >= 1. Got {ttl_seconds}."
            )
        self._secret = secret
        self._key: bytes | None = secret if isinstance(secret, bytes) else None
        self._lock = threading.Lock()
        self.ttl_seconds = ttl_seconds

    def _resolved(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    assert callable(self._secret)
                    self._key = self._secret()
        return self._key

    def secret(self) -> bytes:
        """Return the HMAC key (read or generated on first use); other signers derive theirs."""
        return self._resolved()

    def _signature(self, run_id: int, expires: int) -> str:
        message = f"driftpilot-report:{run_id}:{expires}".encode("ascii")
        digest = hmac.new(self._resolved(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def token(self, run_id: int, *, now: int) -> str:
        """Return the token of run ``run_id``, expiring ``ttl_seconds`` after ``now`` (µs)."""
        expires = now // 1_000_000 + self.ttl_seconds
        return f"{expires}.{self._signature(run_id, expires)}"

    def url(self, base_url: str, run_id: int, *, now: int) -> str:
        """Return the signed link to run ``run_id``'s HTML report under ``base_url``."""
        return f"{base_url.rstrip('/')}/reports/runs/{run_id}?token={self.token(run_id, now=now)}"

    def verify(self, run_id: int, token: str | None, *, now: int) -> None:
        """Raise ``ReportLinkError`` unless ``token`` opens run ``run_id`` at ``now`` (µs)."""
        if not token:
            raise ReportLinkError(
                "This report needs the 'token' of a signed link (the alert's 'Open the report'); "
                "with an API key, read GET /v1/runs/{run_id} instead."
            )
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ReportLinkError("The report link's token is malformed (it was cut or edited).")
        expires = int(match.group(1))
        expected = self._signature(run_id, expires)
        if not hmac.compare_digest(expected, match.group(2)):
            raise ReportLinkError(
                f"The report link's token does not open run {run_id}: it was made for another "
                "run, edited, or signed with another secret."
            )
        if now // 1_000_000 >= expires:
            raise ReportLinkError(
                f"The report link expired at {_iso(expires)}; open the run from a newer alert "
                "or with an API key."
            )
