"""The alerting file of the service: channels, routes and event buses.

```yaml
# DRIFTPILOT_ALERTING=alerting.yaml
public_url: https://driftpilot.example.com     # for report links in messages
channels:
  ops: {type: webhook, url: https://hooks.example.com/driftpilot, secret: {env: HOOK_SECRET}}
  slack: {type: slack, webhook_url: {env: SLACK_WEBHOOK_URL}}
  pager: {type: pagerduty, routing_key: {file: /run/secrets/pd_key}}
routes:                       # every route whose labels match gets the notification
  - {match: {tier: critical}, channels: [pager, slack]}
  - {match: {model: "~loan-.*"}, channels: [ops]}
buses:
  - {kind: nats, url: "nats://127.0.0.1:4222", subject: driftpilot.events}
retry:                        # the outbox's schedule (these are the defaults)
  backoff: 1s                 # upper end of the first wait (full jitter), doubling per retry
  max_backoff: 10m            # longest computed wait (a Retry-After may ask for longer)
  max_age: 24h                # retried for this long after the first attempt, then dead letter
```

Labels a route can match: ``tier``, ``model``, ``monitor``, ``rule``, ``kind`` and the rule's
own ``labels``; a value starting with ``~`` is a regular expression (RE2 syntax, matched in
linear time). Secrets are given as
``{env: NAME}`` or ``{file: PATH}`` and resolved when the channel is built; they never appear
in logs or API answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from driftpilot.alerts._matchers import check_matchers, matches
from driftpilot.alerts.delivery import RetrySchedule
from driftpilot.errors import InvalidParameterError
from driftpilot.monitor._yaml import load_yaml

__all__ = ["AlertingConfig", "RetryConfig", "Route", "load_alerting"]


class Route(BaseModel):
    """Send notifications whose labels match ``match`` to ``channels``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[str, str] = {}
    channels: list[str] = Field(min_length=1)

    @field_validator("match")
    @classmethod
    def _regexes(cls, match: dict[str, str]) -> dict[str, str]:
        try:
            check_matchers(match)
        except InvalidParameterError as err:
            raise ValueError(str(err)) from None
        return match

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher holds for ``labels``."""
        return matches(self.match, labels)


class RetryConfig(BaseModel):
    """The outbox's retry schedule (``alerts.delivery.RetrySchedule``), in seconds or "2h"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backoff: float = Field(default=1.0, ge=0)
    max_backoff: float = Field(default=600.0, ge=0)
    max_age: float = Field(default=86_400.0, ge=0)

    @field_validator("backoff", "max_backoff", "max_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            from driftpilot.monitor._durations import parse_duration

            return parse_duration(value)
        return value

    def schedule(self) -> RetrySchedule:
        """Return the schedule these settings describe."""
        return RetrySchedule(
            backoff=self.backoff, max_backoff=self.max_backoff, max_age=self.max_age
        )


class AlertingConfig(BaseModel):
    """Channels, routes and buses (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: str | None = None
    source: str = "driftpilot"
    channels: dict[str, dict[str, Any]] = {}
    routes: list[Route] = []
    buses: list[dict[str, Any]] = []
    retry: RetryConfig = RetryConfig()

    def channels_for(self, labels: Mapping[str, str]) -> list[str]:
        """Return the channels of every matching route, each once, in route order."""
        found: list[str] = []
        for route in self.routes:
            if route.matches(labels):
                found.extend(c for c in route.channels if c not in found)
        return found

    def check(self) -> AlertingConfig:
        """Raise unless every route names a defined channel and every channel has a type."""
        for i, route in enumerate(self.routes):
            for name in route.channels:
                if name not in self.channels:
                    raise InvalidParameterError(
                        f"routes[{i}] names channel {name!r}, which 'channels' does not define."
                    )
        for name, options in self.channels.items():
            if "type" not in options:
                raise InvalidParameterError(f"channels.{name} needs a 'type'.")
        return self


def load_alerting(path: Path) -> AlertingConfig:
    """Read and validate an alerting file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidParameterError(f"Cannot read alerting file {path}: {err.strerror}.") from None
    except UnicodeDecodeError as err:
        raise InvalidParameterError(
            f"Cannot read alerting file {path}: it is not UTF-8 text "
            f"(byte 0x{err.object[err.start]:02x} at offset {err.start})."
        ) from None
    data, lines = load_yaml(text, where=str(path))
    try:
        return AlertingConfig.model_validate(data or {}).check()
    except ValidationError as err:
        problem = err.errors()[0]
        loc = tuple(problem["loc"])
        line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
        field = ".".join(str(p) for p in loc)
        at = f"{path}, line {line}" if line else str(path)
        raise InvalidParameterError(f"{at}, field '{field}': {problem['msg']}.") from None
