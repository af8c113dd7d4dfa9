"""The error responses of the OpenAPI document: each operation lists the 4xx it can answer.

Most follow from what an operation takes, so they are derived here rather than repeated on
every route: a key (``security``) gives 401 and 403; a body gives 400 (not JSON), 413 (over
the size limit) and 422; any parameter gives 422; a path parameter gives 404 (no such model,
monitor, alert, ...). What only the route knows (409 when a name is taken or a state forbids
the change, 404 from a query parameter) the route declares with ``error_responses``. Every
one of them carries the error object, ``ErrorResponse``. The stateful fuzz test
(``tests/server/test_fuzz.py``) checks every status it meets is listed here.
"""

from __future__ import annotations

import json
from typing import Any

from driftpilot.server.schemas import ErrorResponse

__all__ = ["DESCRIPTIONS", "document_errors", "error_responses"]

#: What each 4xx means, as the document says it.
DESCRIPTIONS = {
    400: "The URL holds a NUL character, or the body is not valid JSON (or a readable upload).",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this route needs.",
    404: "No such model (or version, baseline, monitor, run, alert, silence, key).",
    409: "The change conflicts with what is stored.",
    413: "The body is over the size limit.",
    422: "A field or parameter is missing or invalid; the message names it.",
    428: "The write needs the If-Match revision (the ETag of a GET) it is based on.",
}
_REF = "#/components/schemas/ErrorResponse"


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """Return the ``responses`` argument of a route that can also answer ``statuses``.

    ``descriptions`` may say more than the default, keyed ``s409="The name is taken."``.
    """
    return {
        status: {
            "model": ErrorResponse,
            "description": descriptions.get(f"s{status}", DESCRIPTIONS[status]),
        }
        for status in statuses
    }


def _derived(operation: dict[str, Any]) -> set[int]:
    statuses: set[int] = {400}  # any URL may hold a NUL (%00): refused by server/_url.py
    parameters = operation.get("parameters", [])
    if "security" in operation:
        statuses |= {401, 403}
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if parameters:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    return statuses


def document_errors(document: dict[str, Any]) -> None:
    """Add to every operation of ``document`` the 4xx it can answer, with the error object."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" not in schemas:
        schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas["ErrorResponse"] = schema
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in sorted(_derived(operation)):
                if _schema_ref(responses.get(str(status))) != _REF:  # absent, or FastAPI's 422
                    responses[str(status)] = {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": {"$ref": _REF}}},
                    }
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422 body
        if f'"#/components/schemas/{unused}"' not in json.dumps(document.get("paths")):
            schemas.pop(unused, None)


def _schema_ref(response: dict[str, Any] | None) -> str | None:
    if response is None:
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref: str | None = schema.get("$ref")
    return ref
