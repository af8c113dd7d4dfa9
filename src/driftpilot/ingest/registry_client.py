"""``RegistryClient``: the model registry of a running service, from Python (and the CLI).

Unlike the logging clients, every call waits for its answer and raises on failure: the
service's error object becomes the same error as in-process (``NotFoundError``,
``StaleRevisionError``, ``ChecksumMismatchError``, ...). Writes to records that exist take
the revision the caller read (``revision=``); ``promote`` and ``rollback`` read it
themselves just before writing, so a concurrent move in between is refused, not overwritten.
Uploads send the file's SHA-256, which the service checks; downloads are checked here too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from driftpilot import errors
from driftpilot.lifecycle import (
    Alias,
    AliasMove,
    Artifact,
    EvaluationReport,
    Lineage,
    ModelVersion,
    Predictor,
    Signature,
    VersionMetrics,
    VersionStatus,
    VersionSummary,
    load_version,
    sha256_of,
)

__all__ = ["RegistryClient"]

_ERRORS: dict[str, type[errors.DriftpilotError]] = {
    cls.code: cls
    for cls in (
        errors.NotFoundError, errors.ConflictError, errors.PreconditionRequiredError,
        errors.ChecksumMismatchError, errors.UntrustedArtifactError, errors.AuthError,
        errors.ForbiddenError, errors.RequestFormatError, errors.PayloadTooLargeError,
    )
}  # fmt: skip


def _us(text: str | None) -> int | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1_000_000)


def _iso(us: int | None) -> str | None:
    from datetime import UTC

    return None if us is None else datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def _version(data: dict[str, Any]) -> ModelVersion:
    artifact = data.get("artifact")
    lineage = dict(data["lineage"])
    lineage["data_start"], lineage["data_end"] = (
        _us(lineage["data_start"]),
        _us(lineage["data_end"]),
    )
    return ModelVersion(
        model=data["model"], version=data["version"],
        status=None if data["status"] is None else VersionStatus(data["status"]),
        revision=data["revision"], artifact=None if artifact is None else Artifact(**artifact),
        signature=Signature(**data["signature"]), lineage=Lineage.from_dict(lineage),
        metrics=VersionMetrics(**data["metrics"]), description=data["description"],
        tags=data["tags"], created_by=data["created_by"],
        created_at=_us(data["created_at"]) or 0, registered_at=_us(data["registered_at"]),
        aliases=tuple(data["aliases"]),
        reports=tuple(
            EvaluationReport(id=r["id"], name=r["name"], document=r["document"],
                             created_by=r["created_by"], created_at=_us(r["created_at"]) or 0)
            for r in data["reports"]
        ),
    )  # fmt: skip


def _move(model: str, data: dict[str, Any]) -> AliasMove:
    return AliasMove(
        id=data["id"], model=model, alias=data["alias"], version=data["version"],
        previous=data["previous"], actor=data["actor"], reason=data["reason"],
        revision=data["revision"], rollback=data["rollback"], moved_at=_us(data["moved_at"]) or 0,
    )  # fmt: skip


def _alias(model: str, data: dict[str, Any]) -> Alias:
    return Alias(model=model, alias=data["alias"], version=data["version"],
                 revision=data["revision"], updated_at=_us(data["updated_at"]) or 0)  # fmt: skip


class RegistryClient:
    """The registry of the service at ``url`` (default ``$DRIFTPILOT_URL``).

    Parameters
    ----------
    url
        The service's base URL (``http://127.0.0.1:8000`` if neither given nor set).
    api_key
        An API key (default ``$DRIFTPILOT_API_KEY``): ``read`` to look, ``admin`` to change.
    timeout
        Seconds per request (uploads and downloads: per chunk).
    """

    def __init__(
        self, url: str | None = None, *, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        base = url or os.environ.get("DRIFTPILOT_URL") or "http://127.0.0.1:8000"
        if not base.startswith(("http://", "https://")):
            raise errors.InvalidParameterError(
                f"The 'url' of RegistryClient must be an http:// or https:// URL. Got {base!r}."
            )
        key = api_key or os.environ.get("DRIFTPILOT_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url = base.rstrip("/")
        self._http = httpx.Client(base_url=self.url + "/v1", headers=headers, timeout=timeout)

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise errors.ServiceUnavailableError(
                f"Cannot reach the driftpilot service at {self.url}: {err}. Is it running "
                "(driftpilot serve), and is --url (DRIFTPILOT_URL) right?"
            ) from None
        if response.status_code >= 400:
            _raise(response)
        return response

    # -- versions ----------------------------------------------------------------------------

    def register(
        self, model: str, version: str, file: str | Path, *, flavor: str,
        options: dict[str, str] | None = None, signature: Signature | None = None,
        lineage: Lineage | None = None, metrics: VersionMetrics | None = None,
        description: str | None = None, tags: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Upload ``file`` as the artifact of a new version and register it."""
        path = Path(file)
        manifest = self._manifest(flavor, sha256_of(path), options, signature, lineage, metrics,
                                  description, tags, actor)  # fmt: skip
        with path.open("rb") as handle:
            response = self._call(
                "PUT", f"/models/{model}/versions/{_quote(version)}/artifact",
                files={"file": (path.name, handle, "application/octet-stream")},
                data={"manifest": json.dumps(manifest)},
            )  # fmt: skip
        return _version(response.json())

    def register_uri(
        self, model: str, version: str, uri: str, *, sha256: str, flavor: str,
        options: dict[str, str] | None = None, signature: Signature | None = None,
        lineage: Lineage | None = None, metrics: VersionMetrics | None = None,
        description: str | None = None, tags: dict[str, str] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Register a version whose artifact is already under the service's artifact store."""
        body = self._manifest(flavor, sha256, options, signature, lineage, metrics, description,
                              tags, actor)  # fmt: skip
        response = self._call("PUT", f"/models/{model}/versions/{_quote(version)}/artifact",
                              json={**body, "uri": uri})  # fmt: skip
        return _version(response.json())

    @staticmethod
    def _manifest(
        flavor: str, sha256: str, options: dict[str, str] | None, signature: Signature | None,
        lineage: Lineage | None, metrics: VersionMetrics | None, description: str | None,
        tags: dict[str, str] | None, actor: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        lineage_dict = (lineage or Lineage()).to_dict()
        lineage_dict["data_start"] = _iso(lineage_dict["data_start"])
        lineage_dict["data_end"] = _iso(lineage_dict["data_end"])
        body: dict[str, Any] = {
            "flavor": flavor, "sha256": sha256, "options": options or {},
            "signature": (signature or Signature()).to_dict(), "lineage": lineage_dict,
            "metrics": (metrics or VersionMetrics()).to_dict(), "description": description,
            "tags": tags or {},
        }  # fmt: skip
        if actor is not None:
            body["actor"] = actor
        return body

    def get_version(self, model: str, version: str) -> ModelVersion:
        """Return one version with its artifact, lineage, aliases and reports."""
        return _version(self._call("GET", f"/models/{model}/versions/{_quote(version)}").json())

    def list_versions(
        self, model: str, *, status: VersionStatus | str | None = None, limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[VersionSummary], str | None]:  # fmt: skip
        """Return a page of versions, oldest first, and the cursor of the next page."""
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = VersionStatus(status).value
        if cursor is not None:
            params["cursor"] = cursor
        data = self._call("GET", f"/models/{model}/versions", params=params).json()
        items = [
            VersionSummary(
                model=model,
                version=v["version"],
                status=None if v["status"] is None else VersionStatus(v["status"]),
                revision=v["revision"],
                flavor=v["flavor"],
                aliases=tuple(v["aliases"]),
                baseline_id=v["baseline_id"],
                sha256=v["sha256"],
                created_at=_us(v["created_at"]) or 0,
                registered_at=_us(v["registered_at"]),
            )
            for v in data["items"]
        ]
        return items, data["next_cursor"]

    def set_status(
        self, model: str, version: str, status: VersionStatus | str, *, reason: str,
        revision: int | None = None, actor: str | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Change a version's status (``revision``: the one read; default: read it now)."""
        current = revision if revision is not None else self.get_version(model, version).revision
        body = {"status": VersionStatus(status).value, "reason": reason, **_who(actor)}
        response = self._call("POST", f"/models/{model}/versions/{_quote(version)}/status",
                              json=body, headers=_if_match(current))  # fmt: skip
        return _version(response.json())

    def archive(
        self, model: str, version: str, *, reason: str, revision: int | None = None,
        actor: str | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Archive a version (final)."""
        return self.set_status(model, version, VersionStatus.ARCHIVED, reason=reason,
                               revision=revision, actor=actor)  # fmt: skip

    def attach_report(
        self, model: str, version: str, name: str, document: dict[str, Any], *,
        actor: str | None = None,
    ) -> ModelVersion:  # fmt: skip
        """Attach an evaluation report to a version."""
        response = self._call(
            "POST",
            f"/models/{model}/versions/{_quote(version)}/reports",
            json={"name": name, "document": document, **_who(actor)},
        )
        return _version(response.json())

    def download(self, model: str, version: str, destination: str | Path) -> Path:
        """Download a version's artifact to ``destination``, checked against its SHA-256."""
        record = self.get_version(model, version)
        if record.artifact is None:
            raise errors.InvalidParameterError(
                f"Version {version!r} of model {model!r} has no registered artifact."
            )
        return self._download(model, version, record.artifact, Path(destination))

    def _download(self, model: str, version: str, artifact: Artifact, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        digest = hashlib.sha256()
        try:
            with os.fdopen(handle, "wb") as out:
                path = f"/models/{model}/versions/{_quote(version)}/artifact"
                try:
                    with self._http.stream("GET", path) as response:
                        if response.status_code >= 400:
                            response.read()
                            _raise(response)
                        for chunk in response.iter_bytes():
                            digest.update(chunk)
                            out.write(chunk)
                except httpx.TransportError as err:
                    raise errors.ServiceUnavailableError(
                        f"The download from {self.url} failed: {err}"
                    ) from None
            if digest.hexdigest() != artifact.sha256:
                raise errors.ChecksumMismatchError(
                    f"The downloaded artifact of version {version!r} has SHA-256 "
                    f"{digest.hexdigest()}, not the recorded {artifact.sha256}; it was removed."
                )
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)
        return target

    def load(
        self, model: str, version: str | None = None, *, alias: str = "champion",
        workdir: str | Path | None = None, trusted: tuple[str, ...] = (),
        allow_pickle: bool = False,
    ) -> Predictor:  # fmt: skip
        """Download and load a version (default: the one ``alias`` points at)."""
        if version is None:
            found = self.get_alias(model, alias).version
            if found is None:
                raise errors.NotFoundError(f"Alias {alias!r} of model {model!r} is removed.")
            version = found
        record = self.get_version(model, version)
        source = _HttpSource(self, model, record.version)
        return load_version(record, source, workdir=workdir, trusted=trusted,
                            allow_pickle=allow_pickle)  # fmt: skip

    # -- aliases -----------------------------------------------------------------------------

    def get_alias(self, model: str, alias: str) -> Alias:
        """Return an alias (``version`` ``None`` once removed)."""
        return _alias(model, self._call("GET", f"/models/{model}/aliases/{alias}").json())

    def list_aliases(self, model: str) -> list[Alias]:
        """Return the aliases that point at a version."""
        data = self._call("GET", f"/models/{model}/aliases").json()
        return [_alias(model, a) for a in data["items"]]

    def _revision(self, model: str, alias: str) -> int | None:
        try:
            return self.get_alias(model, alias).revision
        except errors.NotFoundError:
            self._call("GET", f"/models/{model}")  # a missing model is the error to show
            return None

    def set_alias(
        self, model: str, alias: str, version: str, *, reason: str,
        revision: int | None = None, actor: str | None = None,
    ) -> AliasMove:  # fmt: skip
        """Point ``alias`` at ``version`` (``revision``: the one read; default: read it now)."""
        current = revision if revision is not None else self._revision(model, alias)
        response = self._call(
            "PUT", f"/models/{model}/aliases/{alias}",
            json={"version": version, "reason": reason, **_who(actor)},
            headers={} if current is None else _if_match(current),
        )  # fmt: skip
        return _move(model, response.json())

    def remove_alias(
        self, model: str, alias: str, *, reason: str, revision: int | None = None,
        actor: str | None = None,
    ) -> AliasMove:  # fmt: skip
        """Remove an alias (a rollback restores it)."""
        current = revision if revision is not None else self.get_alias(model, alias).revision
        response = self._call("DELETE", f"/models/{model}/aliases/{alias}",
                              params={"reason": reason, **_who(actor)},
                              headers=_if_match(current))  # fmt: skip
        return _move(model, response.json())

    def promote(
        self, model: str, *, reason: str, to: str | None = None, alias: str = "champion",
        source: str = "challenger", actor: str | None = None,
    ) -> AliasMove:  # fmt: skip
        """Point ``alias`` (champion) at ``to``, or at the version ``source`` points at."""
        if to is None:
            to = self.get_alias(model, source).version
            if to is None:
                raise errors.ConflictError(
                    f"Alias {source!r} of model {model!r} is removed: name the version to "
                    "promote (--to VERSION)."
                )
        return self.set_alias(model, alias, to, reason=reason, actor=actor)

    def rollback(
        self, model: str, *, reason: str, to: str | None = None, alias: str = "champion",
        revision: int | None = None, actor: str | None = None,
    ) -> AliasMove:  # fmt: skip
        """Move ``alias`` back to the version it pointed at before (or to ``to``)."""
        current = revision if revision is not None else self.get_alias(model, alias).revision
        body: dict[str, Any] = {"reason": reason, **_who(actor)}
        if to is not None:
            body["to"] = to
        response = self._call("POST", f"/models/{model}/aliases/{alias}/rollback", json=body,
                              headers=_if_match(current))  # fmt: skip
        return _move(model, response.json())

    def alias_history(self, model: str, alias: str, *, limit: int = 100) -> list[AliasMove]:
        """Return an alias's moves, newest first."""
        data = self._call("GET", f"/models/{model}/aliases/{alias}/history",
                          params={"limit": limit}).json()  # fmt: skip
        return [_move(model, m) for m in data["items"]]


class _HttpSource:
    """``ArtifactSource`` over the service: ``load_version`` fetches through the client."""

    def __init__(self, client: RegistryClient, model: str, version: str) -> None:
        self.client, self.model, self.version = client, model, version

    def fetch(self, artifact: Artifact, destination: str | Path) -> Path:
        return self.client._download(self.model, self.version, artifact, Path(destination))


def _quote(version: str) -> str:
    from urllib.parse import quote

    return quote(version, safe="")


def _who(actor: str | None) -> dict[str, str]:
    return {} if actor is None else {"actor": actor}


def _if_match(revision: int) -> dict[str, str]:
    return {"If-Match": f'"{revision}"'}


def _raise(response: httpx.Response) -> None:
    try:
        error = response.json()["error"]
        code, message, details = str(error["code"]), str(error["message"]), error.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = f"http_{response.status_code}", response.text[:500], None
    if code == "stale_revision" and isinstance(details, dict):
        raise errors.StaleRevisionError(
            message, expected=details.get("expected"), current=int(details.get("current", -1))
        )
    cls = _ERRORS.get(code)
    if cls is not None:
        raise cls(message)
    raise errors.InvalidParameterError(f"{message} (HTTP {response.status_code}, {code})")
