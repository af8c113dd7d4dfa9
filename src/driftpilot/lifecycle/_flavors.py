"""Model flavors: how an artifact file becomes a :class:`Predictor`. One registry, ``FLAVORS``.

* ``sklearn``: a scikit-learn estimator saved with ``skops.io.dump``. Loading goes through
  skops' audit: only types skops trusts by default, plus those the caller names in
  ``trusted``, are built; anything else is refused with the list from
  ``skops.io.get_untrusted_types`` so a person can review it. Needs the ``sklearn`` extra.
* ``pickle``: a pickle or joblib file. Unpickling runs whatever code the file names, so it is
  refused unless the caller passes ``allow_pickle=True`` (only for files from people you
  trust; see the README).
* ``python``: any class importable on the serving machine, ``module:Class`` in the
  artifact's ``options["class"]``, built as ``Class(folder)`` from the folder holding the
  artifact (a ``.zip`` artifact is extracted there first). It implements ``predict(rows)``
  and optionally ``predict_proba(rows)`` on a list of feature mappings, like ``Predictor``.

Estimators (``sklearn``, ``pickle``) get their columns from the version's signature (its
``inputs``, in order) or, failing that, from the estimator's ``feature_names_in_``; with
``feature_names_in_`` they are given a pandas frame (as they were fitted), else an array.
"""

from __future__ import annotations

import importlib
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftpilot._optional import require
from driftpilot.errors import InvalidParameterError, SchemaMismatchError, UntrustedArtifactError
from driftpilot.lifecycle._predictor import Predictor
from driftpilot.lifecycle._records import ModelVersion

__all__ = ["FLAVORS", "Flavor", "LoadOptions", "check_flavor"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadOptions:
    """What the caller trusts: extra skops types, and whether pickle may be loaded."""

    trusted: tuple[str, ...] = ()
    allow_pickle: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Flavor:
    """A way of loading an artifact; ``options`` names the artifact options it requires."""

    name: str
    description: str
    load: Callable[[Path, ModelVersion, LoadOptions], Predictor]
    options: tuple[str, ...] = ()


def check_flavor(flavor: object, options: Mapping[str, str]) -> str:
    """Return ``flavor`` if it is registered and ``options`` has what it needs, else raise."""
    if not isinstance(flavor, str) or flavor not in FLAVORS:
        known = ", ".join(repr(name) for name in sorted(FLAVORS))
        raise InvalidParameterError(
            f"The artifact's 'flavor' must be one of {known}. Got {flavor!r} instead."
        )
    for name in FLAVORS[flavor].options:
        if not options.get(name):
            raise InvalidParameterError(
                f"The {flavor!r} flavor needs the artifact option {name!r} "
                "(for 'class': 'package.module:ClassName'). It is missing."
            )
    if flavor == "python":
        _split_entry(options["class"])
    return flavor


class EstimatorPredictor:
    """A scikit-learn-like estimator behind the ``Predictor`` protocol."""

    def __init__(self, estimator: Any, columns: Sequence[str]) -> None:
        self.estimator = estimator
        names = getattr(estimator, "feature_names_in_", None)
        self._frame = names is not None
        self.columns = list(columns) or ([str(n) for n in names] if names is not None else [])
        if not self.columns:
            raise SchemaMismatchError(
                "The model's columns are unknown: give the version a signature with its inputs "
                "(register --input NAME:TYPE ...), or fit the estimator on a data frame."
            )
        self.classes = [str(c) for c in getattr(estimator, "classes_", [])]

    def _matrix(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        values = []
        for i, row in enumerate(rows):
            try:
                values.append([row[c] for c in self.columns])
            except KeyError as err:
                raise SchemaMismatchError(
                    f"Row {i} has no feature {err.args[0]!r}; the model takes "
                    f"{', '.join(self.columns)}."
                ) from None
        if self._frame:
            pandas = require("pandas", extra="pandas", purpose="A model fitted on a data frame")
            return pandas.DataFrame(values, columns=self.columns)
        try:
            return np.asarray(values, dtype=np.float64).reshape(len(values), len(self.columns))
        except (TypeError, ValueError):
            return np.asarray(values, dtype=object).reshape(len(values), len(self.columns))

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Return one prediction per row."""
        if not rows:
            return []
        predicted: list[Any] = np.asarray(self.estimator.predict(self._matrix(rows))).tolist()
        return predicted

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]] | None:
        """Return one class-probability mapping per row, or ``None`` without scores."""
        if not hasattr(self.estimator, "predict_proba"):
            return None
        if not rows:
            return []
        scores = np.asarray(self.estimator.predict_proba(self._matrix(rows)), dtype=np.float64)
        classes = self.classes or [str(k) for k in range(scores.shape[1])]
        return [dict(zip(classes, map(float, row), strict=True)) for row in scores]


class ClassPredictor:
    """A user's class (the ``python`` flavor) behind the ``Predictor`` protocol."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Return one prediction per row."""
        return list(self.instance.predict(rows))

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, float]] | None:
        """Return one class-probability mapping per row, or ``None`` without scores."""
        method = getattr(self.instance, "predict_proba", None)
        if method is None:
            return None
        scores = method(rows)
        return None if scores is None else [dict(s) for s in scores]


def _load_skops(path: Path, version: ModelVersion, options: LoadOptions) -> Predictor:
    skops_io = require("skops.io", extra="sklearn", purpose="Loading a 'sklearn' artifact")
    exceptions = require("skops.io.exceptions", extra="sklearn", purpose="Loading skops")
    try:
        estimator = skops_io.load(path, trusted=list(options.trusted))
    except exceptions.UntrustedTypesFoundException:
        untrusted = skops_io.get_untrusted_types(file=path)
        raise UntrustedArtifactError(
            f"Version {version.version!r} of model {version.model!r} holds types skops does "
            f"not trust by default: {', '.join(untrusted)}. Review them; if you trust them, "
            "load with trusted=[...] (CLI: --trust TYPE, repeatable)."
        ) from None
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise InvalidParameterError(
            f"The artifact of version {version.version!r} of model {version.model!r} is not a "
            f"readable skops file: {err}"
        ) from None
    return EstimatorPredictor(estimator, list(version.signature.inputs))


def _load_pickle(path: Path, version: ModelVersion, options: LoadOptions) -> Predictor:
    if not options.allow_pickle:
        raise UntrustedArtifactError(
            f"Version {version.version!r} of model {version.model!r} is a pickle, and loading "
            "a pickle runs any code it names. Load it only if you trust who made it, with "
            "allow_pickle=True (CLI: --allow-pickle); better, save it with skops."
        )
    import joblib

    return EstimatorPredictor(joblib.load(path), list(version.signature.inputs))


def _split_entry(entry: str) -> tuple[str, str]:
    module, _, name = entry.partition(":")
    if not module or not name:
        raise InvalidParameterError(
            "The 'python' flavor's 'class' option must be 'package.module:ClassName'. "
            f"Got {entry!r} instead."
        )
    return module, name


def _load_class(path: Path, version: ModelVersion, _options: LoadOptions) -> Predictor:
    entry = version.artifact.options.get("class", "") if version.artifact else ""
    module_name, class_name = _split_entry(entry)
    folder = path.parent
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise InvalidParameterError(
                        f"The artifact's zip holds the unsafe path {member!r}; it is refused."
                    )
            archive.extractall(folder)
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as err:
        raise InvalidParameterError(
            f"The class {module_name}:{class_name} of version {version.version!r} cannot be "
            f"imported: {err}. Install its package on this machine."
        ) from None
    instance = cls(folder)
    if not callable(getattr(instance, "predict", None)):
        raise InvalidParameterError(
            f"The class {module_name}:{class_name} has no predict(rows) method."
        )
    return ClassPredictor(instance)


#: Every flavor, by name: validation, loading and the docs read this.
FLAVORS: dict[str, Flavor] = {
    flavor.name: flavor
    for flavor in (
        Flavor(name="sklearn", description="scikit-learn through skops (trusted types only).",
               load=_load_skops),
        Flavor(name="pickle", description="pickle or joblib; only with allow_pickle=True.",
               load=_load_pickle),
        Flavor(name="python", description="Class(folder) from an importable module:Class.",
               load=_load_class, options=("class",)),
    )
}  # fmt: skip
