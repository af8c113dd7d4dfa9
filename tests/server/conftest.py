from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from driftpilot.server import Settings, create_app
from service_fixtures import db_url, pg_base, pg_schema_url, sqlite_template, store  # noqa: F401


@pytest.fixture
def settings(db_url: str) -> Settings:  # noqa: F811
    return Settings(db=db_url, maintenance_seconds=0)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    created = create_app(settings)
    yield created
    created.state.store.close()  # also when no TestClient ran the lifespan that closes it


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin(app: FastAPI, client: TestClient) -> dict[str, str]:
    """Headers with an admin key."""
    key = app.state.store.keys.create(["admin"], name="tests").key
    return {"Authorization": f"Bearer {key}"}
