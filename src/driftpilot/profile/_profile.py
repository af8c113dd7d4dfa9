"""A data set's profile: one mergeable summary per column; how it merges and is saved.

Decisions (see also the summaries' modules):

* Merging needs equal configurations, the same set of column names with the same kinds,
  and equal histogram edges (a side with no finite value and no edges adds nothing), or it
  raises ``IncompatibleProfilesError``; different column sets raise ``SchemaMismatchError``
  (a missing column cannot be taken as empty: the row counts would disagree). The one
  exception is a profile with no columns and no rows, the identity of every merge. The
  merged columns keep the left profile's order; equality does not look at order.
* ``==`` compares everything, sketches byte for byte (see NumericSummary on KLL's
  randomness).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from driftpilot._columns import ColumnType, parse_column_type
from driftpilot.errors import (
    IncompatibleProfilesError,
    InvalidParameterError,
    ProfileFormatError,
    SchemaMismatchError,
)
from driftpilot.profile import _serial
from driftpilot.profile._summary import (
    ColumnSummary,
    empty_summary,
    merge_summaries,
    reference_edges,
    summary_from_dict,
)
from driftpilot.profile.config import ProfileConfig

__all__ = ["Profile", "profile_body", "profile_from_body"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """Mergeable summaries of every column of a data set.

    Attributes
    ----------
    columns
        Summary per column, in the data's column order.
    n_rows
        Number of rows profiled.
    config
        How the summaries were built.
    skipped
        Columns that could not be profiled, with the reason.
    """

    columns: Mapping[str, ColumnSummary]
    n_rows: int
    config: ProfileConfig = field(default_factory=ProfileConfig)
    skipped: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        object.__setattr__(self, "skipped", MappingProxyType(dict(self.skipped)))
        for name, summary in self.columns.items():
            if summary.n != self.n_rows:
                raise InvalidParameterError(
                    f"The summary of column {name!r} counts {summary.n} rows, but the profile "
                    f"has n_rows={self.n_rows}."
                )

    @property
    def schema(self) -> dict[str, ColumnType]:
        """Kind of each profiled column."""
        return {name: summary.kind for name, summary in self.columns.items()}

    @classmethod
    def empty(
        cls,
        schema: Mapping[str, str | ColumnType] | None = None,
        *,
        config: ProfileConfig | None = None,
        reference: Profile | None = None,
    ) -> Profile:
        """Return the profile of zero rows: the identity of :meth:`merge`.

        With no schema (and no reference) it has no columns and merges with any profile of
        the same configuration. Numeric columns get zero counts on the reference's edges.
        """
        config = config or (reference.config if reference else ProfileConfig())
        if schema is None:
            schema = reference.schema if reference is not None else {}
        columns = {}
        for name, value in schema.items():
            kind = parse_column_type(value, column=name)
            ref = reference.columns.get(name) if reference is not None else None
            edges = reference_edges(ref) if ref is not None and ref.kind == kind else None
            columns[name] = empty_summary(kind, config=config, edges=edges)
        return cls(columns=columns, n_rows=0, config=config)

    def merge(self, other: Profile) -> Profile:
        """Return the profile of both inputs' rows; neither input changes.

        Merging is associative and commutative (exactly for counts, moments to rounding,
        histograms and exact category counts; sketches within their error bounds), with
        :meth:`empty` as identity.

        Raises
        ------
        IncompatibleProfilesError
            Different configurations, a column of different kinds, or histograms on
            different edges.
        SchemaMismatchError
            The profiles have different columns.

        Examples
        --------
        >>> from driftpilot.profile import ProfileConfig, profile
        >>> reference = profile({"x": [1.0, 2.0, 3.0, 4.0]}, config=ProfileConfig(bins=2))
        >>> monday = profile({"x": [1.0, 2.5]}, reference=reference)
        >>> tuesday = profile({"x": [3.5, 9.0]}, reference=reference)
        >>> week = monday.merge(tuesday)
        >>> week.n_rows, week.columns["x"].mean
        (4, 4.0)
        >>> week.columns["x"].histogram.counts.tolist()
        [1, 3]
        """
        if not isinstance(other, Profile):
            raise TypeError(f"A Profile merges with a Profile. Got {type(other).__name__}.")
        if other.config != self.config:
            raise IncompatibleProfilesError(
                "The profiles were built with different configurations "
                f"({self.config.describe_difference(other.config)}) and cannot be merged. "
                "Profile both data sets with the same config, or against the same reference "
                "with profile(data, reference=reference_profile)."
            )
        if not other.columns and not other.skipped and other.n_rows == 0:
            return self
        if not self.columns and not self.skipped and self.n_rows == 0:
            return other
        _check_same_columns(self, other)
        columns = {}
        for name, mine in self.columns.items():
            theirs = other.columns[name]
            if theirs.kind != mine.kind:
                raise IncompatibleProfilesError(
                    f"Column {name!r} is {mine.kind.value} in one profile and "
                    f"{theirs.kind.value} in the other. Profile both with the same schema."
                )
            try:
                columns[name] = merge_summaries(mine, theirs)
            except IncompatibleProfilesError as err:
                raise IncompatibleProfilesError(f"Column {name!r}: {err}") from err
        skipped = dict(self.skipped)
        for name, reason in other.skipped.items():
            skipped[name] = min(reason, skipped.get(name, reason))
        return Profile(
            columns=columns, n_rows=self.n_rows + other.n_rows, config=self.config, skipped=skipped
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the versioned JSON-ready form (``"schema_version": 2``, ``"kind": "profile"``)."""
        return {"schema_version": _serial.SCHEMA_VERSION, "kind": "profile", **profile_body(self)}

    @classmethod
    def from_dict(cls, data: object) -> Profile:
        """Read a profile written by :meth:`to_dict`.

        Raises
        ------
        ProfileFormatError
            Unknown ``schema_version``, another kind of document, or a malformed field.
        """
        return profile_from_body(_serial.check_document(data, "profile"))

    def to_json(self, *, indent: int | None = None) -> str:
        """Return :meth:`to_dict` as JSON text."""
        return _serial.to_json_text(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Profile:
        """Read a profile from JSON text written by :meth:`to_json`."""
        return cls.from_dict(_serial.parse_json_text(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile to ``path`` as JSON, atomically."""
        _serial.write_document(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Profile:
        """Read a profile saved by :meth:`save`; errors name the file."""
        return _serial.load_file(cls.from_dict, path)

    def __repr__(self) -> str:
        from driftpilot.profile._display import profile_repr

        return profile_repr(self)

    def _repr_html_(self) -> str:
        """Return a table of the columns for a notebook (scoped styles, no assets)."""
        from driftpilot.profile._display import profile_html

        return profile_html(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle through the versioned JSON form: the sketches travel as their bytes.
        return (_unpickle_profile, (self.to_json(),))


def _unpickle_profile(text: str) -> Profile:
    return Profile.from_json(text)


def profile_body(p: Profile) -> dict[str, Any]:
    """Return the fields of a profile without the document envelope (shared with baselines)."""
    return {
        "n_rows": p.n_rows,
        "config": p.config.to_dict(),
        "columns": [{"name": name, **s.to_dict()} for name, s in p.columns.items()],
        "skipped": dict(p.skipped),
    }


def profile_from_body(fields: _serial.Fields) -> Profile:
    """Read the fields written by :func:`profile_body`."""
    config = ProfileConfig.from_dict(fields.raw("config"))
    n_rows = fields.get_int("n_rows")
    columns: dict[str, ColumnSummary] = {}
    for i, item in enumerate(fields.get_list("columns")):
        name = _serial.Fields(item, f"columns[{i}] of {fields.where}").get_str("name")
        where = f"column {name!r} of {fields.where}"
        if name in columns:
            raise ProfileFormatError(f"Column {name!r} appears twice in {fields.where}.")
        columns[name] = summary_from_dict(item, config=config, where=where)
        if columns[name].n != n_rows:
            raise ProfileFormatError(
                f"{where} counts {columns[name].n} rows, but n_rows is {n_rows}."
            )
    skipped = fields.get_object("skipped")
    reasons = {name: skipped.get_str(name) for name in skipped.data}
    return Profile(columns=columns, n_rows=n_rows, config=config, skipped=reasons)


def _check_same_columns(a: Profile, b: Profile) -> None:
    only_a = [c for c in a.columns if c not in b.columns]
    only_b = [c for c in b.columns if c not in a.columns]
    if only_a or only_b:
        raise SchemaMismatchError(
            "Profiles with different columns cannot be merged: a column missing from one "
            "side is not empty there, its rows are simply not profiled. Columns only in the "
            f"first profile: {only_a}; only in the second: {only_b}."
        )
