"""The versioned JSON form of profiles and baselines: field readers, floats, files.

Format decisions, shared by every saved object:

* A document is a JSON object with ``"schema_version"`` and ``"kind"`` (``"profile"`` or
  ``"baseline"``). Version 2 (written since the exact quantile grids) adds the
  configuration's ``quantile_grid`` and a numeric summary's ``grid`` and
  ``quantization_error``; version 1 files read as summaries without a grid. A reader
  refuses any other version with :class:`ProfileFormatError`.
* Floats are written with Python's ``repr`` (``json``'s default), which reads back to the
  same float bit for bit. JSON has no infinity or NaN, so non-finite floats are written as
  the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (histogram edges always start at
  ``"-inf"`` and end at ``"inf"``); the writer uses ``allow_nan=False`` so a stray
  non-finite float fails loudly instead of writing ``Infinity``.
* Sketches are the base64 (standard alphabet, padded) of their DataSketches
  ``serialize()`` bytes, which are portable across DataSketches languages.
* Files are written atomically: a temporary file in the same directory, flushed and
  synced, then ``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from driftpilot._typing import FloatArray, IntArray
from driftpilot.errors import ProfileFormatError

__all__ = [
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "Fields",
    "b64",
    "check_document",
    "encode_float",
    "encode_floats",
    "load_file",
    "load_sketch",
    "parse_json_text",
    "read_document",
    "to_json_text",
    "write_document",
]

SCHEMA_VERSION = 2
#: Every version this reader reads.
READABLE_VERSIONS = (1, 2)

T = TypeVar("T")

# The process umask, read once at import (reading it means setting it, so not per call).
_UMASK = os.umask(0o022)
os.umask(_UMASK)

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def encode_float(value: float | None) -> float | str | None:
    """Return ``value`` as a JSON value: the float itself, or ``"inf"``/``"-inf"``/``"nan"``."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "nan"
    return "inf" if value > 0 else "-inf"


def encode_floats(values: FloatArray) -> list[float | str | None]:
    """Return an array of floats as a JSON list (see :func:`encode_float`)."""
    return [encode_float(v) for v in values.tolist()]


class Fields:
    """Typed access to the fields of one JSON object, failing with the object's path.

    ``where`` names the object in messages (``"columns[2] ('age')"``); every failure is a
    :class:`ProfileFormatError` naming the field, what it must be and what was found.
    """

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ProfileFormatError(f"{where} must be a JSON object. Got {_kind(data)} instead.")
        self.data: Mapping[str, Any] = data
        self.where = where

    def fail(self, key: str, expected: str) -> ProfileFormatError:
        """Return the error for field ``key`` not holding ``expected``."""
        found = _kind(self.data[key]) if key in self.data else "nothing (the field is missing)"
        return ProfileFormatError(
            f"Field {key!r} of {self.where} must be {expected}. Got {found} instead."
        )

    def raw(self, key: str) -> Any:
        """Return the field as parsed, requiring only that it exists."""
        if key not in self.data:
            raise self.fail(key, "present")
        return self.data[key]

    def get_int(self, key: str, *, minimum: int = 0) -> int:
        """Return an integer field that is at least ``minimum``."""
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer >= {minimum}")
        return value

    def get_bool(self, key: str) -> bool:
        """Return a boolean field."""
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def get_str(self, key: str) -> str:
        """Return a string field."""
        value = self.data.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def get_optional_str(self, key: str) -> str | None:
        """Return a string field, or ``None`` for ``null``."""
        if self.data.get(key, "") is None:
            return None
        return self.get_str(key)

    def get_float(self, key: str) -> float:
        """Return a float field, decoding ``"inf"``/``"-inf"``/``"nan"``."""
        decoded = _decode_float(self.data.get(key))
        if decoded is None:
            raise self.fail(key, "a number")
        return decoded

    def get_optional_float(self, key: str) -> float | None:
        """Return a float field, or ``None`` for ``null``."""
        if self.data.get(key, "") is None:
            return None
        return self.get_float(key)

    def get_floats(self, key: str) -> FloatArray:
        """Return a list of floats as a float64 array."""
        values = self.get_list(key)
        decoded = [_decode_float(v) for v in values]
        if any(v is None for v in decoded):
            raise self.fail(key, "a list of numbers")
        return np.asarray(decoded, dtype=np.float64)

    def get_ints(self, key: str) -> IntArray:
        """Return a list of non-negative integers as an int64 array."""
        values = self.get_list(key)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
            raise self.fail(key, "a list of integers >= 0")
        return np.asarray(values, dtype=np.int64).reshape(-1)

    def get_list(self, key: str) -> list[Any]:
        """Return a list field."""
        value = self.data.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "a list")
        return value

    def get_object(self, key: str) -> Fields:
        """Return an object field as :class:`Fields`."""
        if key not in self.data:
            raise self.fail(key, "a JSON object")
        return Fields(self.data[key], f"field {key!r} of {self.where}")

    def get_sketch(self, key: str) -> bytes:
        """Return a base64 field as bytes."""
        value = self.data.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "a base64 string")
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as err:
            raise self.fail(key, "a base64 string") from err


def _decode_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    return None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a string of {len(value)} characters"
    return f"a JSON {'object' if isinstance(value, Mapping) else 'array'}"


def check_document(data: object, kind: str) -> Fields:
    """Check the envelope of a saved document: an object of this version and ``kind``."""
    fields = Fields(data, "the document")
    version = fields.data.get("schema_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ProfileFormatError(
            f"The document has schema_version {version!r}; this version of driftpilot reads "
            f"schema_version {readable}. Upgrade driftpilot to read newer files."
        )
    found = fields.data.get("kind")
    if found != kind:
        raise ProfileFormatError(
            f"The document is of kind {found!r}, not {kind!r}. Read any saved file with "
            "driftpilot.profile.load_profile, which returns the right kind."
        )
    return fields


def to_json_text(document: Mapping[str, Any], *, indent: int | None = None) -> str:
    """Return ``document`` as JSON text, refusing non-finite floats."""
    return json.dumps(document, allow_nan=False, ensure_ascii=False, indent=indent)


def parse_json_text(text: str | bytes) -> Any:
    """Parse JSON text, mapping any failure to :class:`ProfileFormatError`."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ProfileFormatError(f"The text is not valid JSON: {err}") from err


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"non-standard constant {name}", name, 0)


def read_document(path: str | os.PathLike[str]) -> Any:
    """Read and parse a saved JSON file, naming the file in every error."""
    try:
        text = Path(path).read_bytes()
    except OSError as err:
        raise ProfileFormatError(f"Cannot read profile file {os.fspath(path)!r}: {err}") from err
    try:
        return parse_json_text(text)
    except ProfileFormatError as err:
        raise ProfileFormatError(f"Cannot read profile file {os.fspath(path)!r}: {err}") from err


def load_file(read: Callable[[object], T], path: str | os.PathLike[str]) -> T:
    """Read a saved file with ``read`` (a ``from_dict``), naming the file in every error."""
    document = read_document(path)
    try:
        return read(document)
    except ProfileFormatError as err:
        raise ProfileFormatError(f"Cannot read profile file {os.fspath(path)!r}: {err}") from err


def write_document(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then replace)."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path()
    )
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def b64(data: bytes) -> str:
    """Return ``data`` as standard padded base64 text."""
    return base64.b64encode(data).decode("ascii")


def load_sketch(kind: Any, data: bytes, fields: Fields, key: str) -> Any:
    """Deserialize a DataSketches sketch of class ``kind``, mapping failure to our error."""
    try:
        return kind.deserialize(data)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise fields.fail(key, f"a serialized {kind.__name__}") from err
