"""Read any saved driftpilot document, whatever its kind."""

from __future__ import annotations

import os

from driftpilot.errors import ProfileFormatError
from driftpilot.profile import _serial
from driftpilot.profile._profile import Profile
from driftpilot.profile.baseline import Baseline

__all__ = ["load"]


def load(path: str | os.PathLike[str]) -> Profile | Baseline:
    """Read a file saved by ``Profile.save`` or ``Baseline.save``, choosing by its ``"kind"``.

    Raises
    ------
    ProfileFormatError
        The file is missing, not JSON, of an unknown ``schema_version`` or kind, or
        malformed; the message names the file and the problem.
    """
    document = _serial.read_document(path)
    kind = document.get("kind") if isinstance(document, dict) else None
    if kind == "baseline":
        return _serial.load_file(Baseline.from_dict, path)
    if kind == "profile":
        return _serial.load_file(Profile.from_dict, path)
    raise ProfileFormatError(
        f"Cannot read profile file {os.fspath(path)!r}: its 'kind' must be 'profile' or "
        f"'baseline'. Got {kind!r} instead."
    )
