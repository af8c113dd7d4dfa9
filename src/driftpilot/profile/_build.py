"""Building a profile from data: column kinds, reference edges, threads.

Decisions:

* Column kinds: ``schema[column]`` if given, else the reference profile's kind, else
  ``infer_type``. A schema that contradicts the reference raises ``SchemaMismatchError``.
  Columns whose Arrow type cannot be profiled are listed in ``Profile.skipped`` with the
  reason, not fatal.
* Histograms: without a reference (or for a column the reference lacks) a numeric column
  is binned on its own quantile edges (``quantile_edges``), so the profile can serve as a
  reference; with a reference it is binned on the reference's edges, so its counts can be
  compared and merged with other profiles of the same reference.
* Columns are summarised on two threads (numpy and Arrow release the GIL; DataSketches'
  KLL update does not), which measured 1.3x faster on 1M rows x 25 columns; small inputs
  stay on one thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftpilot._columns import ColumnType, infer_type, parse_column_type
from driftpilot._frames import to_table
from driftpilot.errors import InvalidParameterError, SchemaMismatchError, UnsupportedDataError
from driftpilot.profile._profile import Profile
from driftpilot.profile._summary import ColumnSummary, reference_edges, summarize
from driftpilot.profile.config import ProfileConfig

if TYPE_CHECKING:
    from driftpilot.profile.baseline import Baseline

__all__ = ["profile"]

_PARALLEL_MIN_CELLS = 200_000  # below this, threads cost more than they save


def profile(
    data: Any,
    schema: Mapping[str, str | ColumnType] | None = None,
    *,
    reference: Profile | Baseline | None = None,
    config: ProfileConfig | None = None,
) -> Profile:
    """Profile every column of ``data``.

    Parameters
    ----------
    data
        A pandas, polars or pyarrow frame, a 2-D numpy array or a dict of columns.
    schema
        Kind of some columns (``"numeric"``, ``"categorical"``, ``"boolean"``,
        ``"datetime"``, ``"text"``), overriding the reference's and the inferred kinds.
    reference
        A profile (or baseline) to profile against: its kinds are used, and numeric
        columns are binned on its histogram edges, so the result can be compared with it
        and merged with other profiles of the same reference.
    config
        How to build the summaries; defaults to the reference's, else ``ProfileConfig()``.

    Raises
    ------
    SchemaMismatchError
        ``schema`` names a column ``data`` lacks or contradicts the reference, or a column
        cannot be read as its kind (strings in a numeric column).

    Examples
    --------
    >>> from driftpilot.profile import profile
    >>> p = profile({"age": [31.0, 45.0, 27.0, None], "plan": ["a", "b", "a", "a"]})
    >>> p.n_rows, p.schema["plan"].value
    (4, 'categorical')
    >>> p.columns["age"].n_missing, p.columns["age"].mean
    (1, 34.333333333333336)
    >>> dict(p.columns["plan"].counts)
    {'a': 3, 'b': 1}
    """
    table = to_table(data, name="data")
    ref = _as_reference(reference)
    config = config if config is not None else (ref.config if ref is not None else ProfileConfig())
    if not isinstance(config, ProfileConfig):
        raise InvalidParameterError(
            f"The 'config' parameter of profile must be a ProfileConfig. Got {config!r} instead."
        )
    names = table.column_names
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise SchemaMismatchError(f"The data has repeated column names: {repeated}.")
    schema = dict(schema or {})
    unknown = [c for c in schema if c not in names]
    if unknown:
        raise SchemaMismatchError(
            f"The 'schema' parameter names columns the data does not have: {unknown}. "
            f"The data's columns are {names}."
        )
    tasks, skipped = [], {}
    for name in names:
        try:
            tasks.append(_plan(table.column(name), name, schema.get(name), ref))
        except UnsupportedDataError as err:
            skipped[name] = str(err)
    cells = table.num_rows * len(tasks)

    def run(task: _Task) -> ColumnSummary:
        return _summarize(table.column(task.name), task, config)

    if len(tasks) > 1 and cells >= _PARALLEL_MIN_CELLS:
        with ThreadPoolExecutor(max_workers=2) as pool:
            summaries = list(pool.map(run, tasks))
    else:
        summaries = [run(task) for task in tasks]
    columns = {task.name: s for task, s in zip(tasks, summaries, strict=True)}
    return Profile(columns=columns, n_rows=table.num_rows, config=config, skipped=skipped)


@dataclass(frozen=True, slots=True)
class _Task:
    name: str
    kind: ColumnType
    origin: str
    reference: ColumnSummary | None
    has_reference: bool


def _plan(column: pa.ChunkedArray, name: str, given: Any, ref: Profile | None) -> _Task:
    in_ref = ref is not None and name in ref.columns
    ref_summary = ref.columns[name] if ref is not None and in_ref else None
    if given is not None:
        kind, origin = parse_column_type(given, column=name), "the schema"
        if ref_summary is not None and ref_summary.kind != kind:
            raise SchemaMismatchError(
                f"Column {name!r} is {ref_summary.kind.value} in the reference profile but "
                f"the schema says {kind.value}. Profile against a reference of the same schema."
            )
    elif ref_summary is not None:
        kind, origin = ref_summary.kind, "the reference profile"
    else:
        kind, origin = infer_type(column, name=name), "inference"
    return _Task(name, kind, origin, ref_summary, in_ref)


def _summarize(column: pa.ChunkedArray, task: _Task, config: ProfileConfig) -> ColumnSummary:
    try:
        return summarize(
            column, task.kind, name=task.name, config=config,
            edges=reference_edges(task.reference), own_edges=not task.has_reference,
        )  # fmt: skip
    except (
        SchemaMismatchError,
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
    ) as err:
        raise SchemaMismatchError(
            f"Column {task.name!r} (Arrow type {column.type}) cannot be profiled as "
            f"{task.kind.value}, the kind given by {task.origin}: {err}"
        ) from err


def _as_reference(reference: object) -> Profile | None:
    if reference is None or isinstance(reference, Profile):
        return reference
    as_profile = getattr(reference, "as_profile", None)
    if callable(as_profile):
        result = as_profile()
        if isinstance(result, Profile):
            return result
    raise InvalidParameterError(
        "The 'reference' parameter of profile must be a Profile or a Baseline. "
        f"Got {type(reference).__name__} instead."
    )
