"""Schema-based fuzzing: schemathesis draws requests from our OpenAPI document; no 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from driftpilot.server import Settings, create_app


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(db_url: str) -> None:
    app = create_app(Settings(db=db_url, maintenance_seconds=0))
    store = app.state.store
    store.models.create_model("loans", "binary")
    headers = {"Authorization": f"Bearer {store.keys.create(['admin']).key}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases = st.one_of(
        *(
            schema.as_strategy(mode, headers=headers, path_parameters=path)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for path in ({"model": "loans"}, None)
        )
    )

    @given(case=cases)
    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call()
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

    try:
        check()
    finally:
        store.close()
