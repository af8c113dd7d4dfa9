"""AsyncClient against a real HTTP service on loopback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

from _fake_service import FakeService

from conftest import FAST
from driftpilot.ingest import AsyncClient, Client

MakeAsync = Callable[..., AsyncClient]


def test_batches_flush_and_close(make_async_client: MakeAsync, fake_service: FakeService) -> None:
    async def main() -> tuple[list[str], bool, bool, dict[str, int]]:
        client = make_async_client(batch_size=10, flush_interval=3600)
        ids = [client.log_prediction({"x": i}, i) for i in range(25)]
        client.log_label(ids[0], 1)
        flushed = await client.flush(timeout=20)
        more = [client.log_prediction({"x": i}, i) for i in range(3)]
        closed = await client.aclose()
        return ids + more, flushed, closed, client.stats()

    ids, flushed, closed, stats = asyncio.run(main())
    assert (flushed, closed) == (True, True)
    assert fake_service.event_ids() == set(ids)
    assert fake_service.labels == {ids[0]: 1}
    assert stats["sent"] == 28
    assert [n for kind, n in fake_service.batches if kind == "events"][:2] == [10, 10]


def test_down_spool_up_replays_once(
    make_async_client: MakeAsync, fake_service: FakeService
) -> None:
    async def main() -> tuple[list[str], bool, bool]:
        fake_service.stop()
        async with make_async_client(batch_size=10) as client:
            ids = [client.log_prediction({"x": i}, i) for i in range(30)]
            down = await client.flush(timeout=20)
            await asyncio.to_thread(fake_service.start)
            up = await client.flush(timeout=20)
        return ids, down, up

    ids, down, up = asyncio.run(main())
    assert (down, up) == (False, True)
    assert fake_service.event_ids() == set(ids)
    assert sum(n for _, n in fake_service.batches) == 30


def test_calls_from_other_threads_are_safe(
    make_async_client: MakeAsync, service: FakeService
) -> None:
    async def main() -> list[str]:
        async with make_async_client(batch_size=50) as client:
            ids: list[str] = []
            lock = threading.Lock()

            def work() -> None:
                mine = [client.log_prediction({"x": i}, i) for i in range(500)]
                with lock:
                    ids.extend(mine)

            await asyncio.gather(*(asyncio.to_thread(work) for _ in range(4)))
            assert await client.flush(timeout=30)
            return ids

    ids = asyncio.run(main())
    assert len(set(ids)) == 2000
    assert service.event_ids() == set(ids)


def test_a_client_outlives_one_event_loop(
    make_async_client: MakeAsync, service: FakeService
) -> None:
    client = make_async_client()
    first = client.log_prediction({"x": 1}, 0)  # no loop yet: queued, sent once one runs

    async def log_and_flush() -> bool:
        client.log_prediction({"x": 2}, 0)
        return await client.flush(timeout=20)

    assert asyncio.run(log_and_flush())
    assert asyncio.run(log_and_flush())
    assert asyncio.run(client.aclose()) is True
    assert first in service.event_ids()
    assert len(service.event_ids()) == 3


def test_an_unclosed_client_spools_at_exit(service: FakeService, spool_dir: Path) -> None:
    code = textwrap.dedent(
        f"""
        import asyncio, json
        from driftpilot.ingest import AsyncClient

        async def main():
            client = AsyncClient({service.url!r}, {service.api_key!r}, model={service.model!r},
                                 model_version="1",
                                 spool_dir={str(spool_dir)!r}, flush_interval=3600)
            print(json.dumps([client.log_prediction({{"x": i}}, i) for i in range(10)]))

        asyncio.run(main())  # the loop ends with the client never closed
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    ids = set(json.loads(done.stdout))
    replayer = Client(
        service.url, service.api_key, model=service.model, spool_dir=spool_dir, **FAST
    )
    try:
        assert replayer.flush(timeout=30)
    finally:
        replayer.close()
    assert service.event_ids() == ids
