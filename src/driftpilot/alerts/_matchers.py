r"""Label matchers of routes and silences: equality, or a ``~regex`` matched in linear time.

A matcher value starting with ``~`` is a regular expression that must match the whole label
value. Silences and routes are written by admins over the API and in files, and checked
against every notification, so a pattern must not be able to stall the service: Python's
backtracking ``re`` takes exponential time on ``(a+)+$`` against a long non-matching value.
Patterns are therefore compiled with RE2 (google-re2), whose automata match in time linear in
the value. RE2 refuses what needs backtracking (backreferences such as ``\1``, lookaround
``(?=...)``); such a pattern is rejected when the silence or route is created, with RE2's
reason, so it never reaches a notification. Patterns are also limited in length. A stored
silence from before this rule whose pattern RE2 refuses matches nothing (the notification is
sent, not silenced) and a warning names it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from driftpilot.errors import InvalidParameterError

__all__ = ["MAX_PATTERN_LENGTH", "check_matchers", "matches"]

logger = logging.getLogger("driftpilot.alerts")

#: Longest regular expression accepted in a matcher, in characters.
MAX_PATTERN_LENGTH = 1000

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print each refused pattern on stderr


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, options=_OPTIONS)


def _compile(name: str, pattern: str) -> Any:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidParameterError(
            f"The matcher {name!r} has a regular expression of {len(pattern):,} characters; "
            f"at most {MAX_PATTERN_LENGTH:,} are allowed."
        )
    try:
        return _compiled(pattern)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidParameterError(
            f"The matcher {name!r} is not a regular expression driftpilot accepts ({reason}): "
            f"patterns are matched in linear time (RE2 syntax), so backreferences and "
            f"lookaround are not supported. Got {pattern!r}."
        ) from None


def check_matchers(matchers: Mapping[str, str]) -> None:
    """Raise ``InvalidParameterError`` naming the first ``~regex`` that cannot be used."""
    for name, value in matchers.items():
        if value.startswith("~"):
            _compile(name, value[1:])


def matches(matchers: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds for ``labels`` (a missing label never matches)."""
    for name, wanted in matchers.items():
        value = labels.get(name)
        if value is None:
            return False
        if wanted.startswith("~"):
            try:
                pattern = _compile(name, wanted[1:])
            except InvalidParameterError as err:
                logger.warning("%s The matcher matches nothing.", err)
                return False
            if pattern.fullmatch(value) is None:
                return False
        elif value != wanted:
            return False
    return True
