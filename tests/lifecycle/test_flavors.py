"""Artifacts and flavors: checksums on every copy, skops' trusted types, opt-in pickle."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression

from driftpilot.errors import (
    ChecksumMismatchError,
    InvalidParameterError,
    SchemaMismatchError,
    UntrustedArtifactError,
)
from driftpilot.lifecycle import (
    Artifact,
    ArtifactStore,
    Lineage,
    ModelVersion,
    Predictor,
    Signature,
    VersionMetrics,
    VersionStatus,
    load_version,
)


class ShiftedLogistic(LogisticRegression):
    """A subclass skops does not know, so it is untrusted until named."""


class ThresholdModel:
    """A ``python`` flavor class: reads its threshold from the artifact folder."""

    def __init__(self, folder: Path) -> None:
        self.threshold = float((folder / "threshold.txt").read_text())

    def predict(self, rows: list[dict[str, Any]]) -> list[int]:
        return [int(row["x"] > self.threshold) for row in rows]


def _fitted(cls: type[LogisticRegression] = LogisticRegression) -> LogisticRegression:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return cls().fit(x, y)


def _version(artifact: Artifact, inputs: dict[str, str] | None = None) -> ModelVersion:
    return ModelVersion(
        model="m", version="1", status=VersionStatus.REGISTERED, revision=1, artifact=artifact,
        signature=Signature(inputs=inputs if inputs is not None else {"a": "float", "b": "float"}),
        lineage=Lineage(), metrics=VersionMetrics(), description=None, tags={}, created_by=None,
        created_at=0, registered_at=0,
    )  # fmt: skip


def _store(store: ArtifactStore, data: bytes, name: str, flavor: str, **options: str) -> Artifact:
    digest = hashlib.sha256(data).hexdigest()
    stored = store.put("m", io.BytesIO(data), filename=name, sha256=digest)
    assert (stored.size, stored.sha256) == (len(data), digest)
    return Artifact(uri=stored.uri, flavor=flavor, size=stored.size, sha256=digest,
                    options=options)  # fmt: skip


ROWS = [{"a": 1.0, "b": -0.5}, {"a": -2.0, "b": 0.1}, {"a": 0.3, "b": 0.3}]


def test_a_skops_model_loads_and_predicts_like_the_estimator(tmp_path: Path) -> None:
    estimator = _fitted()
    store = ArtifactStore(tmp_path / "artifacts")
    artifact = _store(store, skops.io.dumps(estimator), "model.skops", "sklearn")
    predictor = load_version(_version(artifact), store, workdir=tmp_path)
    assert isinstance(predictor, Predictor)
    matrix = np.array([[r["a"], r["b"]] for r in ROWS])
    assert predictor.predict(ROWS) == estimator.predict(matrix).tolist()
    scores = predictor.predict_proba(ROWS)
    assert scores is not None
    expected = estimator.predict_proba(matrix)
    for got, row in zip(scores, expected, strict=True):
        assert got == pytest.approx({"0": row[0], "1": row[1]}, abs=1e-12)
    with pytest.raises(SchemaMismatchError, match="Row 0 has no feature 'b'"):
        predictor.predict([{"a": 1.0}])


def test_skops_refuses_an_untrusted_type_and_names_it(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    data = skops.io.dumps(_fitted(ShiftedLogistic))
    artifact = _store(store, data, "model.skops", "sklearn")
    untrusted = skops.io.get_untrusted_types(data=data)
    assert any(t.endswith("ShiftedLogistic") for t in untrusted)
    with pytest.raises(UntrustedArtifactError) as refused:
        load_version(_version(artifact), store, workdir=tmp_path)
    assert all(t in str(refused.value) for t in untrusted)
    predictor = load_version(_version(artifact), store, workdir=tmp_path, trusted=untrusted)
    assert len(predictor.predict(ROWS)) == 3


def test_a_tampered_artifact_is_refused_by_its_checksum(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    artifact = _store(store, skops.io.dumps(_fitted()), "model.skops", "sklearn")
    stored = Path(artifact.uri.removeprefix("file://"))
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="changed or damaged"):
        load_version(_version(artifact), store, workdir=tmp_path)
    assert not list(tmp_path.glob("m-*/*"))  # nothing half-fetched is left


def test_an_upload_that_does_not_match_its_digest_is_not_stored(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    with pytest.raises(ChecksumMismatchError, match="not the declared"):
        store.put("m", io.BytesIO(b"abc"), filename="x.bin", sha256="0" * 64)
    assert not [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    with pytest.raises(InvalidParameterError, match="'sha256'"):
        store.put("m", io.BytesIO(b"abc"), filename="x.bin", sha256="xyz")


def test_uris_outside_the_store_are_refused(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    (tmp_path / "secret").write_bytes(b"s")
    digest = hashlib.sha256(b"s").hexdigest()
    for uri in (str(tmp_path / "secret"), f"file://{tmp_path}/artifacts/../secret"):
        with pytest.raises(InvalidParameterError, match="must lie under the artifact store"):
            store.check_existing(uri, sha256=digest)


def test_any_fsspec_url_works_as_the_store(tmp_path: Path) -> None:
    store = ArtifactStore("memory://driftpilot-tests/artifacts")
    artifact = _store(store, skops.io.dumps(_fitted()), "model.skops", "sklearn")
    assert artifact.uri.startswith("memory://")
    assert store.check_existing(artifact.uri, sha256=artifact.sha256).size == artifact.size
    assert len(load_version(_version(artifact), store, workdir=tmp_path).predict(ROWS)) == 3


def test_pickle_loads_only_when_allowed(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    buffer = io.BytesIO()
    joblib.dump(_fitted(), buffer)
    artifact = _store(store, buffer.getvalue(), "model.joblib", "pickle")
    with pytest.raises(UntrustedArtifactError, match="allow_pickle=True"):
        load_version(_version(artifact), store, workdir=tmp_path)
    predictor = load_version(_version(artifact), store, workdir=tmp_path, allow_pickle=True)
    assert len(predictor.predict(ROWS)) == 3


def test_a_python_class_is_built_from_the_artifact_folder(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("threshold.txt", "0.5")
    entry = f"{ThresholdModel.__module__}:ThresholdModel"
    artifact = _store(store, archive.getvalue(), "model.zip", "python", **{"class": entry})
    predictor = load_version(_version(artifact, {}), store, workdir=tmp_path)
    assert predictor.predict([{"x": 0.2}, {"x": 0.9}]) == [0, 1]
    assert predictor.predict_proba([{"x": 0.2}]) is None
    missing = Artifact(
        uri=artifact.uri,
        flavor="python",
        size=artifact.size,
        sha256=artifact.sha256,
        options={"class": "nowhere.at_all:Model"},
    )
    with pytest.raises(InvalidParameterError, match="cannot be imported"):
        load_version(_version(missing, {}), store, workdir=tmp_path)


def test_an_unknown_flavor_names_the_known_ones(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    artifact = _store(store, b"x", "m.bin", "onnx")
    with pytest.raises(InvalidParameterError, match="'pickle', 'python', 'sklearn'"):
        load_version(_version(artifact), store, workdir=tmp_path)
