"""Get production traffic into driftpilot: the SDK clients and the model-service middleware.

* :class:`Client` logs predictions and labels from threaded code (Flask, Django, batch jobs);
* :class:`AsyncClient` does the same from asyncio code, with a task instead of a thread;
* :class:`RegistryClient` registers, lists, promotes and rolls back model versions in the
  service's registry (request and answer: it raises on failure, unlike the loggers);
* :class:`PredictionLogger` is ASGI middleware that logs every prediction a FastAPI or
  Starlette model service serves, with no code in the endpoint.

Logging calls never block and never raise. Records are batched, sent, retried with backoff,
spooled to disk while the service is unreachable, replayed when it is back (also after a
crash, by the next client on the same spool directory), and counted in ``client.stats()``.

>>> from driftpilot.ingest import event_id_for
>>> event_id_for("order-17") == event_id_for("order-17")
True
"""

from driftpilot.ingest._ids import event_id_for, new_event_id
from driftpilot.ingest.async_client import AsyncClient
from driftpilot.ingest.client import Client
from driftpilot.ingest.middleware import PredictionLogger
from driftpilot.ingest.registry_client import RegistryClient

__all__ = [
    "AsyncClient",
    "Client",
    "PredictionLogger",
    "RegistryClient",
    "event_id_for",
    "new_event_id",
]
