"""A model's deployment: which version serves which traffic, and the one way to change it.

A :class:`Deployment` names the champion (the version that serves by default), an optional
canary with its traffic weight and the owner that runs it (a rollout id or a person), the
shadow versions that see a copy of the traffic, and how a request is mapped to a version
(the routing key, and whether the mapping is sticky across canaries).

Every change goes through :func:`apply`, one state machine, which returns the new state and
a :class:`DeploymentChange` (who, why, when, what). Its invariants, checked on every
transition and by the constructor:

* one champion; a canary and shadows only beside a champion;
* a canary only while an owner (a rollout id or a person) holds it;
* a weight in [0, 100];
* the champion, the canary and the shadows are distinct versions;
* the routing key does not change while a canary runs (it would move users between
  versions mid-rollout);
* a rollback is always allowed: it ends the canary if there is one, else restores the
  previous champion (or the version given), else records that there was nothing to undo.

The revision grows by one on every change; the store uses it for optimistic concurrency.
This module is pure: no clock (``now`` is passed in), no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from driftpilot.errors import ConflictError, InvalidParameterError

__all__ = [
    "AddShadow",
    "Canary",
    "Deployment",
    "DeploymentChange",
    "DeploymentTransitionError",
    "PromoteCanary",
    "RemoveShadow",
    "Rollback",
    "RoutingKey",
    "SetChampion",
    "SetRouting",
    "SetWeight",
    "StartCanary",
    "StopCanary",
    "Transition",
    "apply",
    "empty_deployment",
]

RoutingKind = Literal["feature", "header", "request_id"]
_KINDS: tuple[RoutingKind, ...] = ("feature", "header", "request_id")
MAX_SHADOWS = 10


class DeploymentTransitionError(ConflictError):
    """A transition the current deployment state does not allow (HTTP 409)."""


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidParameterError(
            f"The {name!r} of a deployment must be non-empty text of at most 200 characters. "
            f"Got {value!r} instead."
        )
    return value


def _check_weight(weight: object) -> float:
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or not 0 <= weight <= 100
    ):
        raise InvalidParameterError(
            f"The 'weight' of a canary must be a number in [0, 100] (percent of traffic). "
            f"Got {weight!r} instead."
        )
    return float(weight)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingKey:
    """What a request is hashed on: a feature of the row, a request header, or its id."""

    kind: RoutingKind = "request_id"
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidParameterError(
                f"The routing key 'kind' must be one of {', '.join(map(repr, _KINDS))}. "
                f"Got {self.kind!r} instead."
            )
        if self.kind == "request_id":
            if self.name is not None:
                raise InvalidParameterError(
                    f"A 'request_id' routing key takes no 'name'. Got {self.name!r} instead."
                )
        else:
            _check_text(self.name, f"{self.kind} name of the routing key")


@dataclass(frozen=True, slots=True, kw_only=True)
class Canary:
    """A version on a share of the traffic, held by ``owner`` (a rollout id or a person)."""

    version: str
    weight: float
    owner: str

    def __post_init__(self) -> None:
        _check_text(self.version, "canary version")
        _check_text(self.owner, "canary owner")
        object.__setattr__(self, "weight", _check_weight(self.weight))


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """Which version serves which traffic of ``model``, at ``revision``.

    ``sticky``: a key's position on the hash line depends on the key alone, so the same
    users are on every canary first; otherwise it is salted with the canary's version, so
    each canary draws its own users. Either way a key on the canary at weight ``w`` stays on
    it at any ``w' > w``.
    """

    model: str
    champion: str | None = None
    canary: Canary | None = None
    shadows: tuple[str, ...] = ()
    routing_key: RoutingKey = field(default_factory=RoutingKey)
    sticky: bool = True
    previous_champion: str | None = None
    revision: int = 0

    def __post_init__(self) -> None:
        _check_text(self.model, "model")
        named = [v for v in (self.champion, self.previous_champion) if v is not None]
        for version in (*named, *self.shadows):
            _check_text(version, "version")
        if self.champion is None and (self.canary is not None or self.shadows):
            raise InvalidParameterError(
                "A deployment with a canary or shadows needs a champion; set one first."
            )
        serving = [self.champion, *([self.canary.version] if self.canary else []), *self.shadows]
        if len(set(serving)) != len(serving):
            raise InvalidParameterError(
                f"The champion, the canary and the shadows must be distinct versions. Got "
                f"{serving!r} instead."
            )
        if len(self.shadows) > MAX_SHADOWS:
            raise InvalidParameterError(
                f"A deployment takes at most {MAX_SHADOWS} shadow versions. "
                f"Got {len(self.shadows)} instead."
            )
        if isinstance(self.revision, bool) or not isinstance(self.revision, int):
            raise InvalidParameterError(
                f"The 'revision' must be an integer. Got {self.revision!r}."
            )
        if self.revision < 0:
            raise InvalidParameterError(f"The 'revision' must be >= 0. Got {self.revision}.")

    @property
    def canary_weight(self) -> float:
        """The canary's share of traffic in percent (0 without a canary)."""
        return 0.0 if self.canary is None else self.canary.weight

    def versions(self) -> tuple[str, ...]:
        """Return the versions that serve or see traffic: champion, canary, shadows."""
        found = [self.champion, self.canary.version if self.canary else None, *self.shadows]
        return tuple(v for v in found if v is not None)

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data (read back by :meth:`from_dict`)."""
        canary = self.canary
        return {
            "model": self.model,
            "champion": self.champion,
            "canary": None
            if canary is None
            else {"version": canary.version, "weight": canary.weight, "owner": canary.owner},
            "shadows": list(self.shadows),
            "routing_key": {"kind": self.routing_key.kind, "name": self.routing_key.name},
            "sticky": self.sticky,
            "previous_champion": self.previous_champion,
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deployment:
        """Return the deployment ``data`` describes (as :meth:`to_dict` wrote it)."""
        try:
            canary = data["canary"]
            key = data["routing_key"]
            return cls(
                model=data["model"],
                champion=data["champion"],
                canary=None if canary is None else Canary(**canary),
                shadows=tuple(data["shadows"]),
                routing_key=RoutingKey(kind=key["kind"], name=key["name"]),
                sticky=bool(data["sticky"]),
                previous_champion=data["previous_champion"],
                revision=int(data["revision"]),
            )
        except (KeyError, TypeError) as err:
            raise InvalidParameterError(f"Not a deployment document: {err}.") from err


def empty_deployment(model: str) -> Deployment:
    """Return the state of a model nothing was deployed for yet (revision 0, no champion)."""
    return Deployment(model=model)


# -- transitions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SetChampion:
    """Make ``version`` the champion (no canary may be running: promote or stop it)."""

    version: str
    action: Literal["set_champion"] = "set_champion"


@dataclass(frozen=True, slots=True, kw_only=True)
class StartCanary:
    """Put ``version`` on ``weight`` percent of the traffic, held by ``owner``."""

    version: str
    weight: float
    owner: str
    action: Literal["start_canary"] = "start_canary"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetWeight:
    """Change the running canary's weight."""

    weight: float
    action: Literal["set_weight"] = "set_weight"


@dataclass(frozen=True, slots=True, kw_only=True)
class StopCanary:
    """End the canary; its traffic returns to the champion."""

    action: Literal["stop_canary"] = "stop_canary"


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoteCanary:
    """Make the canary the champion (the old champion is kept as ``previous_champion``)."""

    action: Literal["promote_canary"] = "promote_canary"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddShadow:
    """Mirror traffic to ``version`` (its predictions are logged, never returned)."""

    version: str
    action: Literal["add_shadow"] = "add_shadow"


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveShadow:
    """Stop mirroring traffic to ``version``."""

    version: str
    action: Literal["remove_shadow"] = "remove_shadow"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollback:
    """Undo: end the canary, else restore the previous champion (or ``to``). Always allowed."""

    to: str | None = None
    action: Literal["rollback"] = "rollback"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetRouting:
    """Change the routing key and stickiness (not while a canary runs)."""

    routing_key: RoutingKey
    sticky: bool = True
    action: Literal["set_routing"] = "set_routing"


Transition = (
    SetChampion | StartCanary | SetWeight | StopCanary | PromoteCanary | AddShadow
    | RemoveShadow | Rollback | SetRouting
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentChange:
    """One recorded transition: what was asked, by whom, why, when, and the state after."""

    model: str
    revision: int
    action: str
    params: Mapping[str, Any]
    actor: str
    reason: str
    at: datetime
    state: Deployment

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready data."""
        return {
            "model": self.model, "revision": self.revision, "action": self.action,
            "params": dict(self.params), "actor": self.actor, "reason": self.reason,
            "at": self.at.isoformat(), "state": self.state.to_dict(),
        }  # fmt: skip


def _refuse(state: Deployment, message: str) -> DeploymentTransitionError:
    return DeploymentTransitionError(f"Deployment of {state.model!r}: {message}")


def _next(state: Deployment, transition: Transition) -> Deployment:
    canary = state.canary
    match transition:
        case SetChampion(version=version):
            if canary is not None:
                raise _refuse(
                    state,
                    f"a canary ({canary.version!r}, owned by {canary.owner!r}) "
                    "is running; promote or stop it before setting the champion.",
                )
            previous = state.champion if state.champion != version else state.previous_champion
            shadows = tuple(s for s in state.shadows if s != version)
            return replace(state, champion=version, previous_champion=previous, shadows=shadows)
        case StartCanary(version=version, weight=weight, owner=owner):
            if state.champion is None:
                raise _refuse(state, "there is no champion to run a canary beside; set one.")
            if canary is not None:
                raise _refuse(
                    state,
                    f"a canary ({canary.version!r}, owned by {canary.owner!r}) "
                    "is already running; stop or promote it first.",
                )
            if version == state.champion:
                raise _refuse(state, f"{version!r} is the champion; a canary must differ.")
            shadows = tuple(s for s in state.shadows if s != version)  # shadow -> canary
            new = Canary(version=version, weight=weight, owner=owner)
            return replace(state, canary=new, shadows=shadows)
        case SetWeight(weight=weight):
            if canary is None:
                raise _refuse(state, "there is no canary to set the weight of.")
            return replace(state, canary=replace(canary, weight=_check_weight(weight)))
        case StopCanary():
            if canary is None:
                raise _refuse(state, "there is no canary to stop.")
            return replace(state, canary=None)
        case PromoteCanary():
            if canary is None:
                raise _refuse(state, "there is no canary to promote.")
            return replace(state, champion=canary.version, canary=None,
                           previous_champion=state.champion)  # fmt: skip
        case AddShadow(version=version):
            if state.champion is None:
                raise _refuse(state, "there is no champion whose traffic to mirror; set one.")
            if version in state.versions():
                raise _refuse(state, f"{version!r} already serves or shadows traffic.")
            return replace(state, shadows=(*state.shadows, version))
        case RemoveShadow(version=version):
            if version not in state.shadows:
                raise _refuse(state, f"{version!r} is not a shadow (shadows: "
                              f"{list(state.shadows)!r}).")  # fmt: skip
            return replace(state, shadows=tuple(s for s in state.shadows if s != version))
        case Rollback(to=to):
            return _rollback(state, to)
        case SetRouting(routing_key=key, sticky=sticky):
            if canary is not None and (key != state.routing_key or sticky != state.sticky):
                raise _refuse(
                    state,
                    "the routing key cannot change while a canary runs (users "
                    "would move between versions); stop or promote it first.",
                )
            return replace(state, routing_key=key, sticky=sticky)
    raise InvalidParameterError(f"Not a deployment transition: {transition!r}.")


def _rollback(state: Deployment, to: str | None) -> Deployment:
    if to is not None:
        _check_text(to, "rollback target")
        previous = state.champion if state.champion != to else state.previous_champion
        shadows = tuple(s for s in state.shadows if s != to)
        return replace(state, champion=to, canary=None, previous_champion=previous,
                       shadows=shadows)  # fmt: skip
    if state.canary is not None:
        return replace(state, canary=None)
    if state.previous_champion is not None:
        back = state.previous_champion
        shadows = tuple(s for s in state.shadows if s != back)
        return replace(state, champion=back, previous_champion=state.champion, shadows=shadows)
    return state  # nothing to undo: still recorded, never refused


def _params(transition: Transition) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in transition.__slots__:
        value = getattr(transition, name)
        if name == "action":
            continue
        params[name] = (
            {"kind": value.kind, "name": value.name} if isinstance(value, RoutingKey) else value
        )
    return params


def apply(
    state: Deployment, transition: Transition, *, actor: str, reason: str, now: datetime
) -> tuple[Deployment, DeploymentChange]:
    """Return the state after ``transition`` and the record of the change.

    Raises
    ------
    DeploymentTransitionError
        The transition is not allowed in ``state`` (a second canary, a canary without a
        champion, a weight with no canary, ...). A :class:`Rollback` never raises it.
    InvalidParameterError
        A value is out of range (a weight outside [0, 100], an empty owner, actor or reason).
    """
    _check_text(actor, "actor")
    _check_text(reason, "reason")
    if now.tzinfo is None:
        raise InvalidParameterError("The 'now' of a deployment change must be timezone-aware.")
    after = replace(_next(state, transition), revision=state.revision + 1)
    change = DeploymentChange(
        model=state.model, revision=after.revision, action=transition.action,
        params=_params(transition), actor=actor, reason=reason, at=now, state=after,
    )  # fmt: skip
    return after, change
