"""``load_version``: the one way a registered version becomes a :class:`Predictor`.

The serving router, the CLI and tests all call it. The artifact is fetched into a folder of
its own (checked against its SHA-256 on the way) and handed to its flavor (``FLAVORS``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from driftpilot.errors import InvalidParameterError
from driftpilot.lifecycle._flavors import FLAVORS, LoadOptions, check_flavor
from driftpilot.lifecycle._predictor import Predictor
from driftpilot.lifecycle._records import Artifact, ModelVersion

__all__ = ["ArtifactSource", "load_version"]


class ArtifactSource(Protocol):
    """Where artifacts are fetched from: ``ArtifactStore``, or the HTTP ``RegistryClient``."""

    def fetch(self, artifact: Artifact, destination: str | Path) -> Path:
        """Copy the artifact to the local file ``destination``, checked by its SHA-256."""
        ...


def load_version(
    version: ModelVersion,
    artifacts: ArtifactSource,
    *,
    workdir: str | Path | None = None,
    trusted: Sequence[str] = (),
    allow_pickle: bool = False,
) -> Predictor:
    """Fetch a version's artifact and load it into a ``Predictor``.

    Parameters
    ----------
    version
        A registered version (``Registry.get_version``).
    artifacts
        Where its artifact is fetched from.
    workdir
        A folder for the fetched file (a new temporary folder if omitted); the ``python``
        flavor's class keeps reading it, so it must outlive the predictor.
    trusted
        skops types to trust beyond skops' defaults (``sklearn`` flavor), as listed by the
        error that refused them.
    allow_pickle
        Load ``pickle`` artifacts, which run any code they name. Only for trusted files.

    Raises
    ------
    InvalidParameterError
        The version has no artifact, or an artifact that cannot be read.
    ChecksumMismatchError
        The artifact's bytes differ from the SHA-256 recorded at registration.
    UntrustedArtifactError
        Untrusted skops types, or a pickle without ``allow_pickle``.
    """
    artifact = version.artifact
    if artifact is None:
        raise InvalidParameterError(
            f"Version {version.version!r} of model {version.model!r} has no registered "
            "artifact to load."
        )
    flavor = FLAVORS[check_flavor(artifact.flavor, artifact.options)]
    folder = Path(
        tempfile.mkdtemp(prefix=f"{version.model}-", dir=None if workdir is None else workdir)
    )
    name = artifact.uri.rstrip("/").rsplit("/", 1)[-1] or "model.bin"
    path = artifacts.fetch(artifact, folder / name)
    options = LoadOptions(trusted=tuple(trusted), allow_pickle=allow_pickle)
    return flavor.load(path, version, options)
