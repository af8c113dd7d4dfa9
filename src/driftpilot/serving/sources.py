"""Where a router reads the deployment from: the service's API, or the store directly.

A source answers ``fetch(known_revision)``: the deployment when its revision differs from
``known_revision``, ``None`` when it is unchanged. Over HTTP that is a conditional GET
(``If-None-Match``), a 304 with no body while nothing changes, so routers can poll every
few seconds at almost no cost to the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import httpx

from driftpilot.errors import AuthError, DriftpilotError, NotFoundError
from driftpilot.lifecycle import Deployment

if TYPE_CHECKING:
    from driftpilot.store import Store

__all__ = [
    "DeploymentSource",
    "DeploymentSourceError",
    "HttpDeploymentSource",
    "StoreDeploymentSource",
]


class DeploymentSourceError(DriftpilotError, ConnectionError):
    """The deployment could not be read (the service is down, or answered an error)."""

    code = "deployment_source"


class DeploymentSource(Protocol):
    """Something a router polls for its model's deployment."""

    def fetch(self, known_revision: int | None) -> Deployment | None:
        """Return the deployment if its revision is not ``known_revision``, else ``None``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class HttpDeploymentSource:
    """Read ``GET /v1/models/{model}/deployment`` of a driftpilot service.

    Parameters
    ----------
    url
        The service's base URL, e.g. ``http://127.0.0.1:8000``.
    model
        The model whose deployment to read.
    api_key
        A key with the ``read`` scope (``None`` for a service run with ``--no-auth``).
    timeout
        Seconds for one request.
    """

    def __init__(
        self, url: str, model: str, *, api_key: str | None = None, timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:  # fmt: skip
        headers = {} if api_key is None else {"authorization": f"Bearer {api_key}"}
        self._path = f"/v1/models/{model}/deployment"
        self._http = httpx.Client(
            base_url=url, headers=headers, timeout=timeout, transport=transport
        )

    def fetch(self, known_revision: int | None) -> Deployment | None:
        """Return the deployment if it changed since ``known_revision``, else ``None``.

        Raises
        ------
        DeploymentSourceError
            The service is unreachable or answered other than 200 or 304.
        NotFoundError
            The service has no such model.
        AuthError
            The key is missing, unknown or lacks the ``read`` scope.
        """
        headers = {} if known_revision is None else {"if-none-match": f'"{known_revision}"'}
        try:
            reply = self._http.get(self._path, headers=headers)
        except httpx.HTTPError as err:
            raise DeploymentSourceError(
                f"Could not read the deployment at {self._http.base_url}{self._path}: {err}"
            ) from err
        if reply.status_code == 304:
            return None
        if reply.status_code == 200:
            data: dict[str, Any] = reply.json()
            return Deployment.from_dict(data)
        message = _message(reply)
        if reply.status_code == 404:
            raise NotFoundError(message)
        if reply.status_code in (401, 403):
            raise AuthError(message)
        raise DeploymentSourceError(
            f"Reading the deployment answered {reply.status_code}: {message}"
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


def _message(reply: httpx.Response) -> str:
    try:
        return str(reply.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return reply.text[:200]


class StoreDeploymentSource:
    """Read the deployment from the store itself (a router beside the database)."""

    def __init__(self, store: Store, model: str) -> None:
        self._store = store
        self._model = model

    def fetch(self, known_revision: int | None) -> Deployment | None:
        """Return the deployment if its revision is not ``known_revision``, else ``None``."""
        if known_revision is not None and self._store.deployments.revision(self._model) == (
            known_revision
        ):
            return None
        return self._store.deployments.get(self._model)

    def close(self) -> None:
        """Nothing to release: the store belongs to the caller."""
