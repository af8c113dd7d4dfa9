"""Where events go: a ``BusDestination`` per broker, built from keyword arguments or a config dict.

Each destination is validated when it is built, so a typo in a config file fails when the
service starts, naming the field, rather than at the first alert. ``options`` is normalised:
every option the kind understands is present, with its default filled in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from driftpilot.errors import InvalidParameterError

__all__ = ["BusDestination", "Kind"]

Kind = Literal["nats", "redis", "rabbit", "kafka"]
_KINDS: tuple[str, ...] = get_args(Kind)
_SCHEMES = {
    "nats": ("nats", "tls", "ws", "wss"),
    "redis": ("redis", "rediss", "unix"),
    "rabbit": ("amqp", "amqps"),
}
_EXCHANGE_TYPES = ("direct", "fanout", "headers", "topic")
_NATS_TOKEN = re.compile(r"[^\s.*>]+")
_STREAM_NAME = re.compile(r"[^\s.*>/\\]+")
_HOST_PORT = re.compile(r"[^\s:/,]+:\d{1,5}")
# The config key that holds each kind's target, and the options each kind understands.
_TARGET_KEY = {"nats": "subject", "redis": "stream", "rabbit": "routing_key", "kafka": "topic"}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "nats": {"stream": "DRIFTPILOT", "stream_subjects": ("driftpilot.>",)},
    "redis": {"maxlen": None, "envelope": "raw"},
    "rabbit": {"exchange": "", "exchange_type": "topic", "queue": None, "mandatory": True},
    "kafka": {},
}


def _invalid(name: str, kind: str, constraint: str, value: object) -> InvalidParameterError:
    where = f"a {kind} bus destination" if kind in _KINDS else "a bus destination"
    return InvalidParameterError(
        f"The '{name}' field of {where} must be {constraint}. Got {value!r} instead."
    )


def _text(name: str, kind: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(name, kind, "a non-empty string", value)
    return value


def _subject_matches(subject: str, pattern: str) -> bool:
    """Whether a NATS subject is captured by a filter with ``*`` and ``>`` wildcards."""
    tokens, wanted = subject.split("."), pattern.split(".")
    for i, want in enumerate(wanted):
        if want == ">":
            return len(tokens) > i
        if i >= len(tokens) or (want != "*" and want != tokens[i]):
            return False
    return len(tokens) == len(wanted)


@dataclass(frozen=True, slots=True, kw_only=True)
class BusDestination:
    """One broker destination that events are published to.

    Parameters
    ----------
    kind
        ``nats`` (JetStream), ``redis`` (Streams), ``rabbit`` (RabbitMQ) or ``kafka``.
    url
        Broker address: ``nats://host:4222``, ``redis://host:6379/0``,
        ``amqp://user:password@host:5672/vhost``, or Kafka bootstrap servers
        ``host:9092[,host:9092...]`` (an optional ``kafka://`` prefix is accepted).
    target
        NATS subject; Redis stream key; RabbitMQ routing key (the queue name when publishing
        through the default exchange); Kafka topic.
    options
        Per kind, with defaults:

        * nats: ``stream`` (``"DRIFTPILOT"``), the JetStream stream published into, created
          with ``stream_subjects`` (``("driftpilot.>",)``) if missing; the subject must match
          one of them.
        * redis: ``maxlen`` (``None``), trim the stream to about this many entries;
          ``envelope`` (``"raw"``): ``raw`` stores the CloudEvent JSON as the entry's
          ``__data__`` field, readable by any client; ``faststream`` uses FastStream's binary
          envelope, which also carries the ``ce-*`` headers, for FastStream consumers.
        * rabbit: ``exchange`` (``""``, the default exchange), declared durable with
          ``exchange_type`` (``"topic"``); ``queue`` (``None``), a durable queue declared and,
          with an exchange, bound with the routing key; ``mandatory`` (``True``): a message
          no queue takes is a failed publish, not a silent drop.
        * kafka: none.
    """

    kind: Kind
    url: str
    target: str
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise _invalid("kind", "", f"one of {list(_KINDS)}", self.kind)
        kind = self.kind
        _text("url", kind, self.url)
        if kind in _SCHEMES and self.url.partition("://")[0] not in _SCHEMES[kind]:
            schemes = ", ".join(f"{s}://" for s in _SCHEMES[kind])
            raise _invalid("url", kind, f"a URL starting with {schemes}", self.url)
        if kind == "kafka" and not self.bootstrap_servers():
            raise _invalid("url", kind, "bootstrap servers 'host:port[,host:port...]'", self.url)
        if not isinstance(self.options, Mapping):
            raise _invalid("options", kind, "a mapping", self.options)
        unknown = sorted(set(self.options) - set(_DEFAULTS[kind]))
        if unknown:
            allowed = sorted(_DEFAULTS[kind]) or "none"
            raise _invalid(unknown[0], kind, f"a known option (allowed: {allowed})", unknown[0])
        options = {**_DEFAULTS[kind], **self.options}
        {"nats": self._check_nats, "redis": self._check_redis, "rabbit": self._check_rabbit,
         "kafka": self._check_kafka}[kind](options)  # fmt: skip
        object.__setattr__(self, "options", MappingProxyType(options))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BusDestination:
        """Build a destination from a config dict, as written in the service's settings.

        ``{"kind": "nats", "url": ..., "subject": ..., "stream": ..., "stream_subjects": [...]}``,
        ``{"kind": "redis", "url": ..., "stream": ..., "maxlen": ..., "envelope": ...}``,
        ``{"kind": "rabbit", "url": ..., "exchange": ..., "routing_key": ..., "queue": ...,
        "exchange_type": ..., "mandatory": ...}`` (``routing_key`` or ``queue``, or both), and
        ``{"kind": "kafka", "url": ..., "topic": ...}``. Unknown keys are an error.
        """
        if not isinstance(config, Mapping):
            raise _invalid("config", "", "a mapping", config)
        kind = config.get("kind")
        if kind not in _KINDS:
            raise _invalid("kind", "", f"one of {list(_KINDS)}", kind)
        rest = {k: v for k, v in config.items() if k not in ("kind", "url")}
        if "url" not in config:
            raise _invalid("url", kind, "given", None)
        target_key = _TARGET_KEY[kind]
        if kind == "rabbit":
            # Through the default exchange the routing key is the queue's name.
            target = rest.pop("routing_key") if "routing_key" in rest else rest.get("queue")
            if target is None:
                raise _invalid("routing_key", kind, "given (or 'queue')", None)
        else:
            target = rest.pop(target_key, None)
            if target is None:
                raise _invalid(target_key, kind, "given", None)
        if kind == "nats" and isinstance(rest.get("stream_subjects"), list):
            rest["stream_subjects"] = tuple(rest["stream_subjects"])
        return cls(kind=cast("Kind", kind), url=config["url"], target=target, options=rest)

    def bootstrap_servers(self) -> list[str]:
        """Kafka bootstrap servers named by ``url`` (empty when ``url`` has none)."""
        text = self.url.removeprefix("kafka://").strip()
        servers = [s.strip() for s in text.split(",")]
        return servers if all(_HOST_PORT.fullmatch(s) for s in servers) else []

    def __str__(self) -> str:
        return f"{self.kind} {self.target!r}"

    def _check_nats(self, options: dict[str, Any]) -> None:
        subject = _text("subject", "nats", self.target)
        if not all(_NATS_TOKEN.fullmatch(t) for t in subject.split(".")):
            raise _invalid("subject", "nats", "dot-separated tokens without wildcards", subject)
        stream = _text("stream", "nats", options["stream"])
        if not _STREAM_NAME.fullmatch(stream):
            raise _invalid("stream", "nats", "a name without spaces, '.', '*', '>'", stream)
        subjects = options["stream_subjects"]
        if isinstance(subjects, str) or not isinstance(subjects, tuple | list) or not subjects:
            raise _invalid("stream_subjects", "nats", "a non-empty list of subjects", subjects)
        options["stream_subjects"] = tuple(_text("stream_subjects", "nats", s) for s in subjects)
        if not any(_subject_matches(subject, p) for p in options["stream_subjects"]):
            raise _invalid(
                "subject", "nats", f"captured by 'stream_subjects' {list(subjects)}", subject
            )

    def _check_redis(self, options: dict[str, Any]) -> None:
        _text("stream", "redis", self.target)
        maxlen = options["maxlen"]
        if maxlen is not None and (type(maxlen) is not int or maxlen < 1):
            raise _invalid("maxlen", "redis", "an integer >= 1 or null", maxlen)
        if options["envelope"] not in ("raw", "faststream"):
            raise _invalid("envelope", "redis", "'raw' or 'faststream'", options["envelope"])

    def _check_rabbit(self, options: dict[str, Any]) -> None:
        exchange, queue = options["exchange"], options["queue"]
        if not isinstance(exchange, str):
            raise _invalid("exchange", "rabbit", "a string ('' for the default exchange)", exchange)
        if options["exchange_type"] not in _EXCHANGE_TYPES:
            allowed = f"one of {list(_EXCHANGE_TYPES)}"
            raise _invalid("exchange_type", "rabbit", allowed, options["exchange_type"])
        if queue is not None:
            _text("queue", "rabbit", queue)
        if not isinstance(options["mandatory"], bool):
            raise _invalid("mandatory", "rabbit", "true or false", options["mandatory"])
        if exchange:
            if not isinstance(self.target, str):
                raise _invalid("routing_key", "rabbit", "a string", self.target)
            return
        key = _text("routing_key", "rabbit", self.target)
        if queue is not None and queue != key:
            raise _invalid(
                "queue", "rabbit", f"the routing key {key!r} without an 'exchange'", queue
            )
        options["queue"] = key  # declare it: the default exchange only routes to queues

    def _check_kafka(self, options: dict[str, Any]) -> None:
        topic = _text("topic", "kafka", self.target)
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", topic):
            raise _invalid("topic", "kafka", "1-249 characters of [A-Za-z0-9._-]", topic)
