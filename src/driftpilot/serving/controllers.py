"""Traffic controllers: make a platform serve what a deployment says.

driftpilot's own :class:`~driftpilot.serving.Router` watches the deployment itself. Where a
platform owns the traffic (KServe, Seldon, SageMaker), a :class:`TrafficController` applies
each new deployment to it. One registry, :data:`CONTROLLERS`, names the built-ins; a
configuration (``{"kind": "command", "command": [...]}``) is validated in full by
:func:`controller_from_config` when it is loaded, so a typo fails at once, naming the field.

* ``router``: the built-in router. Routers poll the deployment, so there is nothing to
  push; given the routers' ``/status`` URLs, ``apply`` waits until each one serves the new
  revision (or reports which did not within the timeout).
* ``command``: runs a user command (an argument list, no shell) with the deployment in its
  environment: ``DRIFTPILOT_MODEL``, ``DRIFTPILOT_REVISION``, ``DRIFTPILOT_CHAMPION``,
  ``DRIFTPILOT_CHAMPION_WEIGHT``, ``DRIFTPILOT_CANARY`` (empty without one),
  ``DRIFTPILOT_CANARY_WEIGHT``, ``DRIFTPILOT_SHADOWS`` (comma-separated) and
  ``DRIFTPILOT_DEPLOYMENT`` (the whole state as JSON). A non-zero exit, a timeout or a
  command that cannot start is a ``failed`` result with the exit code and the end of its
  stderr, logged as an error: never silent.
* ``webhook``: POSTs a CloudEvent 1.0 (``type`` ``dev.driftpilot.deployment.changed``, the
  deployment and its weights as ``data``) with httpx; a status other than 2xx, or no
  answer, is ``failed``.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import httpx

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle import Deployment

__all__ = [
    "CONTROLLERS",
    "CommandController",
    "ControllerResult",
    "RouterController",
    "TrafficController",
    "WebhookController",
    "controller_from_config",
    "weights",
]

logger = logging.getLogger("driftpilot.serving")
_STDERR_TAIL = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class ControllerResult:
    """What applying a deployment did: ``applied`` or ``failed``, and why."""

    controller: str
    status: Literal["applied", "failed"]
    revision: int
    detail: str

    @property
    def ok(self) -> bool:
        """Whether the deployment was applied."""
        return self.status == "applied"


class TrafficController(Protocol):
    """Applies a deployment to whatever routes the traffic."""

    kind: str

    def apply(self, deployment: Deployment) -> ControllerResult:
        """Make the platform serve ``deployment``; never raises for a platform failure."""
        ...


def weights(deployment: Deployment) -> dict[str, float]:
    """Return each serving version's share of traffic in percent (shadows get none)."""
    if deployment.champion is None:
        return {}
    canary = deployment.canary
    if canary is None:
        return {deployment.champion: 100.0}
    return {deployment.champion: 100.0 - canary.weight, canary.version: canary.weight}


def _result(kind: str, deployment: Deployment, ok: bool, detail: str) -> ControllerResult:
    if not ok:
        logger.error(
            "%s controller failed to apply %s revision %d: %s",
            kind,
            deployment.model,
            deployment.revision,
            detail,
        )
    return ControllerResult(
        controller=kind,
        status="applied" if ok else "failed",
        revision=deployment.revision,
        detail=detail,
    )


def _positive(value: object, name: str, kind: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidParameterError(
            f"The {name!r} option of the {kind} controller must be a number > 0. "
            f"Got {value!r} instead."
        )
    return float(value)


class CommandController:
    """Run ``command`` with the deployment in its environment (see the module docstring)."""

    kind = "command"

    def __init__(
        self,
        command: Sequence[str] | str,
        *,
        timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise InvalidParameterError(
                f"The 'command' option of the command controller must be a non-empty list of "
                f"arguments. Got {command!r} instead."
            )
        self.command = argv
        self.timeout = _positive(timeout, "timeout", self.kind)
        self.env = dict(env or {})

    def environment(self, deployment: Deployment) -> dict[str, str]:
        """Return the variables the command runs with (besides the inherited ones)."""
        canary = deployment.canary
        return {
            "DRIFTPILOT_MODEL": deployment.model,
            "DRIFTPILOT_REVISION": str(deployment.revision),
            "DRIFTPILOT_CHAMPION": deployment.champion or "",
            "DRIFTPILOT_CHAMPION_WEIGHT": f"{100.0 - deployment.canary_weight:g}",
            "DRIFTPILOT_CANARY": "" if canary is None else canary.version,
            "DRIFTPILOT_CANARY_WEIGHT": f"{deployment.canary_weight:g}",
            "DRIFTPILOT_SHADOWS": ",".join(deployment.shadows),
            "DRIFTPILOT_DEPLOYMENT": json.dumps(deployment.to_dict(), sort_keys=True),
        }

    def apply(self, deployment: Deployment) -> ControllerResult:
        """Run the command; ``failed`` on a non-zero exit, a timeout, or no such program."""
        env = {**os.environ, **self.env, **self.environment(deployment)}
        try:
            done = subprocess.run(
                self.command,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return _result(
                self.kind,
                deployment,
                False,
                f"{self.command[0]} did not finish within {self.timeout:g} s",
            )
        except OSError as err:
            return _result(self.kind, deployment, False, f"could not run {self.command[0]}: {err}")
        if done.returncode != 0:
            tail = done.stderr[-_STDERR_TAIL:].strip()
            return _result(
                self.kind,
                deployment,
                False,
                f"{self.command[0]} exited with {done.returncode}: {tail}",
            )
        return _result(self.kind, deployment, True, done.stdout[-_STDERR_TAIL:].strip())


class WebhookController:
    """POST each deployment as a CloudEvent to ``url``."""

    kind = "webhook"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidParameterError(
                f"The 'url' option of the webhook controller must be an http(s) URL. "
                f"Got {url!r} instead."
            )
        self.url = url
        self.timeout = _positive(timeout, "timeout", self.kind)
        self._http = httpx.Client(
            headers=dict(headers or {}), timeout=self.timeout, transport=transport
        )

    def event(self, deployment: Deployment) -> dict[str, Any]:
        """Return the CloudEvent sent for ``deployment``."""
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": f"/driftpilot/models/{deployment.model}/deployment",
            "type": "dev.driftpilot.deployment.changed",
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": {"deployment": deployment.to_dict(), "weights": weights(deployment)},
        }

    def apply(self, deployment: Deployment) -> ControllerResult:
        """POST the event; ``failed`` unless the receiver answers 2xx."""
        try:
            reply = self._http.post(self.url, json=self.event(deployment))
        except httpx.HTTPError as err:
            return _result(self.kind, deployment, False, f"POST {self.url} failed: {err!r}")
        if not reply.is_success:
            return _result(
                self.kind,
                deployment,
                False,
                f"POST {self.url} answered {reply.status_code}: {reply.text[:200]}",
            )
        return _result(self.kind, deployment, True, f"POST {self.url}: {reply.status_code}")

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


class RouterController:
    """driftpilot's routers: confirm that each serves the new revision (``/status``)."""

    kind = "router"

    def __init__(
        self,
        status_urls: Sequence[str] = (),
        *,
        timeout: float = 30.0,
        poll: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.status_urls = list(status_urls)
        self.timeout = _positive(timeout, "timeout", self.kind)
        self.poll = _positive(poll, "poll", self.kind)
        self._http = httpx.Client(timeout=self.poll * 4 + 1, transport=transport)

    def _revision(self, url: str) -> int | None:
        try:
            reply = self._http.get(url)
            value = reply.json().get("revision") if reply.is_success else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return value if isinstance(value, int) else None

    def apply(self, deployment: Deployment) -> ControllerResult:
        """Wait until every router serves ``deployment.revision`` (or newer)."""
        if not self.status_urls:
            return _result(
                self.kind,
                deployment,
                True,
                "routers poll the deployment; no status URLs to confirm",
            )
        deadline = time.monotonic() + self.timeout
        behind = list(self.status_urls)
        while True:
            behind = [u for u in behind if (self._revision(u) or -1) < deployment.revision]
            if not behind:
                return _result(
                    self.kind, deployment, True, f"{len(self.status_urls)} routers serve it"
                )
            if time.monotonic() >= deadline:
                return _result(
                    self.kind,
                    deployment,
                    False,
                    f"not served within {self.timeout:g} s by {', '.join(behind)}",
                )
            time.sleep(self.poll)


@dataclass(frozen=True, slots=True)
class ControllerKind:
    """A registry entry: how to build a controller, its options, what it does."""

    build: Callable[..., TrafficController]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    description: str


#: The one registry of traffic controllers (validation, docs and errors read it).
CONTROLLERS: Mapping[str, ControllerKind] = {
    "router": ControllerKind(
        RouterController,
        (),
        ("status_urls", "timeout", "poll"),
        "driftpilot's router (confirms each router serves the revision)",
    ),
    "command": ControllerKind(
        CommandController,
        ("command",),
        ("timeout", "env"),
        "runs a command with the deployment in its environment",
    ),
    "webhook": ControllerKind(
        WebhookController, ("url",), ("headers", "timeout"), "POSTs the deployment as a CloudEvent"
    ),
}


def controller_from_config(config: Mapping[str, Any]) -> TrafficController:
    """Return the controller ``config`` describes: ``{"kind": ..., <its options>}``.

    Raises
    ------
    InvalidParameterError
        An unknown kind, a missing or unknown option, or an option out of range.
    """
    kind = config.get("kind")
    entry = CONTROLLERS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        raise InvalidParameterError(
            f"The 'kind' of a traffic controller must be one of "
            f"{', '.join(map(repr, CONTROLLERS))}. Got {kind!r} instead."
        )
    options = {k: v for k, v in config.items() if k != "kind"}
    unknown = sorted(set(options) - {*entry.required, *entry.optional})
    if unknown:
        raise InvalidParameterError(
            f"The {kind} controller takes no option {unknown[0]!r}; it takes "
            f"{', '.join(map(repr, (*entry.required, *entry.optional)))}."
        )
    missing = [name for name in entry.required if name not in options]
    if missing:
        raise InvalidParameterError(f"The {kind} controller needs the {missing[0]!r} option.")
    required = {name: options.pop(name) for name in entry.required}
    try:
        return entry.build(*required.values(), **options)
    except TypeError as err:
        raise InvalidParameterError(f"The {kind} controller's options are invalid: {err}") from err
