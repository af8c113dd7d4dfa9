"""``driftpilot serve-model MODEL``: the serving router over HTTP (``driftpilot.serving``).

The router reads the model's deployment from a driftpilot service (``--url``, polled every
``--interval`` seconds with a conditional GET), loads the versions it names from the same
service's registry (each version's registered artifact, downloaded and checked against its
SHA-256, loaded by its flavor; ``--trust`` and ``--allow-pickle`` as for ``models``), or with
the loader given as ``--loader module:function`` (``function(model, version) -> Predictor``)
for models kept elsewhere, and logs every prediction back to the same service with its
version and cohort.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from driftpilot.cli.app import _user_errors, app, stderr
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.lifecycle import Predictor
    from driftpilot.serving import Loader

__all__ = ["load_loader", "registry_loader", "serve_model"]


def load_loader(spec: str) -> Loader:
    """Return the function ``spec`` (``package.module:function``) names.

    Raises
    ------
    InvalidParameterError
        ``spec`` is not of that form, or the module or function cannot be found.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InvalidParameterError(
            f"--loader must look like 'package.module:function'. Got {spec!r} instead."
        )
    if os.getcwd() not in sys.path:  # as `python -m` would: the user's own modules
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise InvalidParameterError(f"--loader: cannot import {module_name!r}: {err}") from err
    loader = getattr(module, attribute, None)
    if not callable(loader):
        raise InvalidParameterError(
            f"--loader: module {module_name!r} has no function {attribute!r}."
        )
    return loader  # type: ignore[no-any-return]


def registry_loader(
    url: str, api_key: str | None, *, trusted: tuple[str, ...] = (), allow_pickle: bool = False
) -> Loader:
    """Return a loader that downloads each version's artifact from the service's registry.

    The files go to one temporary folder that lives as long as the process (the ``python``
    flavor keeps reading its folder).
    """
    import tempfile

    from driftpilot.ingest import RegistryClient

    registry = RegistryClient(url, api_key=api_key)
    workdir = tempfile.mkdtemp(prefix="driftpilot-serve-model-")

    def load(model: str, version: str) -> Predictor:
        return registry.load(
            model, version, workdir=workdir, trusted=trusted, allow_pickle=allow_pickle
        )

    return load


@app.command("serve-model")
@_user_errors
def serve_model(
    model: Annotated[str, typer.Argument(help="The model to serve.")],
    loader: Annotated[
        str | None,
        typer.Option(
            envvar="DRIFTPILOT_LOADER",
            help="module:function returning a Predictor for (model, version); "
            "default: the registry's artifacts.",
        ),
    ] = None,
    url: Annotated[
        str, typer.Option(envvar="DRIFTPILOT_URL", help="The driftpilot service.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None,
        typer.Option(envvar="DRIFTPILOT_API_KEY", help="A key with read and ingest scopes."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8080,
    interval: Annotated[float, typer.Option(help="Seconds between looks at the deployment.")] = 5.0,
    shadow_queue: Annotated[
        int, typer.Option(help="Shadow jobs that may wait; more are dropped and counted.")
    ] = 1000,
    log_predictions: Annotated[
        bool, typer.Option(help="Log every prediction to the service with its cohort.")
    ] = True,
    trust: Annotated[
        list[str] | None,
        typer.Option(help="A skops type to trust when loading from the registry (repeatable)."),
    ] = None,
    allow_pickle: Annotated[
        bool,
        typer.Option(help="Load pickle artifacts from the registry (they run any code)."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve MODEL's deployment: champion, canary at its weight, shadows (POST /predict)."""
    import uvicorn

    from driftpilot.ingest import Client
    from driftpilot.serving import HttpDeploymentSource, Router, create_serving_app

    function = (
        load_loader(loader)
        if loader is not None
        else registry_loader(url, api_key, trusted=tuple(trust or ()), allow_pickle=allow_pickle)
    )
    source = HttpDeploymentSource(url, model, api_key=api_key)
    deployment = source.fetch(None)  # fails here, in one line, for a bad URL, key or model
    assert deployment is not None
    client = Client(url, api_key, model=model) if log_predictions else None
    router = Router(model, source, function, interval=interval, client=client,
                    shadow_queue=shadow_queue)  # fmt: skip
    stderr.print(
        f"driftpilot serving model {model!r} on http://{host}:{port} (deployment revision "
        f"{deployment.revision}, champion {deployment.champion!r}, from {url})",
        markup=False, highlight=False, soft_wrap=True,
    )  # fmt: skip
    # The client is closed (flushed) at the app's shutdown: uvicorn re-raises the signal it
    # stopped on once it returns, so nothing after uvicorn.run is sure to run.
    application = create_serving_app(router, on_close=[] if client is None else [client.close])
    uvicorn.run(application, host=host, port=port, log_level=log_level)
