"""``create_app(settings)``: the FastAPI application of ``driftpilot serve``.

At start (the lifespan) it migrates the database (``migrate_on_start``), stores the monitor
files of ``monitors``, starts the monitor scheduler (``server.monitoring``) and the
maintenance loop: every ``maintenance_seconds`` it joins labels whose events arrived in a
race between replicas, compacts buckets with several partial profiles, and rolls each ended
day up into one row per kind (``ProfileRepository.roll_up``). All are safe to run on every
replica at once. Prometheus scrapes ``/metrics`` (``server.metrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from driftpilot import __version__
from driftpilot.lifecycle import ArtifactStore
from driftpilot.monitor import MonitorSpec
from driftpilot.profile import ProfileConfig
from driftpilot.server._docs import install_docs
from driftpilot.server._errors import install_error_handlers
from driftpilot.server._limits import BodyLimit
from driftpilot.server._openapi import document_errors
from driftpilot.server._url import RefuseNul
from driftpilot.server.alerting import Alerting, run_dispatcher
from driftpilot.server.dashboard import install_dashboard
from driftpilot.server.metrics import AlertsFiring, ServiceMetrics
from driftpilot.server.metrics import router as metrics_router
from driftpilot.server.monitoring import load_files, pause, run_scheduler, store_specs
from driftpilot.server.routers import (
    alerts,
    baselines,
    deployments,
    health,
    ingest,
    keys,
    models,
    monitors,
    queries,
    registry,
    reports,
)
from driftpilot.server.schemas import EventsBatch, LabelsBatch, RegisterBody, RegisterManifest
from driftpilot.server.settings import Settings
from driftpilot.store import Store, now_us

__all__ = ["create_app", "store_for"]

logger = logging.getLogger("driftpilot.server")


def store_for(settings: Settings) -> Store:
    """Return the store the settings describe (the database is not touched yet)."""
    return Store.from_url(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        config=ProfileConfig(
            kll_k=settings.profile_kll_k, category_cap=settings.profile_category_cap
        ),
        bucket_seconds=settings.bucket_seconds,
    )


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    alerts_firing: AlertsFiring | None = None,
) -> FastAPI:
    """Return the application for ``settings`` (read from the environment if omitted).

    ``alerts_firing``, if given, returns the alerts firing by (model, tier, rule), exported at
    ``/metrics`` as ``driftpilot_alerts_firing`` (``server.metrics``).
    """
    settings = settings if settings is not None else Settings()
    store = store if store is not None else store_for(settings)
    alerting = Alerting.for_settings(settings, store)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(store.upgrade)
            if settings.auth and not await run_in_threadpool(store.keys.list_keys):
                logger.warning(
                    "No API keys yet, so every /v1 request will get 401. Create one with "
                    "'driftpilot keys create --scope admin'."
                )
        pending: list[MonitorSpec] = []
        if settings.monitors is not None:
            loaded = load_files([settings.monitors], bucket_seconds=settings.bucket_seconds)
            pending = await run_in_threadpool(store_specs, store, loaded)
            logger.info("loaded %d monitors from %s", len(loaded), settings.monitors)
            for spec in pending:
                logger.warning(
                    "monitor %s waits for its model %s to be created", spec.name, spec.model
                )
        tasks = []
        stop = asyncio.Event()
        if settings.maintenance_seconds > 0:
            tasks.append(asyncio.create_task(
                _maintain(store, settings, stop)
            ))  # fmt: skip
        if settings.monitor_tick_seconds > 0:
            tasks.append(asyncio.create_task(run_scheduler(
                store, alerting.runner, tick=settings.monitor_tick_seconds, stop=stop,
                pending=pending,
            )))  # fmt: skip
        if settings.dispatch_seconds > 0:
            tasks.append(asyncio.create_task(
                run_dispatcher(alerting, every=settings.dispatch_seconds, stop=stop)
            ))  # fmt: skip
        try:
            yield
        finally:
            # Let each loop finish the work it is doing in a worker thread, then close: a
            # cancelled loop would leave that thread using a store being closed.
            stop.set()
            done, running = await asyncio.wait(tasks, timeout=60) if tasks else (set(), set())
            for task in running:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    logger.error("a background loop failed", exc_info=task.exception())
            alerting.close()
            store.close()

    app = FastAPI(
        title="driftpilot",
        version=__version__,
        summary="Log predictions and labels; monitor models from mergeable profiles.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs (works offline)
        redoc_url=None,  # ReDoc would load its script from a CDN
    )
    app.state.settings = settings
    app.state.store = store
    app.state.alerting = alerting
    app.state.artifacts = ArtifactStore(settings.artifacts_url)
    app.state.metrics = ServiceMetrics(
        store, alerts_firing=alerts_firing or store.alerts.firing_counts
    )
    install_error_handlers(app)
    install_docs(app, public_url=settings.public_url)
    install_dashboard(app)
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(reports.router)
    for module in (
        models,
        registry,
        deployments,
        baselines,
        ingest,
        queries,
        keys,
        monitors,
        alerts,
    ):
        app.include_router(module.router, prefix="/v1")
    app.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes
    )
    app.add_middleware(RefuseNul)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Build the OpenAPI document once, adding the batch bodies routes read themselves."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (EventsBatch, LabelsBatch, RegisterBody, RegisterManifest):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        document_errors(document)
        app.openapi_schema = document
    return app.openapi_schema


async def _maintain(store: Store, settings: Settings, stop: asyncio.Event) -> None:
    every = settings.maintenance_seconds
    max_age = round(settings.rejected_max_age_days * 86_400 * 1_000_000)
    while await pause(stop, every):
        try:
            joined = await run_in_threadpool(store.labels.join_pending)
            removed = await run_in_threadpool(store.profiles.compact)
            rolled = await run_in_threadpool(store.profiles.roll_up)
            pruned = await run_in_threadpool(
                lambda: store.rejected.prune(
                    max_rows=settings.rejected_max_rows, max_age=max_age, now=now_us()
                )
            )
        except sa.exc.SQLAlchemyError:
            logger.exception("maintenance failed; retrying in %s s", every)
            continue
        if joined or removed or rolled or pruned:
            logger.info(
                "maintenance: joined %d labels, compacted %d partials, wrote %d daily rollups, "
                "deleted %d quarantined items past the retention limits",
                joined, removed, rolled, pruned,
            )  # fmt: skip
