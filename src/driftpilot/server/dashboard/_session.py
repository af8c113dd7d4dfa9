"""Dashboard sessions: an API key exchanged for a signed, expiring cookie, and CSRF tokens.

Signing in checks the key once (``KeyRepository.verify``, read or admin scope) and sets the
cookie ``dp_session`` to ``{key_id}.{scope}.{expires}.{signature}``: ``expires`` is Unix
seconds, ``signature`` the URL-safe base64 of HMAC-SHA256 over
``driftpilot-session:{key_id}:{scope}:{expires}``. The HMAC key is derived from the service's
report secret (``DRIFTPILOT_REPORT_SECRET``, else ``<data_dir>/report-link.key``, the same on
every replica) as HMAC-SHA256(report secret, ``"driftpilot-dashboard-session"``), so a session
token can never be replayed as a report link or the other way round. The cookie holds no key
secret; every request re-reads the key's record, so revoking the key ends its sessions at
once. The cookie is ``HttpOnly``, ``SameSite=Strict``, ``Path`` the dashboard's prefix, and
``Secure`` when the public URL is https.

CSRF: every form that acts carries ``csrf``, HMAC-SHA256 over ``driftpilot-csrf:{session
token}``; an action is refused (403) unless it matches the session's cookie. SameSite=Strict
already keeps other sites' requests cookieless; the token is the second lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from driftpilot.errors import AuthError

__all__ = ["COOKIE", "Session", "SessionSigner"]

COOKIE = "dp_session"
_TOKEN = re.compile(r"([0-9a-f]{16})\.(read|admin)\.(\d{1,12})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A verified session: which key signed in, with what scope, until when (Unix seconds)."""

    key_id: str
    scope: str
    expires: int
    token: str

    @property
    def can_act(self) -> bool:
        """Whether the session may acknowledge and silence (an admin key signed in)."""
        return self.scope == "admin"


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class SessionSigner:
    """Sign and check session tokens and their CSRF tokens.

    Parameters
    ----------
    report_secret
        The service's report-link secret; the session key is derived from it.
    ttl_seconds
        How long a session lasts after sign-in.
    """

    def __init__(self, report_secret: bytes, *, ttl_seconds: int) -> None:
        self._key = hmac.new(
            report_secret, b"driftpilot-dashboard-session", hashlib.sha256
        ).digest()
        self.ttl_seconds = ttl_seconds

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode("ascii"), hashlib.sha256).digest())

    def issue(self, key_id: str, scope: str, *, now: int) -> Session:
        """Return a new session of ``key_id`` with ``scope``, ``now`` in Unix seconds."""
        expires = now + self.ttl_seconds
        signature = self._sign(f"driftpilot-session:{key_id}:{scope}:{expires}")
        token = f"{key_id}.{scope}.{expires}.{signature}"
        return Session(key_id=key_id, scope=scope, expires=expires, token=token)

    def verify(self, token: str | None, *, now: int) -> Session:
        """Return the session of ``token``; ``AuthError`` if missing, forged or expired."""
        if not token:
            raise AuthError("Sign in with an API key to open the dashboard.")
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise AuthError("The session cookie is malformed; sign in again.")
        key_id, scope, expires_text, signature = match.groups()
        expected = self._sign(f"driftpilot-session:{key_id}:{scope}:{expires_text}")
        if not hmac.compare_digest(expected, signature):
            raise AuthError("The session cookie's signature does not match; sign in again.")
        expires = int(expires_text)
        if now >= expires:
            raise AuthError("The session expired; sign in again.")
        return Session(key_id=key_id, scope=scope, expires=expires, token=token)

    def csrf(self, session: Session) -> str:
        """Return the CSRF token of ``session`` (the value every action form carries)."""
        return self._sign(f"driftpilot-csrf:{session.token}")

    def check_csrf(self, session: Session, given: str | None) -> bool:
        """Whether ``given`` is ``session``'s CSRF token."""
        return given is not None and hmac.compare_digest(self.csrf(session), given)
