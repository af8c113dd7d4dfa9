"""The validated configuration of a client (the parameters of ``Client``)."""

from __future__ import annotations

import math
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftpilot.errors import InvalidParameterError
from driftpilot.ingest._records import is_model_version

__all__ = ["MODEL_NAME", "Settings"]

# The service's rule for model names (driftpilot.store.records.check_model_name), repeated
# here so that the SDK does not import the store; a test checks that they agree.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The validated configuration of a client (see ``Client`` for each field)."""

    url: str
    api_key: str | None
    model: str
    model_version: str | None
    batch_size: int
    flush_interval: float
    max_queue: int
    spool_dir: Path
    spool_max_bytes: int
    timeout: float
    max_retries: int
    poison_after: int
    retry_backoff: float
    max_backoff: float
    exit_timeout: float
    verify: ssl.SSLContext | bool

    @classmethod
    def make(cls, owner: str, **values: Any) -> Settings:
        """Validate the arguments of ``owner`` (``"Client"``) and return them.

        Raises
        ------
        InvalidParameterError
            An argument is out of range; the message names it and the value received.
        """

        def check(name: str, ok: bool, rule: str) -> None:
            if not ok:
                raise InvalidParameterError(
                    f"The {name!r} parameter of {owner} must be {rule}. "
                    f"Got {values[name]!r} instead."
                )

        url, model, version = values["url"], values["model"], values["model_version"]
        is_url = isinstance(url, str) and url.startswith(("http://", "https://"))
        check("url", is_url, "an http:// or https:// URL")
        is_name = isinstance(model, str) and MODEL_NAME.fullmatch(model) is not None
        check("model", is_name, f"1-200 of {_NAME_CHARACTERS}, starting with a letter or digit")
        is_version = version is None or is_model_version(version)
        check(
            "model_version",
            is_version,
            "None or 1-200 printable characters without '/', not '.' or '..'",
        )
        for name, low in _INTEGERS.items():
            value = values[name]
            check(name, _is_int(value) and value >= low, f"an integer >= {low}")
        for name in _SECONDS:
            value = values[name]
            check(name, _is_number(value) and value > 0, "a finite number of seconds > 0")
        exit_timeout = values["exit_timeout"]
        check("exit_timeout", _is_number(exit_timeout) and exit_timeout >= 0,
              "a finite number of seconds >= 0")  # fmt: skip
        check("max_backoff", values["max_backoff"] >= values["retry_backoff"],
              f"at least retry_backoff ({values['retry_backoff']})")  # fmt: skip
        spool_dir = values["spool_dir"]
        check("spool_dir", spool_dir is None or isinstance(spool_dir, str | os.PathLike),
              "a path or None")  # fmt: skip
        values["spool_dir"] = Path(spool_dir or Path(".driftpilot", "spool", model)).absolute()
        values["url"] = url.rstrip("/")
        values["api_key"] = values["api_key"] or os.environ.get("DRIFTPILOT_API_KEY") or None
        return cls(**values)


_NAME_CHARACTERS = "letters, digits, '.', '_' or '-'"
_INTEGERS = {"batch_size": 1, "max_queue": 1, "spool_max_bytes": 0, "max_retries": 0,
             "poison_after": 1}  # fmt: skip
_SECONDS = ("flush_interval", "timeout", "retry_backoff", "max_backoff")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
