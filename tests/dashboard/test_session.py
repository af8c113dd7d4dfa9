"""Session tokens and CSRF tokens of the dashboard (``server.dashboard._session``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftpilot.errors import AuthError
from driftpilot.server.dashboard._session import SessionSigner

SECRET = b"a-report-secret-of-at-least-32-characters"
NOW = 1_767_225_600


def test_a_session_opens_until_it_expires() -> None:
    signer = SessionSigner(SECRET, ttl_seconds=3600)
    session = signer.issue("0123456789abcdef", "admin", now=NOW)
    assert signer.verify(session.token, now=NOW + 3599) == session
    assert session.can_act
    with pytest.raises(AuthError, match="expired"):
        signer.verify(session.token, now=NOW + 3600)
    assert not signer.issue("0123456789abcdef", "read", now=NOW).can_act


def test_a_forged_or_edited_token_is_refused() -> None:
    signer = SessionSigner(SECRET, ttl_seconds=3600)
    token = signer.issue("0123456789abcdef", "read", now=NOW).token
    key_id, scope, expires, signature = token.split(".")
    for edited in (f"{key_id}.admin.{expires}.{signature}",  # a read session made admin
                   f"{key_id}.{scope}.{int(expires) + 86400}.{signature}",  # a later expiry
                   f"fedcba9876543210.{scope}.{expires}.{signature}"):  # fmt: skip
        with pytest.raises(AuthError, match="signature does not match"):
            signer.verify(edited, now=NOW)
    with pytest.raises(AuthError, match="malformed"):
        signer.verify(token[:-2], now=NOW)
    with pytest.raises(AuthError, match="Sign in"):
        signer.verify(None, now=NOW)
    other = SessionSigner(b"another-secret-of-at-least-32-characters!", ttl_seconds=3600)
    with pytest.raises(AuthError, match="signature does not match"):
        other.verify(token, now=NOW)


def test_a_report_link_signature_is_no_session() -> None:
    """The session key is derived from the report secret, never the secret itself."""
    from driftpilot.alerts.report_links import ReportLinks

    link = ReportLinks(SECRET, ttl_seconds=3600).token(7, now=NOW * 1_000_000)
    expires, signature = link.split(".")
    with pytest.raises(AuthError):
        SessionSigner(SECRET, ttl_seconds=3600).verify(
            f"0123456789abcdef.admin.{expires}.{signature}", now=NOW
        )


@given(st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
       st.sampled_from(["read", "admin"]))  # fmt: skip
def test_csrf_tokens_belong_to_their_session(key_id: str, scope: str) -> None:
    signer = SessionSigner(SECRET, ttl_seconds=3600)
    one = signer.issue(key_id, scope, now=NOW)
    two = signer.issue(key_id, scope, now=NOW + 1)
    assert signer.check_csrf(one, signer.csrf(one))
    assert not signer.check_csrf(one, signer.csrf(two))
    assert not signer.check_csrf(one, None)
    assert not signer.check_csrf(one, "")
