"""Checks shared by the detectors' ``from_dict``: the layout, its version and the type."""

from __future__ import annotations

from typing import Any

from driftpilot.detectors._stream import STATE_FORMAT
from driftpilot.errors import InvalidParameterError

__all__ = ["check_state", "state_error"]


def check_state(data: object, owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the ``params`` and ``state`` of a saved detector, raising if it is not ``owner``'s.

    Raises
    ------
    InvalidParameterError
        When ``data`` is not a mapping, names another detector or another format version.
    """
    if not isinstance(data, dict):
        msg = f"The saved state passed to {owner}.from_dict must be a dict. Got {data!r} instead."
        raise InvalidParameterError(msg)
    if data.get("type") != owner:
        msg = (
            f"The 'type' of the saved state passed to {owner}.from_dict must be {owner!r}. "
            f"Got {data.get('type')!r} instead."
        )
        raise InvalidParameterError(msg)
    if data.get("format") != STATE_FORMAT:
        msg = (
            f"The 'format' of the saved state passed to {owner}.from_dict must be "
            f"{STATE_FORMAT}. Got {data.get('format')!r} instead."
        )
        raise InvalidParameterError(msg)
    params, state = data.get("params"), data.get("state")
    if not isinstance(params, dict) or not isinstance(state, dict):
        msg = (
            f"The saved state passed to {owner}.from_dict must hold 'params' and 'state' "
            f"dicts. Got {sorted(data)!r} instead."
        )
        raise InvalidParameterError(msg)
    return params, state


def state_error(owner: str, err: Exception) -> InvalidParameterError:
    """Return the error for a saved state whose fields are missing or of the wrong type."""
    return InvalidParameterError(
        f"The 'state' of the saved state passed to {owner}.from_dict is incomplete or "
        f"malformed: {type(err).__name__}: {err}."
    )
