"""Turn the warnings scipy uses to report a fallback into a flag we record in the result."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["call_recording"]


def call_recording(
    func: Callable[..., Any],
    *args: Any,
    message: str,
    category: type[Warning],
    **kwargs: Any,
) -> tuple[Any, bool]:
    """Call ``func`` and return its result and whether it warned as ``message`` says.

    Warnings whose text matches the regular expression ``message`` (from its start) and
    whose class is ``category`` are absorbed; any other warning is passed on unchanged.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", message=message, category=category)
        result = func(*args, **kwargs)
    matched = False
    for warning in caught:
        if issubclass(warning.category, category) and _matches(message, warning.message):
            matched = True
        else:  # not ours to swallow
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return result, matched


def _matches(pattern: str, message: Warning | str) -> bool:
    return re.match(pattern, str(message), flags=re.IGNORECASE) is not None
