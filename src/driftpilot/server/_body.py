"""Reading a batch body ``{"events": [...]}`` and keeping each item's JSON text.

The service stores each event as the JSON text the client sent (its audit record), so it
should not parse the body and then serialise every event again: that second pass cost more
than the parse. The fast path walks the top-level object with ``json``'s own scanner
(``JSONDecoder.raw_decode``, the C scanner) and slices out the text of each array item as
it parses it. Anything it does not expect (another encoding, odd nesting, invalid JSON)
falls back to ``json.loads`` of the whole body, whose result (or error) is then used, with
no item texts; the store then writes each item itself.

An integer with more digits than Python converts (4,300) would make the whole body fail to
parse; the parse is then done again with a decoder that reads such an integer as an
``OversizedInt`` (its digits), which the store rejects for that item alone.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from driftpilot.errors import RequestFormatError
from driftpilot.store._values import OversizedInt

__all__ = ["parse_batch"]


def _parse_int(digits: str) -> int | OversizedInt:
    try:
        return int(digits)
    except ValueError:  # past sys.get_int_max_str_digits()
        return OversizedInt(digits)


_DECODER = json.JSONDecoder()
_TOLERANT = json.JSONDecoder(parse_int=_parse_int)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _Unexpected(Exception):
    """The fast path met something it leaves to ``json.loads``."""


def parse_batch(body: bytes, key: str) -> tuple[Any, list[str] | None]:
    """Return the parsed body and, when the fast path applies, the text of each ``key`` item.

    Raises
    ------
    RequestFormatError
        The body is not valid JSON.
    """
    decoder = _DECODER
    try:
        text = body.decode("utf-8")
        try:
            return _scan(text, key, _DECODER)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer too long to convert: read it as an OversizedInt
            decoder = _TOLERANT
            return _scan(text, key, _TOLERANT)
    except (_Unexpected, UnicodeDecodeError, ValueError, IndexError, RecursionError):
        pass
    try:
        if decoder is _TOLERANT:
            return json.loads(body, parse_int=_parse_int), None
        return json.loads(body), None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, a too-long integer
        raise RequestFormatError(f"The request body is not valid JSON: {err}") from None
    except RecursionError:
        raise RequestFormatError(
            "The request body is not valid JSON: it is nested too deeply."
        ) from None


def _skip(text: str, i: int) -> int:
    match = _WHITESPACE.match(text, i)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _scan(text: str, key: str, decoder: json.JSONDecoder) -> tuple[dict[str, Any], list[str]]:
    i = _skip(text, 0)
    if text[i : i + 1] != "{":
        raise _Unexpected
    data: dict[str, Any] = {}
    texts: list[str] | None = None
    i = _skip(text, i + 1)
    if text[i : i + 1] == "}":
        raise _Unexpected
    while True:
        if text[i : i + 1] != '"':
            raise _Unexpected
        name, i = scanstring(text, i + 1)
        i = _skip(text, i)
        if text[i : i + 1] != ":":
            raise _Unexpected
        i = _skip(text, i + 1)
        if name == key and text[i : i + 1] == "[":
            data[name], texts, i = _array(text, i + 1, decoder)
        else:
            data[name], i = decoder.raw_decode(text, i)
            if name == key:
                texts = None
        i = _skip(text, i)
        mark = text[i : i + 1]
        if mark == ",":
            i = _skip(text, i + 1)
        elif mark == "}":
            break
        else:
            raise _Unexpected
    if _skip(text, i + 1) != len(text) or texts is None:
        raise _Unexpected
    return data, texts


def _array(text: str, i: int, decoder: json.JSONDecoder) -> tuple[list[Any], list[str], int]:
    items: list[Any] = []
    texts: list[str] = []
    i = _skip(text, i)
    if text[i : i + 1] == "]":
        return items, texts, i + 1
    decode = decoder.raw_decode
    while True:
        value, end = decode(text, i)
        items.append(value)
        texts.append(text[i:end])
        i = _skip(text, end)
        mark = text[i : i + 1]
        if mark == ",":
            i = _skip(text, i + 1)
        elif mark == "]":
            return items, texts, i + 1
        else:
            raise _Unexpected
