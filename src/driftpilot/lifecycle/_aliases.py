"""The rules of alias moves: which versions an alias may point at, and where a rollback goes.

An alias names one version of a model (``champion``, ``challenger``, ``canary``, or any
other). Every move is recorded with the version it pointed at before, so rolling back is
one move: back to the ``previous`` of the newest move. A rollback is itself a move, so
rolling back twice returns to where the first rollback started (an undo of the undo); to go
further back, name the version (``to``), which must be one the alias pointed at before.

Decisions:

* ``set`` refuses a version with no artifact (nothing to serve), and a ``rejected`` or
  ``archived`` one. A rollback is the emergency path and is refused only when there is
  nowhere to go: it may restore a version rejected or archived since (the move records it).
* A rollback after the alias was removed restores the version it pointed at.

Pure functions: the store calls them inside the transaction that records the move.
"""

from __future__ import annotations

from collections.abc import Iterable

from driftpilot.errors import ConflictError
from driftpilot.lifecycle._records import AliasMove, VersionStatus

__all__ = ["check_alias_target", "rollback_target"]

_SERVABLE = frozenset({VersionStatus.REGISTERED, VersionStatus.VALIDATED})


def check_alias_target(model: str, alias: str, version: str, status: VersionStatus | None) -> None:
    """Raise ``ConflictError`` unless ``alias`` may be set to a version with ``status``."""
    if status is None:
        raise ConflictError(
            f"Version {version!r} of model {model!r} has no registered artifact, so alias "
            f"{alias!r} cannot point at it. Register it first (driftpilot models register)."
        )
    if status not in _SERVABLE:
        raise ConflictError(
            f"Version {version!r} of model {model!r} is {status.value}; alias {alias!r} can "
            "point only at a registered or validated version."
        )


def rollback_target(
    model: str, alias: str, history: Iterable[AliasMove], *, to: str | None = None
) -> str:
    """Return the version a rollback of ``alias`` moves it to.

    Parameters
    ----------
    model, alias
        For the messages.
    history
        The alias's moves, newest first (only the newest is read unless ``to`` is given).
    to
        A version the alias pointed at before; default: the one before the newest move.

    Raises
    ------
    ConflictError
        The alias was never set, pointed at nothing before its newest move, or never pointed
        at ``to``.
    """
    moves = iter(history)
    newest = next(moves, None)
    if newest is None:
        raise ConflictError(
            f"Alias {alias!r} of model {model!r} was never set: there is nothing to roll back."
        )
    if to is not None:
        if to in (newest.version, newest.previous) or any(
            to in (m.version, m.previous) for m in moves
        ):
            if to == newest.version:
                raise ConflictError(
                    f"Alias {alias!r} of model {model!r} already points at version {to!r}."
                )
            return to
        raise ConflictError(
            f"Alias {alias!r} of model {model!r} never pointed at version {to!r}, so it cannot "
            "be rolled back to it; set the alias instead (driftpilot models alias set)."
        )
    if newest.previous is None:
        raise ConflictError(
            f"Alias {alias!r} of model {model!r} pointed at no version before "
            f"{newest.version!r}: there is nothing to roll back to."
        )
    return newest.previous
