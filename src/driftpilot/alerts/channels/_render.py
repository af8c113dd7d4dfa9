"""Plain-text pieces every channel shows the same way: findings, windows, tiers, headlines."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from driftpilot.alerts.notification import iso

if TYPE_CHECKING:
    from driftpilot.alerts.notification import Finding, Notification

__all__ = [
    "MAX_FINDINGS",
    "finding_line",
    "finding_lines",
    "headline",
    "model_text",
    "revision_note",
    "stable_key",
    "truncate",
    "window",
]

#: Findings listed in a message; the rest are counted ("… and 3 more").
MAX_FINDINGS = 12


def truncate(text: str, limit: int) -> str:
    """Return ``text`` cut to at most ``limit`` characters, ending in "…" when cut.

    Examples
    --------
    >>> truncate("abcdef", 4), truncate("abc", 4)
    ('abc…', 'abc')
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def finding_line(finding: Finding) -> str:
    """Return "feature — metric value" (the check's name when there is no feature).

    Examples
    --------
    >>> from driftpilot.alerts.notification import Finding
    >>> finding_line(Finding(check="drift", metric="psi", feature="age", segment=None,
    ...                      value=0.31234, severity="critical"))
    'age — psi 0.3123'
    """
    subject = finding.feature or finding.check
    if finding.segment:
        subject = f"{subject} [{finding.segment}]"
    return f"{subject} — {finding.metric} {_number(finding.value)}"


def finding_lines(notification: Notification) -> list[str]:
    """Return the first :data:`MAX_FINDINGS` finding lines, and a count of the rest."""
    findings = list(notification.findings)
    lines = [finding_line(f) for f in findings[:MAX_FINDINGS]]
    if len(findings) > MAX_FINDINGS:
        lines.append(f"… and {len(findings) - MAX_FINDINGS} more")
    return lines


def window(notification: Notification) -> str:
    """Return the window as "start to end" in RFC 3339, UTC."""
    return f"{iso(notification.window_start)} to {iso(notification.window_end)}"


def model_text(notification: Notification) -> str:
    """Return the model, with its version when known."""
    if notification.version:
        return f"{notification.model} (version {notification.version})"
    return notification.model


def headline(notification: Notification) -> str:
    """Return "[CRITICAL] title", or "[RESOLVED] title" for a resolved alert."""
    tag = "RESOLVED" if notification.kind == "resolved" else notification.tier.upper()
    return f"[{tag}] {notification.title}"


def revision_note(notification: Notification) -> str | None:
    """Return the note marking a late-label revision, or ``None``."""
    if not notification.revision:
        return None
    return "Revision: late labels changed the result of a past window."


def stable_key(key: str, limit: int) -> str:
    """Return ``key``, or a stable prefix and SHA-256 digest of it if longer than ``limit``.

    Examples
    --------
    >>> stable_key("rule/model", 255)
    'rule/model'
    >>> long = stable_key("x" * 300, 255)
    >>> len(long), long == stable_key("x" * 300, 255)
    (255, True)
    """
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: limit - len(digest) - 1]}~{digest}"
