"""``/docs`` works offline: Swagger UI's files come from the package, also behind a prefix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import driftpilot.server
from driftpilot.server import Settings, create_app
from driftpilot.server._docs import SWAGGER_UI_VERSION

ASSETS = Path(driftpilot.server.__file__).parent / "static" / "swagger-ui"


def _client(
    tmp_path: Path, *, public_url: str | None = None, root_path: str = ""
) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, maintenance_seconds=0, monitor_tick_seconds=0,
                              dispatch_seconds=0, public_url=public_url))  # fmt: skip
    try:
        with TestClient(app, root_path=root_path) as client:
            yield client
    finally:
        app.state.store.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


def test_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "cdn." not in html
    assert "https://" not in html
    assert "http://" not in html
    assert "'/static/swagger-ui/swagger-ui-bundle.js'" in html or \
        '"/static/swagger-ui/swagger-ui-bundle.js"' in html  # fmt: skip
    assert "/openapi.json" in html
    for name, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
                       ("favicon-32x32.png", "image/png")):  # fmt: skip
        asset = client.get(f"/static/swagger-ui/{name}")
        assert asset.status_code == 200, name
        assert kind in asset.headers["content-type"]
        assert asset.content == (ASSETS / name).read_bytes()
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN


def test_vendored_swagger_ui_is_the_recorded_version_with_its_licence() -> None:
    bundle = (ASSETS / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert SWAGGER_UI_VERSION in bundle
    assert "Apache License" in (ASSETS / "LICENSE").read_text(encoding="utf-8")
    assert "swagger-ui" in (ASSETS / "NOTICE").read_text(encoding="utf-8")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"Swagger UI {SWAGGER_UI_VERSION}" in readme


def test_docs_behind_a_public_url_with_a_path(tmp_path: Path) -> None:
    for client in _client(tmp_path, public_url="https://ml.example.com/driftpilot/"):
        html = client.get("/docs").text
        assert "/driftpilot/static/swagger-ui/swagger-ui-bundle.js" in html
        assert "/driftpilot/static/swagger-ui/swagger-ui.css" in html
        assert "/driftpilot/openapi.json" in html
        assert "https://" not in html  # same origin: paths only


def test_docs_under_an_asgi_root_path(tmp_path: Path) -> None:
    for client in _client(tmp_path, root_path="/proxy"):
        html = client.get("/docs").text
        assert "/proxy/static/swagger-ui/swagger-ui-bundle.js" in html
        assert "/proxy/openapi.json" in html
