"""Streaming detector state across monitor windows (``driftpilot.monitor.DetectorStateLog``).

Decisions:

* One row per (monitor, check, segment, window end): the state after feeding that window,
  and the model version that served most of its events (a segment is ``""`` for the whole
  traffic or ``"key=value"``; each has its own chain of states).
  A window, first run or revised, starts from the newest row ending at or before its start,
  and its row replaces any saved earlier for the same end (delete + insert in one
  transaction), so re-running a window is idempotent and a late-label revision never feeds
  an event twice.
* The state is the detector's versioned ``to_dict`` as JSON text (infinities written as
  ``Infinity``, which Python's ``json`` reads back exactly).
* Old rows are pruned when a newer one is saved: rows ending before ``keep_from`` go, except
  the newest of them, which the oldest window still open to revisions starts from.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa

from driftpilot.monitor.source import DetectorState
from driftpilot.store import _tables as t
from driftpilot.store._engine import read, write
from driftpilot.store._time import now_us
from driftpilot.store.monitors import monitor_row

__all__ = ["DetectorStates"]


class DetectorStates:
    """Saved detector states of monitor checks.

    Parameters
    ----------
    engine
        The store's engine.
    clock
        Returns the current time in microseconds since the epoch.
    """

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], int] = now_us) -> None:
        self._engine = engine
        self._clock = clock

    def detector_state(
        self, monitor: str, check: str, segment: str, *, at: int
    ) -> DetectorState | None:
        """Return the newest state of ``(monitor, check, segment)`` ending at or before ``at``.

        Raises
        ------
        NotFoundError
            There is no monitor named ``monitor``.
        """
        d = t.detector_states
        with read(self._engine) as connection:
            monitor_id = monitor_row(connection, monitor).id
            row = connection.execute(
                sa.select(d)
                .where(d.c.monitor_id == monitor_id, d.c.check_name == check,
                       d.c.segment == segment, d.c.window_end <= at)
                .order_by(d.c.window_end.desc())
                .limit(1)
            ).first()  # fmt: skip
        if row is None:
            return None
        return DetectorState(
            window_start=row.window_start, window_end=row.window_end,
            fingerprint=row.fingerprint, state=json.loads(row.state), n_fed=row.n_fed,
            model_version=row.model_version,
        )  # fmt: skip

    def save_detector_state(
        self, monitor: str, check: str, segment: str, state: DetectorState, *, keep_from: int
    ) -> None:
        """Save ``state``, replacing the row of the same window end, and prune old rows.

        Raises
        ------
        NotFoundError
            There is no monitor named ``monitor``.
        """
        d = t.detector_states
        with write(self._engine) as connection:
            monitor_id = monitor_row(connection, monitor, lock="key_share").id
            key = (d.c.monitor_id == monitor_id, d.c.check_name == check, d.c.segment == segment)
            connection.execute(d.delete().where(*key, d.c.window_end == state.window_end))
            connection.execute(d.insert().values(
                monitor_id=monitor_id, check_name=check, segment=segment,
                window_end=state.window_end, window_start=state.window_start,
                fingerprint=state.fingerprint, state=json.dumps(dict(state.state)),
                n_fed=state.n_fed, model_version=state.model_version, updated_at=self._clock(),
            ))  # fmt: skip
            newest_old = connection.execute(
                sa.select(sa.func.max(d.c.window_end)).where(*key, d.c.window_end <= keep_from)
            ).scalar()
            if newest_old is not None:
                connection.execute(d.delete().where(*key, d.c.window_end < newest_old))
