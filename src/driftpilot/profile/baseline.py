"""A baseline: the profile of a model's training or reference data, with its metadata.

A :class:`Baseline` keeps the feature profile (every column but the target and the
prediction), separate summaries of the target and prediction columns, a fingerprint of the
data (covering every column the profile could read; unreadable ones are listed in
``profile.skipped``), the model's name and version, training metrics, per-column drift
thresholds and the UTC creation time. It is saved like a profile, with ``"kind":
"baseline"``.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from driftpilot._columns import ColumnType
from driftpilot._frames import to_table
from driftpilot.errors import (
    InvalidParameterError,
    ProfileFormatError,
    SchemaMismatchError,
    UnsupportedDataError,
)
from driftpilot.profile import _serial
from driftpilot.profile._build import profile
from driftpilot.profile._profile import Profile, profile_body, profile_from_body
from driftpilot.profile._summary import ColumnSummary, summary_from_dict
from driftpilot.profile.config import ProfileConfig
from driftpilot.profile.fingerprint import fingerprint

__all__ = ["Baseline", "baseline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Profile and metadata of the data a model was trained or validated on.

    Attributes
    ----------
    profile
        Profile of the feature columns (all but ``target`` and ``prediction``).
    fingerprint
        Content hash of the data (``driftpilot.profile.fingerprint``).
    created_at
        UTC time of creation, ISO 8601.
    target, prediction
        Names of the target and prediction columns, if any.
    target_summary, prediction_summary
        Their summaries, built with the profile's configuration.
    model_name, model_version
        The model the baseline belongs to.
    performance
        Training or validation metrics, by name.
    thresholds
        Drift threshold per column.
    """

    profile: Profile
    fingerprint: str
    created_at: str
    target: str | None = None
    prediction: str | None = None
    target_summary: ColumnSummary | None = None
    prediction_summary: ColumnSummary | None = None
    model_name: str | None = None
    model_version: str | None = None
    performance: Mapping[str, float] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for role, name, summary in self._outputs():
            if (name is None) != (summary is None):
                raise InvalidParameterError(f"A Baseline needs both the {role} name and summary.")
            if summary is not None and summary.n != self.profile.n_rows:
                raise InvalidParameterError(
                    f"The {role} summary counts {summary.n} rows, the profile "
                    f"{self.profile.n_rows}."
                )
        object.__setattr__(self, "created_at", _utc_iso(self.created_at))
        object.__setattr__(self, "performance", _numbers(self.performance, "performance"))
        thresholds = _numbers(self.thresholds, "thresholds", minimum=0.0)
        known = [*self.profile.columns, *(name for _, name, _ in self._outputs() if name)]
        unknown = [c for c in thresholds if c not in known]
        if unknown:
            raise SchemaMismatchError(
                f"The 'thresholds' parameter names columns the baseline does not have: "
                f"{unknown}. Its columns are {known}."
            )
        object.__setattr__(self, "thresholds", thresholds)

    def _outputs(self) -> list[tuple[str, str | None, ColumnSummary | None]]:
        return [
            ("target", self.target, self.target_summary),
            ("prediction", self.prediction, self.prediction_summary),
        ]

    def as_profile(self) -> Profile:
        """Return one profile of every column: features, then target, then prediction.

        ``profile(current, reference=baseline)`` uses it, so current target and prediction
        columns are binned on the baseline's edges too.
        """
        columns = dict(self.profile.columns)
        for _, name, summary in self._outputs():
            if name is not None and summary is not None:
                columns[name] = summary
        p = self.profile
        return Profile(columns=columns, n_rows=p.n_rows, config=p.config, skipped=p.skipped)

    def to_dict(self) -> dict[str, Any]:
        """Return the versioned JSON-ready form (``"kind": "baseline"``)."""
        outputs = {
            role: None if name is None or s is None else {"name": name, **s.to_dict()}
            for role, name, s in self._outputs()
        }
        return {
            "schema_version": _serial.SCHEMA_VERSION,
            "kind": "baseline",
            "created_at": self.created_at,
            "fingerprint": self.fingerprint,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "performance": dict(self.performance),
            "thresholds": dict(self.thresholds),
            **outputs,
            "profile": profile_body(self.profile),
        }

    @classmethod
    def from_dict(cls, data: object) -> Baseline:
        """Read a baseline written by :meth:`to_dict`."""
        fields = _serial.check_document(data, "baseline")
        features = profile_from_body(fields.get_object("profile"))
        outputs: dict[str, Any] = {}
        for role in ("target", "prediction"):
            item = fields.raw(role)
            if item is not None:
                where = f"the {role} of the baseline"
                outputs[role] = _serial.Fields(item, where).get_str("name")
                outputs[f"{role}_summary"] = summary_from_dict(
                    item, config=features.config, where=where
                )
        performance, thresholds = (
            {k: f.get_float(k) for k in f.data}
            for f in (fields.get_object("performance"), fields.get_object("thresholds"))
        )
        try:
            return cls(
                profile=features, fingerprint=fields.get_str("fingerprint"),
                created_at=fields.get_str("created_at"),
                model_name=fields.get_optional_str("model_name"),
                model_version=fields.get_optional_str("model_version"),
                performance=performance, thresholds=thresholds, **outputs,
            )  # fmt: skip
        except (InvalidParameterError, SchemaMismatchError) as err:
            raise ProfileFormatError(f"The baseline is inconsistent: {err}") from err

    def to_json(self, *, indent: int | None = None) -> str:
        """Return :meth:`to_dict` as JSON text."""
        return _serial.to_json_text(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Baseline:
        """Read a baseline from JSON text written by :meth:`to_json`."""
        return cls.from_dict(_serial.parse_json_text(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the baseline to ``path`` as JSON, atomically."""
        _serial.write_document(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline saved by :meth:`save`; errors name the file."""
        return _serial.load_file(cls.from_dict, path)

    def __repr__(self) -> str:
        from driftpilot.profile._display import baseline_repr

        return baseline_repr(self)

    def _repr_html_(self) -> str:
        """Return the metadata and a table of the columns for a notebook (scoped styles)."""
        from driftpilot.profile._display import baseline_html

        return baseline_html(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle through the versioned JSON form: the sketches travel as their bytes.
        return (_unpickle_baseline, (self.to_json(),))


def _unpickle_baseline(text: str) -> Baseline:
    return Baseline.from_json(text)


def baseline(
    data: Any,
    *,
    target: str | None = None,
    prediction: str | None = None,
    model_name: str | None = None,
    model_version: str | None = None,
    performance: Mapping[str, float] | None = None,
    thresholds: Mapping[str, float] | None = None,
    schema: Mapping[str, str | ColumnType] | None = None,
    config: ProfileConfig | None = None,
    created_at: str | datetime | None = None,
) -> Baseline:
    """Profile a model's training or reference data and record what belongs with it.

    Parameters
    ----------
    data
        The data (any input ``profile`` accepts).
    target, prediction
        Names of the target and prediction columns, summarised apart from the features.
    model_name, model_version
        The model the baseline belongs to.
    performance
        Training or validation metrics (finite numbers), by name.
    thresholds
        Drift threshold (a finite number >= 0) per column; the columns must exist.
    schema, config
        As for ``profile``.
    created_at
        Creation time (timezone-aware; stored in UTC); now if omitted. Pass it to make the
        saved file reproducible.

    Examples
    --------
    >>> from driftpilot.profile import baseline
    >>> data = {"age": [31.0, 45.0, 27.0], "churned": [0, 1, 0]}
    >>> b = baseline(data, target="churned", model_name="churn", model_version="3",
    ...              performance={"auc": 0.91}, created_at="2024-05-01T12:00:00+00:00")
    >>> list(b.profile.columns), b.target_summary.kind.value
    (['age'], 'categorical')
    >>> b.created_at, b.fingerprint[:8]
    ('2024-05-01T12:00:00+00:00', 'blake2b:')
    """
    table = to_table(data, name="data")
    for role, name in (("target", target), ("prediction", prediction)):
        if name is not None and name not in table.column_names:
            raise SchemaMismatchError(
                f"The {role} column {name!r} is not in the data. Its columns are "
                f"{table.column_names}."
            )
    if target is not None and target == prediction:
        raise InvalidParameterError(
            f"The 'target' and 'prediction' parameters of baseline must name different "
            f"columns. Got {target!r} for both."
        )
    full = profile(table, schema, config=config)
    outputs: dict[str, Any] = {}
    for role, name in (("target", target), ("prediction", prediction)):
        if name is not None:
            if name in full.skipped:
                raise UnsupportedDataError(
                    f"The {role} column {name!r} cannot be profiled: {full.skipped[name]}"
                )
            outputs[f"{role}_summary"] = full.columns[name]
    features = Profile(
        columns={k: s for k, s in full.columns.items() if k not in (target, prediction)},
        n_rows=full.n_rows, config=full.config, skipped=full.skipped,
    )  # fmt: skip
    return Baseline(
        profile=features, fingerprint=fingerprint(table.drop_columns(list(full.skipped))),
        created_at=_utc_iso(datetime.now(UTC) if created_at is None else created_at),
        target=target, prediction=prediction, model_name=model_name,
        model_version=model_version, performance=dict(performance or {}),
        thresholds=dict(thresholds or {}), **outputs,
    )  # fmt: skip


def _utc_iso(value: object) -> str:
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidParameterError(
            "The 'created_at' parameter of baseline must be a timezone-aware datetime or ISO "
            f"8601 string (such as '2024-05-01T12:00:00+00:00'). Got {value!r} instead."
        )
    return moment.astimezone(UTC).isoformat()


def _numbers(values: object, name: str, *, minimum: float | None = None) -> Mapping[str, float]:
    if not isinstance(values, Mapping):
        raise InvalidParameterError(
            f"The {name!r} parameter of baseline must be a mapping of name to number. "
            f"Got {type(values).__name__} instead."
        )
    checked = {}
    for key, value in values.items():
        ok = (
            isinstance(key, str) and isinstance(value, numbers.Real) and not isinstance(value, bool)
        )
        if not ok or not math.isfinite(value) or (minimum is not None and value < minimum):
            bound = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
            raise InvalidParameterError(
                f"Each value of the {name!r} parameter of baseline must be {bound}, keyed by "
                f"a string. Got {key!r}: {value!r} instead."
            )
        checked[key] = float(value)
    return MappingProxyType(checked)
