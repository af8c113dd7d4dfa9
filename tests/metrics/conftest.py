from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.server import Settings, create_app
from service_fixtures import db_url, pg_base, pg_schema_url, sqlite_template, store  # noqa: F401


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Report a leaked database connection in the test that leaked it (as tests/conftest.py
    does for the other service tests)."""
    yield
    gc.collect()


@pytest.fixture
def settings(db_url: str) -> Settings:  # noqa: F811
    return Settings(db=db_url, maintenance_seconds=0, monitor_tick_seconds=0)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    created = create_app(settings)
    yield created
    created.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
