"""Deployment state per model and its change history (``driftpilot.lifecycle.deployments``).

Decisions:

* The state is one row per model (``dp_deployments``), the lifecycle ``Deployment`` as
  JSON; its ``revision`` is the optimistic-concurrency token the API shows as the ETag. A
  model nothing was deployed for reads as the empty deployment at revision 0.
* A change runs in one write transaction: lock the row (``FOR UPDATE`` on PostgreSQL;
  SQLite's write transactions exclude each other), refuse a stale ``expected_revision``
  (``ConflictError``, HTTP 409), apply the transition through the one state machine, check
  that every version it names exists, write the new state and append the change. The row
  is created (``ON CONFLICT DO NOTHING``) before it is locked, so two first writes on
  PostgreSQL queue on the lock instead of racing on the primary key.
* The history is append-only; it goes only with its model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from driftpilot.errors import ConflictError, InvalidParameterError, NotFoundError
from driftpilot.lifecycle.deployments import (
    AddShadow,
    Deployment,
    DeploymentChange,
    Rollback,
    SetChampion,
    StartCanary,
    Transition,
    apply,
    empty_deployment,
)
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._sql import insert_ignore, model_row
from driftpilot.store._time import from_us, now_us

__all__ = ["DeploymentRepository"]

MAX_HISTORY_PAGE = 1000


def _named_version(transition: Transition) -> str | None:
    if isinstance(transition, SetChampion | StartCanary | AddShadow):
        return transition.version
    if isinstance(transition, Rollback):
        return transition.to
    return None


def _state(row: sa.Row[Any] | None, model: str) -> Deployment:
    if row is None:
        return empty_deployment(model)
    data = json.loads(row.state)
    data["model"] = model  # the name the caller used (it is the model's name)
    return Deployment.from_dict(data)


class DeploymentRepository:
    """Read and change the deployment of each model.

    Parameters
    ----------
    engine
        The store's engine.
    clock
        Returns the current time in microseconds since the epoch (the changes' ``at``).
    """

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], int] = now_us) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, model: str) -> Deployment:
        """Return the deployment of ``model`` (revision 0, no champion, if never set).

        Raises
        ------
        NotFoundError
            There is no model named ``model``.
        """
        d = t.deployments
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            row = connection.execute(sa.select(d).where(d.c.model_id == model_id)).first()
        return _state(row, model)

    def revision(self, model: str) -> int:
        """Return the deployment's revision only (what a polling router compares)."""
        d = t.deployments
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            value = connection.execute(
                sa.select(d.c.revision).where(d.c.model_id == model_id)
            ).scalar()
        return 0 if value is None else int(value)

    def change(
        self,
        model: str,
        transition: Transition,
        *,
        actor: str,
        reason: str,
        expected_revision: int | None = None,
    ) -> tuple[Deployment, DeploymentChange]:
        """Apply ``transition`` to the deployment of ``model`` and record it.

        Parameters
        ----------
        expected_revision
            The revision the caller read (``If-Match``); another one is a conflict. ``None``
            applies the transition to whatever the current state is (still checked by the
            state machine, atomically).

        Raises
        ------
        ConflictError
            ``expected_revision`` is stale, or another writer changed the deployment at
            the same moment; :class:`~driftpilot.lifecycle.DeploymentTransitionError` (a
            ``ConflictError``) when the state does not allow the transition.
        NotFoundError
            No such model, or the transition names a version the model does not have.
        InvalidParameterError
            A value out of range (weight, empty actor or reason).
        """
        d, c = t.deployments, t.deployment_changes
        now = self._clock()
        with write(self._engine) as connection:
            model_id = model_row(connection, model, share=True).id
            # The row exists before it is locked, so two first writes queue on the lock
            # instead of racing on the primary key.
            empty = json.dumps(empty_deployment(model).to_dict(), sort_keys=True)
            connection.execute(
                insert_ignore(connection, d).values(
                    model_id=model_id, revision=0, state=empty, updated_at=now
                )
            )
            row = connection.execute(
                sa.select(d).where(d.c.model_id == model_id).with_for_update()
            ).one()
            state = _state(row, model)
            if expected_revision is not None and expected_revision != state.revision:
                raise ConflictError(
                    f"The deployment of {model!r} is at revision {state.revision}, not "
                    f"{expected_revision} (If-Match): it changed since you read it. Read "
                    "it again and retry."
                )
            after, change = apply(state, transition, actor=actor, reason=reason, now=from_us(now))
            version = _named_version(transition)
            if version is not None:
                self._check_version(connection, model, model_id, version)
            text = json.dumps(after.to_dict(), sort_keys=True)
            connection.execute(
                d.update()
                .where(d.c.model_id == model_id)
                .values(revision=after.revision, state=text, updated_at=now)
            )
            connection.execute(c.insert().values(
                model_id=model_id, revision=after.revision, action=change.action,
                params=json.dumps(dict(change.params)), actor=actor, reason=reason,
                state=text, at=now,
            ))  # fmt: skip
        return after, change

    @staticmethod
    def _check_version(connection: sa.Connection, model: str, model_id: int, version: str) -> None:
        v = t.model_versions
        found = connection.execute(
            sa.select(v.c.id).where(v.c.model_id == model_id, v.c.version == version)
        ).first()
        if found is None:
            raise NotFoundError(
                f"Model {model!r} has no version {version!r}; register it first with "
                f"POST /v1/models/{model}/versions."
            )

    def history(
        self, model: str, *, limit: int = 100, before: int | None = None
    ) -> list[DeploymentChange]:
        """Return the changes of the deployment of ``model``, newest first.

        ``before``: only changes with a smaller revision (the next page).
        """
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise InvalidParameterError(
                f"The 'limit' of a deployment history must be in [1, {MAX_HISTORY_PAGE}]. "
                f"Got {limit} instead."
            )
        c = t.deployment_changes
        with read(self._engine) as connection:
            model_id = model_row(connection, model).id
            query = sa.select(c).where(c.c.model_id == model_id)
            if before is not None:
                query = query.where(c.c.revision < before)
            rows = connection.execute(query.order_by(c.c.revision.desc()).limit(limit)).all()
        return [
            DeploymentChange(
                model=model,
                revision=r.revision,
                action=r.action,
                params=json.loads(r.params),
                actor=r.actor,
                reason=r.reason,
                at=from_us(r.at),
                state=_state(r, model),
            )
            for r in rows
        ]
