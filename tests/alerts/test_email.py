"""E-mail against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import socket
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from alerts._loopback import LoopbackSMTP
from alerts._notifications import notification
from driftpilot.alerts.channels import DeliveryError, EmailChannel
from driftpilot.alerts.delivery import deliver
from driftpilot.errors import InvalidParameterError

PASSWORD = "pa55-W0RD-never-shown"


@pytest.fixture
def smtp() -> Iterator[LoopbackSMTP]:
    with LoopbackSMTP() as server:
        yield server


def channel_for(server: LoopbackSMTP, **kwargs: Any) -> EmailChannel:
    options: dict[str, Any] = {
        "sender": "driftpilot <alerts@driftpilot.example.com>",
        "recipients": ["oncall@example.com", "ml-team@example.com"],
        "timeout": 5,
    }
    options.update(kwargs)
    return EmailChannel("127.0.0.1", server.port, **options)


def received(server: LoopbackSMTP) -> tuple[Any, EmailMessage]:
    (envelope,) = server.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return envelope, message


def test_sends_a_multipart_message_to_every_recipient(smtp: LoopbackSMTP) -> None:
    n = notification()
    channel_for(smtp).send(n)
    envelope, message = received(smtp)
    assert envelope.mail_from == "alerts@driftpilot.example.com"
    assert envelope.rcpt_tos == ["oncall@example.com", "ml-team@example.com"]
    assert message["Subject"] == "[CRITICAL] Data drift on loan-default: 3 features drifted"
    assert message["To"] == "oncall@example.com, ml-team@example.com"
    assert message["From"] == "driftpilot <alerts@driftpilot.example.com>"
    assert message["Message-ID"] == f"<{n.id}@driftpilot.example.com>"
    assert message["References"].startswith("<alert-")
    assert message["Date"].datetime == datetime(2026, 1, 1, tzinfo=UTC)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert "PSI above 0.25 on income, age and term." in text
    assert "Model: loan-default (version 3)" in text
    assert "- feature_0 — psi 0.3" in text
    assert "Report: https://driftpilot.example.com/reports/42" in text
    markup = html.get_content()
    assert "<li>feature_0 — psi 0.3</li>" in markup
    assert '<a href="https://driftpilot.example.com/reports/42">' in markup


def test_resolved_subject_and_one_thread_per_alert(smtp: LoopbackSMTP) -> None:
    channel = channel_for(smtp)
    channel.send(notification())
    channel.send(notification(kind="resolved", id="1e1c9a86-0a3c-4b56-9d55-6c1a3f9f0a77"))
    first, second = (email.message_from_bytes(e.original_content, policy=email.policy.default)
                     for e in smtp.envelopes)  # fmt: skip
    assert str(second["Subject"]).startswith("[RESOLVED] ")
    assert first["References"] == second["References"]
    assert first["Message-ID"] != second["Message-ID"]


def test_html_escapes_and_header_stays_one_line(smtp: LoopbackSMTP) -> None:
    channel_for(smtp).send(notification(title="a <b>\nbold</b> & co", revision=True))
    _, message = received(smtp)
    assert message["Subject"] == "[CRITICAL] a <b> bold</b> & co"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "a &lt;b&gt;" in html.get_content()
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "Revision: late labels" in plain.get_content()


def test_starttls_against_a_server_without_it_fails_clearly(smtp: LoopbackSMTP) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel_for(smtp, starttls=True).send(notification())
    err = caught.value
    assert not err.retryable
    assert "STARTTLS" in str(err)
    assert smtp.envelopes == []  # nothing went out in clear text


def test_authentication_works_and_a_wrong_password_is_not_shown() -> None:
    with LoopbackSMTP(credentials=("driftpilot", PASSWORD)) as server:
        channel_for(server, username="driftpilot", password=PASSWORD).send(notification())
        assert len(server.envelopes) == 1
        wrong = channel_for(server, username="driftpilot", password=PASSWORD + "x")
        with pytest.raises(DeliveryError) as caught:
            wrong.send(notification())
    err = caught.value
    assert (err.retryable, err.status) == (False, 535)
    text = str(err) + repr(err) + "".join(traceback.format_exception(err)) + repr(wrong)
    assert PASSWORD not in text


def test_refused_and_busy_recipients(smtp: LoopbackSMTP) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel_for(smtp, recipients=["nobody@refused.test"]).send(notification())
    assert (caught.value.retryable, caught.value.status) == (False, 550)
    with pytest.raises(DeliveryError) as caught:
        channel_for(smtp, recipients=["someone@busy.test"]).send(notification())
    assert (caught.value.retryable, caught.value.status) == (True, 450)
    with pytest.raises(DeliveryError) as caught:
        channel_for(smtp, recipients=["ok@example.com", "nobody@refused.test"]).send(notification())
    assert not caught.value.retryable
    assert "accepted for 1 of 2" in str(caught.value)
    assert "nobody@refused.test" in str(caught.value)


def test_connection_refused_is_retryable_and_dead_letters() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        channel = EmailChannel("127.0.0.1", port, sender="a@b.test", recipients=["c@d.test"],
                               timeout=2)  # fmt: skip
        result = deliver(channel, notification(), attempts=2, sleep=lambda _: None)
    assert result.dead_lettered
    assert result.attempts == 2
    assert result.dead_letter is not None
    assert result.dead_letter.retryable
    assert "ConnectionRefusedError" in (result.error or "")


def test_repr_hides_the_password() -> None:
    channel = EmailChannel("smtp.example.com", 587, sender="a@b.test", recipients="c@d.test",
                           username="u", password=PASSWORD, starttls=True)  # fmt: skip
    assert PASSWORD not in repr(channel)
    assert channel.recipients == ("c@d.test",)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"port": 0}, "port"),
        ({"sender": "not an address"}, "sender"),
        ({"recipients": ["nobody"]}, "recipients"),
        ({"starttls": True, "ssl": True}, "starttls"),
        ({"password": "p"}, "password"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, Any], name: str) -> None:
    options: dict[str, Any] = {"port": 25, "sender": "a@b.test", "recipients": ["c@d.test"]}
    options.update(kwargs)
    port = options.pop("port")
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        EmailChannel("localhost", port, **options)
