"""E-mail over SMTP: a plain-text message with an HTML alternative.

The subject is "[CRITICAL] title" (the tier), or "[RESOLVED] title". The ``Message-ID`` is made
from the notification's id, so a retried message keeps its id, and every message of one alert
carries the same ``References`` header, so mail clients thread an alert's fired, updated and
resolved messages together.

Transport security: ``ssl=True`` speaks TLS from the first byte (port 465); ``starttls=True``
upgrades a plain connection (port 587) and fails, without sending anything, when the server does
not offer STARTTLS; neither is plain SMTP (a local relay). Credentials are only sent when
``username`` is given. Written with :mod:`smtplib` because the standard library does the job.

Errors: SMTP 4xx replies, timeouts and dropped connections are retryable; 5xx replies (a
refused recipient, bad credentials) and a missing STARTTLS are not. A message accepted for some
recipients and refused for others is reported as a non-retryable failure naming the refused
addresses, since a retry would send it again to the others.
"""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl as _ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import TYPE_CHECKING

from driftpilot.alerts.channels._base import DeliveryError
from driftpilot.alerts.channels._render import (
    finding_lines,
    headline,
    model_text,
    revision_note,
    truncate,
    window,
)
from driftpilot.alerts.channels._secrets import REDACTED, scrub
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Notification

__all__ = ["EmailChannel"]

SUBJECT_LIMIT = 200


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _facts(n: Notification) -> list[tuple[str, str]]:
    return [
        ("Model", model_text(n)),
        ("Monitor", n.monitor),
        ("Window", window(n)),
        ("Tier", n.tier),
        ("Rule", n.rule),
        ("Status", n.kind),
    ]


def plain_text(notification: Notification) -> str:
    """Return the plain-text body."""
    n = notification
    out = [headline(n), ""]
    if n.text:
        out += [n.text, ""]
    note = revision_note(n)
    if note is not None:
        out += [note, ""]
    out += [f"{k}: {v}" for k, v in _facts(n)]
    lines = finding_lines(n)
    if lines:
        out += ["", "Findings:", *(f"- {x}" for x in lines)]
    if n.report_url:
        out += ["", f"Report: {n.report_url}"]
    out += ["", "--", f"driftpilot alert {n.dedup_key}"]
    return "\n".join(out) + "\n"


def html_text(notification: Notification) -> str:
    """Return the HTML alternative (everything from the notification escaped)."""
    n = notification
    e = html.escape
    parts = [f"<h2>{e(headline(n))}</h2>"]
    if n.text:
        parts.append("<p>" + e(n.text).replace("\n", "<br>") + "</p>")
    note = revision_note(n)
    if note is not None:
        parts.append(f"<p><em>{e(note)}</em></p>")
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(n))
    parts.append(f"<table>{rows}</table>")
    lines = finding_lines(n)
    if lines:
        items = "".join(f"<li>{e(x)}</li>" for x in lines)
        parts.append(f"<h3>Findings</h3><ul>{items}</ul>")
    if n.report_url:
        parts.append(f'<p><a href="{e(n.report_url)}">Open the report</a></p>')
    parts.append(f"<p style='color:#777'>driftpilot alert {e(n.dedup_key)}</p>")
    return "<!DOCTYPE html><html><body>" + "".join(parts) + "</body></html>\n"


class EmailChannel:
    """Send notifications by e-mail through an SMTP server.

    Parameters
    ----------
    host, port
        The SMTP server.
    sender
        The ``From`` address (``"driftpilot <alerts@example.com>"`` or a bare address).
    recipients
        The ``To`` addresses.
    username, password
        Credentials for SMTP AUTH, sent only when ``username`` is given; the password is a
        secret.
    starttls
        Upgrade the connection with STARTTLS before authenticating and sending.
    ssl
        Use implicit TLS (SMTPS) from the start. Not together with ``starttls``.
    timeout
        Seconds for connecting and for each reply.
    name
        Name in results and logs.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        recipients: Sequence[str],
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10,
        name: str = "email",
    ) -> None:
        where = "EmailChannel"
        if not isinstance(host, str) or not host:
            raise InvalidParameterError(f"The 'host' parameter of {where} must be a host name.")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidParameterError(
                f"The 'port' parameter of {where} must be an integer in [1, 65535]. "
                f"Got {port!r} instead."
            )
        if not isinstance(sender, str) or "@" not in parseaddr(sender)[1]:
            raise InvalidParameterError(
                f"The 'sender' parameter of {where} must be an e-mail address. "
                f"Got {sender!r} instead."
            )
        if isinstance(recipients, str):
            recipients = [recipients]
        if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
            raise InvalidParameterError(
                f"The 'recipients' parameter of {where} must be a non-empty list of e-mail "
                f"addresses. Got {recipients!r} instead."
            )
        if starttls and ssl:
            raise InvalidParameterError(
                f"The 'starttls' and 'ssl' parameters of {where} exclude each other: STARTTLS "
                "upgrades a plain connection (port 587), ssl is TLS from the start (port 465)."
            )
        if password is not None and username is None:
            raise InvalidParameterError(
                f"The 'password' parameter of {where} needs a 'username' too."
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidParameterError(
                f"The 'timeout' parameter of {where} must be a number of seconds > 0. "
                f"Got {timeout!r} instead."
            )
        self.name = name
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = tuple(recipients)
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = float(timeout)
        self._username = username
        self._password = password
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "driftpilot.invalid"

    def __repr__(self) -> str:
        password = REDACTED if self._password else None
        return (
            f"EmailChannel(host={self.host!r}, port={self.port!r}, sender={self.sender!r}, "
            f"recipients={list(self.recipients)!r}, username={self._username!r}, "
            f"password={password!r}, starttls={self.starttls!r}, ssl={self.ssl!r}, "
            f"name={self.name!r})"
        )

    def message(self, notification: Notification) -> EmailMessage:
        """Return the e-mail for ``notification``."""
        n = notification
        msg = EmailMessage()
        msg["Subject"] = truncate(_one_line(headline(n)), SUBJECT_LIMIT)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(n.created_at / 1e6 if n.created_at else None, usegmt=True)
        msg["Message-ID"] = f"<{_one_line(n.id)}@{self._domain}>"
        thread = hashlib.sha256(n.dedup_key.encode("utf-8")).hexdigest()[:32]
        msg["References"] = f"<alert-{thread}@{self._domain}>"
        msg["X-Driftpilot-Tier"] = n.tier
        msg.set_content(plain_text(n))
        msg.add_alternative(html_text(n), subtype="html")
        return msg

    def _fail(self, what: str, *, retryable: bool, status: int | None = None) -> DeliveryError:
        secrets = [s for s in (self._password, self._username) if s]
        target = f"smtp://{self.host}:{self.port}"
        return DeliveryError(
            scrub(f"{self.name}: sending mail via {target} failed: {what}", secrets),
            channel=self.name,
            retryable=retryable,
            status=status,
        )

    def send(self, notification: Notification) -> None:
        """Send the e-mail once; raise ``DeliveryError`` unless every recipient accepted it."""
        msg = self.message(notification)
        try:
            refused = self._transmit(msg)
        except smtplib.SMTPNotSupportedError as err:
            raise self._fail(f"the server does not support it: {err}", retryable=False) from err
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            said = "; ".join(
                f"{rcpt}: {code} {_reply(text)}" for rcpt, (code, text) in err.recipients.items()
            )
            retryable = all(400 <= c < 500 for c in codes)
            raise self._fail(
                f"every recipient refused ({said})", retryable=retryable, status=max(codes)
            ) from err
        except smtplib.SMTPResponseException as err:
            code = err.smtp_code
            raise self._fail(
                f"SMTP {code} {_reply(err.smtp_error)} ({type(err).__name__})",
                retryable=400 <= code < 500 or code == -1,
                status=code,
            ) from err
        except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as err:
            raise self._fail(f"{type(err).__name__}: {err}", retryable=True) from err
        except _ssl.SSLError as err:
            raise self._fail(f"TLS failed: {err}", retryable=False) from err
        except smtplib.SMTPException as err:
            raise self._fail(f"{type(err).__name__}: {err}", retryable=False) from err
        except OSError as err:  # DNS failure, no route to host, ...
            raise self._fail(f"{type(err).__name__}: {err}", retryable=True) from err
        if refused:
            said = "; ".join(f"{r}: {code} {_reply(t)}" for r, (code, t) in refused.items())
            raise self._fail(
                f"accepted for {len(self.recipients) - len(refused)} of {len(self.recipients)} "
                f"recipients; refused: {said}",
                retryable=False,
                status=max(code for code, _ in refused.values()),
            )

    def _transmit(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        context = _ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._username is not None:
                smtp.login(self._username, self._password or "")
            return smtp.send_message(
                msg, from_addr=parseaddr(self.sender)[1], to_addrs=list(self.recipients)
            )

    def close(self) -> None:
        """Nothing to release: each send opens and closes its own SMTP connection."""

    def __enter__(self) -> EmailChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reply(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return truncate(_one_line(text), 300)
