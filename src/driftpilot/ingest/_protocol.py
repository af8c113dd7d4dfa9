"""The service's side of a request: what a reply means, and how long to wait before a retry.

Sans I/O: the delivery loop (``_engine``) sends, this module judges. A reply is

* ``OK`` (2xx): the service has committed the batch; per-record results say which records
  it stored, already had, or rejected;
* ``RETRY`` (no reply at all, 408, 429 or 5xx): nothing was lost and sending the same batch
  again is safe, since the service ignores event ids it already has;
* ``TOO_LARGE`` (413): send the batch again in halves;
* ``BAD_REQUEST`` (400 or 422 for the whole batch): one bad record may spoil a batch, so it
  is sent again in halves, within a budget of requests, to isolate it;
* ``REFUSED`` (any other 4xx: a bad key, an unknown model): dead-lettered at once.
"""

from __future__ import annotations

import enum
import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "Backoff",
    "Outcome",
    "Reply",
    "Verdict",
    "error_of",
    "judge",
    "outcome_of",
    "retry_after",
]

#: Longest wait a Retry-After header can ask for; a longer one is capped.
MAX_RETRY_AFTER = 300.0


class Verdict(enum.Enum):
    """What to do after a reply."""

    OK = "ok"
    RETRY = "retry"
    TOO_LARGE = "too_large"
    BAD_REQUEST = "bad_request"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply, or the lack of one (``status is None``: connection error or timeout)."""

    status: int | None
    body: bytes = b""
    retry_after: float | None = None
    problem: str = ""


def judge(reply: Reply) -> Verdict:
    """Return what to do after ``reply``.

    Examples
    --------
    >>> [judge(Reply(s)).name for s in (200, 503, 429, 413, 422, 401, None)]
    ['OK', 'RETRY', 'RETRY', 'TOO_LARGE', 'BAD_REQUEST', 'REFUSED', 'RETRY']
    """
    status = reply.status
    if status is None or status in (408, 429) or status >= 500:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.OK
    if status == 413:
        return Verdict.TOO_LARGE
    if status in (400, 422):
        return Verdict.BAD_REQUEST
    return Verdict.REFUSED


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date).

    Examples
    --------
    >>> retry_after("2"), retry_after("soon"), retry_after(None)
    (2.0, None, None)
    >>> retry_after("Wed, 21 Oct 2026 07:28:10 GMT", now=datetime(2026, 10, 21, 7, 28, tzinfo=UTC))
    10.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class Backoff:
    """Exponential backoff with full jitter: the n-th wait is uniform in [0, min(cap, base·2ⁿ)].

    Full jitter spreads the retries of many clients that failed together (the service
    restarting) instead of bringing them back in waves.

    Parameters
    ----------
    base
        Upper end of the first wait, in seconds.
    cap
        Largest upper end.
    rng
        Random source, for tests.

    References
    ----------
    Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015.

    Examples
    --------
    >>> backoff = Backoff(base=0.5, cap=4.0, rng=random.Random(0))
    >>> all(0 <= backoff.delay(n) <= min(4.0, 0.5 * 2**n) for n in range(1, 10))
    True
    >>> backoff.delay(1, retry_after=7.0)
    7.0
    """

    def __init__(self, *, base: float, cap: float, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the wait before retry number ``attempt`` (from 1); Retry-After wins."""
        if retry_after is not None:
            return retry_after
        return self._rng.uniform(0.0, min(self.cap, self.base * 2.0 ** min(attempt, 60)))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a 2xx reply says about a batch of ``n`` records."""

    accepted: int  # stored / joined / pending
    duplicates: int
    #: ``(index in the batch, error object)`` of each record the service rejected.
    rejected: list[tuple[int, Any]]


def outcome_of(reply: Reply, n: int) -> Outcome:
    """Read the per-record results of a 2xx reply to a batch of ``n`` records.

    Results are in request order. A reply without readable results counts every record as
    accepted: a 2xx means the batch was committed.

    Examples
    --------
    >>> body = b'{"stored": 1, "duplicates": 0, "rejected": 1, "results": ['
    >>> body += b'{"status": "stored"}, {"status": "rejected", "error": {"code": "x"}}]}'
    >>> outcome_of(Reply(200, body), 2)
    Outcome(accepted=1, duplicates=0, rejected=[(1, {'code': 'x'})])
    """
    try:
        results = json.loads(reply.body)["results"]
        statuses = [result["status"] for result in results]
    except (ValueError, KeyError, TypeError):
        return Outcome(accepted=n, duplicates=0, rejected=[])
    if len(statuses) != n:
        return Outcome(accepted=n, duplicates=0, rejected=[])
    rejected = [(i, results[i].get("error")) for i, s in enumerate(statuses) if s == "rejected"]
    duplicates = statuses.count("duplicate")
    return Outcome(
        accepted=n - duplicates - len(rejected), duplicates=duplicates, rejected=rejected
    )


def error_of(reply: Reply) -> Any:
    """Return the service's error object from a refusal, or one describing the reply.

    Examples
    --------
    >>> error_of(Reply(404, b'{"error": {"code": "not_found", "message": "no model"}}'))
    {'code': 'not_found', 'message': 'no model'}
    >>> error_of(Reply(401, b"go away"))["message"]
    'go away'
    """
    try:
        return json.loads(reply.body)["error"]
    except (ValueError, KeyError, TypeError):
        text = reply.body[:500].decode("utf-8", "replace")
        return {"code": f"http_{reply.status}", "message": text or reply.problem, "details": None}
