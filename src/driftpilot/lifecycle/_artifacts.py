"""The artifact store: model files in a folder or any fsspec URL, checked by SHA-256.

``ArtifactStore(root)`` keeps files under ``root``: a local folder (the default,
``<data_dir>/artifacts``) or any URL fsspec knows (``s3://bucket/models``,
``gs://...``, ``memory://...``; the protocol's package, such as s3fs, must be installed).
fsspec is used because it already speaks every object store with one API; what is ours is
the layout, the atomic write and the checksum.

* Layout: ``<root>/<model>/<sha256>/<file name>``: content-addressed under the model, so a
  version's file never changes in place and re-uploading the same bytes is harmless.
* Writes are atomic: bytes go to a temporary name beside the target and are moved into place
  only once complete and checked (a rename on a local disk; an object store shows an object
  only once fully written).
* Every upload and every download is hashed as it streams; a digest other than the one
  declared (upload) or recorded (download) raises ``ChecksumMismatchError`` and leaves
  nothing behind.
* A file registered by URI (uploaded with other tools) must lie under ``root``: the service
  serves artifacts to ``read`` keys, so it must never be pointed at arbitrary files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import IO, Any

from driftpilot.errors import ChecksumMismatchError, InvalidParameterError, NotFoundError
from driftpilot.lifecycle._records import Artifact, check_sha256

__all__ = ["ArtifactStore", "StoredFile", "sha256_of"]

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def sha256_of(path: str | Path) -> str:
    """Return the hex SHA-256 of a local file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class StoredFile:
    """Where an upload went: its URI, size and SHA-256."""

    __slots__ = ("sha256", "size", "uri")

    def __init__(self, uri: str, size: int, sha256: str) -> None:
        self.uri, self.size, self.sha256 = uri, size, sha256


class ArtifactStore:
    """Model files under ``root`` (a folder or an fsspec URL).

    Parameters
    ----------
    root
        A local folder or any fsspec URL.
    storage_options
        Passed to the fsspec filesystem (credentials, endpoint).
    """

    def __init__(self, root: str | Path, **storage_options: Any) -> None:
        import fsspec

        text = str(root)
        if not text:
            raise InvalidParameterError("The artifact store's 'root' must not be empty.")
        if "://" not in text:
            text = str(Path(text).expanduser().resolve())
        try:
            self._fs, path = fsspec.core.url_to_fs(text, **storage_options)
        except (ImportError, ValueError) as err:
            raise InvalidParameterError(
                f"The artifact store {text!r} cannot be opened: {err}. A URL's protocol needs "
                "its fsspec package installed (s3fs for s3://, gcsfs for gs://)."
            ) from None
        self._root = str(path).rstrip("/")
        self.root = self._fs.unstrip_protocol(self._root)

    def put(self, model: str, source: IO[bytes], *, filename: str, sha256: str) -> StoredFile:
        """Store the bytes of ``source`` for ``model``, checked against ``sha256``.

        Raises
        ------
        ChecksumMismatchError
            The bytes' digest is not ``sha256``; nothing is stored.
        """
        expected = check_sha256(sha256)
        name = _safe_name(filename)
        final = f"{self._root}/{model}/{expected}/{name}"
        temporary = f"{self._root}/{model}/{expected}/.{name}.{uuid.uuid4().hex}.tmp"
        self._fs.makedirs(f"{self._root}/{model}/{expected}", exist_ok=True)
        digest, size = hashlib.sha256(), 0
        try:
            with self._fs.open(temporary, "wb") as out:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected:
                raise ChecksumMismatchError(
                    f"The uploaded artifact {filename!r} has SHA-256 {digest.hexdigest()}, "
                    f"not the declared {expected}; it was not stored. Check the file and the "
                    "digest (sha256sum FILE)."
                )
            self._fs.mv(temporary, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                if self._fs.exists(temporary):
                    self._fs.rm_file(temporary)
        return StoredFile(self._fs.unstrip_protocol(final), size, expected)

    def check_existing(self, uri: str, *, sha256: str) -> StoredFile:
        """Check a file already under ``root`` (registered by URI) against ``sha256``."""
        expected = check_sha256(sha256)
        path = self._inside(uri)
        if not self._fs.isfile(path):
            raise NotFoundError(f"There is no artifact at {uri!r}.")
        digest, size = hashlib.sha256(), 0
        with self._fs.open(path, "rb") as file:
            for chunk in iter(lambda: file.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != expected:
            raise ChecksumMismatchError(
                f"The artifact at {uri!r} has SHA-256 {digest.hexdigest()}, not the declared "
                f"{expected}."
            )
        return StoredFile(self._fs.unstrip_protocol(path), size, expected)

    def fetch(self, artifact: Artifact, destination: str | Path) -> Path:
        """Copy an artifact to the local file ``destination``, checked against its SHA-256.

        The file appears at ``destination`` only once checked (atomically).

        Raises
        ------
        ChecksumMismatchError
            The stored bytes do not match the recorded digest (tampered or damaged).
        NotFoundError
            The file is gone from the store.
        """
        path = self._inside(artifact.uri)
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        digest = hashlib.sha256()
        try:
            try:
                source = self._fs.open(path, "rb")
            except FileNotFoundError:
                raise NotFoundError(
                    f"The artifact {artifact.uri!r} is missing from the artifact store."
                ) from None
            with source, open(temporary, "wb") as out:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != artifact.sha256:
                raise ChecksumMismatchError(
                    f"The artifact {artifact.uri!r} has SHA-256 {digest.hexdigest()}, not the "
                    f"recorded {artifact.sha256}: it was changed or damaged after it was "
                    "registered, and is refused."
                )
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return target

    def _inside(self, uri: str) -> str:
        """Return the store path of ``uri``; ``InvalidParameterError`` if outside ``root``."""
        path = str(self._fs._strip_protocol(uri)) if uri.isprintable() else ""
        parts = path.split("/")
        if ".." in parts or not path.startswith(self._root + "/"):
            raise InvalidParameterError(
                f"The artifact URI must lie under the artifact store {self.root!r}. "
                f"Got {uri!r} instead."
            )
        return path


def _safe_name(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return name or "model.bin"
