r"""What a stored value may be, so that everything stored reads back through every path.

An event or label is stored as JSON text and read back by pages, exports (JSON lines and
Parquet), profiles and monitor runs. Some values parse but cannot take all of those paths, so
they are refused at the boundary, per item, with an error naming the field:

* strings (values and object keys) must be Unicode scalar values: a lone surrogate
  (written ``\ud800`` in JSON) has no UTF-8 form, so neither the database nor a response
  could hold it (``invalid_string``);
* integers must fit in a signed 64-bit integer (``-2**63 .. 2**63-1``); a larger one, or one
  with more digits than Python converts (4,300), is refused rather than silently rounded to a
  float: send it as a float (``1e20``) if that is what it is, or as a string if it is an id
  (``invalid_number``);
* objects and arrays may nest at most :data:`MAX_DEPTH` levels, counting the item itself
  (``too_deep``).

Floats are not checked here: NaN and the infinities are stored and flagged (``_checks``).

The walk over an item costs more than the parse, so :func:`suspect` first looks at the item's
JSON text with one regular expression and two counts; only a text that might break a rule
(a surrogate escape, a run of 19 digits, many brackets) is walked.
"""

from __future__ import annotations

import re
from typing import Any

from driftpilot.store.records import ErrorInfo

__all__ = ["INT_MAX", "INT_MIN", "MAX_DEPTH", "OversizedInt", "check_value", "suspect"]

#: Deepest nesting of objects and arrays in an event or label, counting the item itself.
MAX_DEPTH = 32
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

# a surrogate (as a character, or as a JSON escape), or an integer that may pass int64
_SUSPECT = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]|\d{19}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class OversizedInt(str):
    """The digits of a JSON integer too long for ``int`` (the request parser's stand-in)."""

    __slots__ = ()


def suspect(text: str) -> bool:
    """Whether the JSON ``text`` of an item might break a rule (if not, it cannot)."""
    if _SUSPECT.search(text) is not None:
        return True
    return text.count("{") + text.count("[") > MAX_DEPTH


def check_value(value: Any, where: str) -> ErrorInfo | None:
    """Return the error of the first value inside ``value`` that breaks a rule, else ``None``.

    ``where`` names ``value`` in the message (``events[3]``); the error's
    ``details.field`` is the path of the offending value (``events[3].features.age``).
    """
    return _walk(value, where, 1)


def _walk(value: Any, where: str, depth: int) -> ErrorInfo | None:
    kind = type(value)
    if kind is dict or kind is list:
        if depth > MAX_DEPTH:
            return _error(
                "too_deep",
                where,
                f"{where} is nested more than {MAX_DEPTH} levels deep (objects and arrays, "
                "counting the event or label itself).",
            )
        if kind is dict:
            for key, item in value.items():
                if _SURROGATE.search(key) is not None:
                    return _error(
                        "invalid_string",
                        f"{where}[{key!a}]",
                        f"The key {key!a} in {where} holds a lone surrogate; keys and "
                        "strings must be valid Unicode (no U+D800-U+DFFF on their own).",
                    )
                problem = _walk(item, f"{where}.{key}", depth + 1)
                if problem is not None:
                    return problem
        else:
            for index, item in enumerate(value):
                problem = _walk(item, f"{where}[{index}]", depth + 1)
                if problem is not None:
                    return problem
        return None
    if kind is OversizedInt:
        return _error(
            "invalid_number",
            where,
            f"{where} is an integer of {len(value.lstrip('-')):,} digits; integers must be "
            "within -2**63..2**63-1 (send a float or a string instead).",
        )
    if isinstance(value, str):
        if _SURROGATE.search(value) is not None:
            return _error(
                "invalid_string",
                where,
                f"{where} holds a lone surrogate ({_first_surrogate(value)}); strings must be "
                "valid Unicode (no U+D800-U+DFFF on their own).",
            )
        return None
    if kind is int and not INT_MIN <= value <= INT_MAX:
        sign = "-" if value < 0 else ""
        return _error(
            "invalid_number",
            where,
            f"{where} is {sign}{_magnitude(value)}, outside the 64-bit integer range "
            "-2**63..2**63-1 (send a float or a string instead).",
        )
    return None


def _first_surrogate(text: str) -> str:
    match = _SURROGATE.search(text)
    assert match is not None
    return f"U+{ord(match.group()):04X}"


def _magnitude(value: int) -> str:
    bits = abs(value).bit_length()
    return f"an integer of about 2**{bits - 1}"


def _error(code: str, field_path: str, message: str) -> ErrorInfo:
    path = field_path if _SURROGATE.search(field_path) is None else ascii(field_path)
    text = message if _SURROGATE.search(message) is None else ascii(message)
    return ErrorInfo(code=code, message=text, details={"field": path})
