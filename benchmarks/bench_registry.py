"""Registry latency with 1,000 models x 50 versions: list a model's versions, move an alias.

Usage::

    python benchmarks/bench_registry.py                       # SQLite and PostgreSQL
    python benchmarks/bench_registry.py --backends sqlite --models 200

Setup: a fresh SQLite file (WAL, ``synchronous=FULL``) or a fresh PostgreSQL schema in the
local ``test`` database, migrated; ``--models`` models with ``--versions`` registered
versions each (artifact, signature, lineage, metrics: the columns ``register_version``
writes, inserted in bulk so setup stays short), and a ``champion`` alias on each model set
through the registry.

Measured, on random models, ``--samples`` times each, one call at a time:

* ``list``: ``store.registry.list_versions(model, limit=versions)``, a full page with the
  aliases of each version; baseline: a plain ``SELECT`` of the same rows (all columns, a
  statement built once) in a read transaction: no model lookup, no aliases, no records.
* ``alias move``: ``store.registry.move_alias`` of ``champion`` to another version (lock the
  alias, check the revision and the target's status, append the move, update the alias, one
  commit); baseline: a write transaction that inserts one row and updates one row (the same
  commit cost, no checks).

Each sample times one call and then one baseline call, interleaved, so both meet the same
page cache and the same load. The goal is < 50 ms for both at p99. The CPU model and load
average are printed beside the table, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from _machine import cpu_model
from driftpilot.store import Store, create_engine, now_us
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write

PG_URL = os.environ.get(
    "DRIFTPILOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fill(store: Store, models: int, versions: int) -> None:
    now = now_us()
    sha = "ab" * 32
    with write(store.engine) as connection:
        connection.execute(
            t.models.insert(),
            [
                {"name": f"model-{m:04d}", "task": "binary", "created_at": now}
                for m in range(models)
            ],
        )
        ids = dict(connection.execute(sa.select(t.models.c.name, t.models.c.id)).all())
        rows = [
            {
                "model_id": ids[f"model-{m:04d}"],
                "version": f"v{v}",
                "created_at": now,
                "status": "registered",
                "revision": 1,
                "artifact_uri": f"file:///artifacts/model-{m:04d}/{sha}/model.skops",
                "artifact_flavor": "sklearn",
                "artifact_size": 123_456,
                "artifact_sha256": sha,
                "artifact_options": "{}",
                "signature": json.dumps(
                    {"inputs": {f"f{i}": "float" for i in range(10)}, "outputs": {"p": "float"}}
                ),
                "lineage": json.dumps(
                    {
                        "data_fingerprint": "fp",
                        "data_start": now,
                        "data_end": now,
                        "code_version": "abc123",
                        "parameters": {"C": 1.0, "penalty": "l2"},
                        "run_id": f"run-{m}-{v}",
                        "baseline_id": None,
                    }
                ),
                "metrics": json.dumps({"validation": {"auc": 0.8}, "training": {"auc": 0.85}}),
                "description": None,
                "tags": "{}",
                "created_by": "bench",
                "registered_at": now,
            }
            for m in range(models)
            for v in range(versions)
        ]
        for start in range(0, len(rows), 5000):
            connection.execute(t.model_versions.insert(), rows[start : start + 5000])
    for m in range(models):
        store.registry.move_alias(f"model-{m:04d}", "champion", "v0", expected_revision=None,
                                  actor="bench", reason="setup")  # fmt: skip


def timed(fn: Callable[[], object], samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(url: str, models: int, versions: int, samples: int, seed: int) -> list[tuple[str, ...]]:
    store = Store(create_engine(url))
    store.upgrade()
    began = time.perf_counter()
    fill(store, models, versions)
    print(f"  setup: {models * versions:,} versions in {time.perf_counter() - began:.1f} s",
          file=sys.stderr)  # fmt: skip
    rng = random.Random(seed)
    names = [f"model-{m:04d}" for m in range(models)]
    with read(store.engine) as connection:
        ids = dict(connection.execute(sa.select(t.models.c.name, t.models.c.id)).all())
    revisions = dict.fromkeys(names, 1)
    pointing = dict.fromkeys(names, "v0")

    def listing() -> None:
        page = store.registry.list_versions(rng.choice(names), limit=versions)
        assert len(page.items) == versions

    plain = (
        sa.select(t.model_versions)
        .where(t.model_versions.c.model_id == sa.bindparam("model_id"))
        .order_by(t.model_versions.c.id)
        .limit(versions + 1)
    )

    def plain_select() -> None:
        with read(store.engine) as connection:
            rows = connection.execute(plain, {"model_id": ids[rng.choice(names)]}).all()
        assert len(rows) == versions

    def move() -> None:
        name = rng.choice(names)
        target = f"v{rng.randrange(versions)}"
        while target == pointing[name]:
            target = f"v{rng.randrange(versions)}"
        done = store.registry.move_alias(name, "champion", target,
                                         expected_revision=revisions[name], actor="bench",
                                         reason="bench")  # fmt: skip
        revisions[name], pointing[name] = done.revision, target

    scratch = sa.Table("bench_scratch", sa.MetaData(), sa.Column("id", sa.Integer,
                       primary_key=True), sa.Column("n", sa.Integer))  # fmt: skip
    scratch.create(store.engine)

    def plain_write() -> None:
        with write(store.engine) as connection:
            connection.execute(scratch.insert().values(n=1))
            connection.execute(
                t.model_aliases.update()
                .where(t.model_aliases.c.model_id == ids[rng.choice(names)])
                .values(updated_at=now_us())
            )

    results = []
    for label, fn, base_label, base in (
        ("list (50 versions)", listing, "plain SELECT", plain_select),
        ("alias move", move, "plain write txn", plain_write),
    ):
        timed(fn, 10)
        timed(base, 10)  # warm up
        ours, theirs = [], []
        for _ in range(samples):  # interleaved: both see the same cache and the same load
            ours += timed(fn, 1)
            theirs += timed(base, 1)
        results.append((
            label, f"{statistics.median(ours):.2f}", f"{pct(ours, 0.99):.2f}",
            base_label, f"{statistics.median(theirs):.2f}", f"{pct(theirs, 0.99):.2f}",
            f"{statistics.median(ours) / statistics.median(theirs):.2f}",
        ))  # fmt: skip
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    header = ("backend", "operation", "p50 ms", "p99 ms", "baseline", "p50 ms", "p99 ms",
              "p50 ratio")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for backend in args.backends.split(","):
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="bench-registry-")
            url = f"sqlite:///{folder}/driftpilot.db"
        else:
            schema = f"bench_registry_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG_URL)
            with admin.begin() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        try:
            for row in run(url, args.models, args.versions, args.samples, args.seed):
                print("| " + " | ".join((backend, *row)) + " |")
        finally:
            if backend != "sqlite":
                with admin.begin() as connection:
                    connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
