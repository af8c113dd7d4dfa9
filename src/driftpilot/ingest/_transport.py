"""What the delivery loop (``_engine``) needs from its driver: a transport and flush tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from driftpilot.ingest._protocol import Reply

__all__ = ["FlushToken", "Transport"]

T = TypeVar("T")


class Transport(Protocol):
    """The I/O the loop needs; ``Client`` and ``AsyncClient`` each provide one."""

    async def post(self, path: str, body: bytes) -> Reply:
        """Send a JSON body; return the reply, or ``Reply(None, ...)`` if there was none."""

    async def idle(self, timeout: float) -> None:
        """Wait until woken (a full batch, a flush, close) or ``timeout`` seconds pass."""

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (a backoff); return early when the client is closing."""

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking disk work (spool, dead letters)."""

    async def checkpoint(self) -> None:
        """Let other work run (between slices of encoding)."""


class FlushToken(Protocol):
    """Put on the queue by ``flush`` (see :meth:`Engine.request_flush`); resolved by the loop."""

    #: The ``dropped`` counter when the flush was asked for: a drop since means not delivered.
    dropped: int

    def resolve(self, delivered: bool) -> None:
        """Record the outcome and wake whoever waits."""
