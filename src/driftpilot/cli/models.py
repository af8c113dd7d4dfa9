"""``driftpilot models register|list|show|status|archive|download|alias|promote|rollback``.

They talk to a running service over HTTP (``--url``/``DRIFTPILOT_URL``, ``--api-key``/
``DRIFTPILOT_API_KEY``) through :class:`driftpilot.ingest.RegistryClient`, so a laptop,
a CI job and a policy engine all change the registry the same way, with the same checks.
Writes read the record's revision just before writing (or take ``--revision``), so a
concurrent change in between is refused (409), never overwritten.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from driftpilot.cli._output import Column, FormatOption, Listing, ListingFormat, print_wide
from driftpilot.cli.app import _user_errors, app, stdout
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.ingest import RegistryClient
    from driftpilot.lifecycle import AliasMove, ModelVersion

__all__ = ["alias_app", "models_app"]

models_app = typer.Typer(help="The model registry: versions, artifacts, aliases, rollbacks.",
                         no_args_is_help=True)  # fmt: skip
alias_app = typer.Typer(help="Aliases (champion, challenger, canary, ...).", no_args_is_help=True)
models_app.add_typer(alias_app, name="alias")
app.add_typer(models_app, name="models")

Url = Annotated[str | None, typer.Option("--url", help="Service URL [$DRIFTPILOT_URL].",
                                         show_default=False)]  # fmt: skip
Key = Annotated[str | None, typer.Option("--api-key", help="API key [$DRIFTPILOT_API_KEY].",
                                         show_default=False)]  # fmt: skip
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded with the change).")]
Revision = Annotated[
    int | None,
    typer.Option(
        "--revision", help="The revision read (default: read it now).", show_default=False
    ),
]
Actor = Annotated[str | None, typer.Option("--actor", help="Who acts (recorded).",
                                           show_default=False)]  # fmt: skip
Pairs = Annotated[list[str] | None, typer.Option(show_default=False)]


def _client(url: str | None, api_key: str | None) -> RegistryClient:
    from driftpilot.ingest import RegistryClient

    return RegistryClient(url, api_key=api_key)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=") if "=" in value else value.partition(":")
        if not sep or not key:
            raise InvalidParameterError(
                f"The {option} option takes NAME=VALUE (or NAME:TYPE). Got {value!r} instead."
            )
        found[key] = rest
    return found


def _numbers(values: list[str] | None, option: str) -> dict[str, float]:
    found = {}
    for key, value in _pairs(values, option).items():
        try:
            found[key] = float(value)
        except ValueError:
            raise InvalidParameterError(
                f"The {option} option takes NAME=NUMBER. Got {key}={value!r} instead."
            ) from None
    return found


def _when(us: int | None) -> str | None:
    return None if us is None else datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def _show_version(record: ModelVersion, output_format: ListingFormat) -> None:
    artifact = record.artifact
    data: dict[str, Any] = {
        "model": record.model, "version": record.version,
        "status": None if record.status is None else record.status.value,
        "revision": record.revision, "aliases": list(record.aliases),
        "artifact": None if artifact is None else artifact.to_dict(),
        "signature": record.signature.to_dict(), "lineage": record.lineage.to_dict(),
        "metrics": record.metrics.to_dict(), "description": record.description,
        "tags": record.tags, "created_by": record.created_by,
        "created_at": _when(record.created_at), "registered_at": _when(record.registered_at),
        "reports": [{"name": r.name, "created_by": r.created_by,
                     "created_at": _when(r.created_at)} for r in record.reports],
    }  # fmt: skip
    if output_format is ListingFormat.json:
        stdout.out(json.dumps(data, indent=2, default=str), highlight=False)
        return
    table = Table(title=f"{record.model} {record.version}", title_justify="left",
                  show_header=False)  # fmt: skip
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in data.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        table.add_row(key, escape("" if value is None else shown))
    print_wide(table)


def _show_move(move: AliasMove, output_format: ListingFormat) -> None:
    listing = _moves_listing(f"{move.model}: {move.alias}")
    _add_move(listing, move)
    listing.emit(output_format)


def _moves_listing(title: str) -> Listing:
    return Listing(title, [
        Column("revision", justify="right"), "alias", "previous", "version", "rollback",
        "actor", "reason", "moved_at",
    ])  # fmt: skip


def _add_move(listing: Listing, move: AliasMove) -> None:
    listing.add(revision=move.revision, alias=move.alias, previous=move.previous,
                version=move.version, rollback=move.rollback, actor=move.actor,
                reason=move.reason, moved_at=_when(move.moved_at))  # fmt: skip


@models_app.command("register")
@_user_errors
def register(
    model: str, version: str,
    file: Annotated[Path | None, typer.Argument(help="The artifact file to upload.",
                                                show_default=False)] = None,
    flavor: Annotated[str, typer.Option(help="sklearn (skops), pickle or python.")] = "sklearn",
    uri: Annotated[str | None, typer.Option(help="Instead of FILE: a file already under the "
                                            "artifact store.", show_default=False)] = None,
    sha256: Annotated[str | None, typer.Option(help="With --uri: its SHA-256.",
                                               show_default=False)] = None,
    option: Pairs = None,
    input_: Annotated[list[str] | None, typer.Option(
        "--input", help="NAME:TYPE of an input, in order (repeatable).", show_default=False,
    )] = None,
    output: Pairs = None, param: Pairs = None, metric: Pairs = None, train_metric: Pairs = None,
    run_id: Annotated[str | None, typer.Option(show_default=False)] = None,
    code_version: Annotated[str | None, typer.Option(show_default=False)] = None,
    data_fingerprint: Annotated[str | None, typer.Option(show_default=False)] = None,
    description: Annotated[str | None, typer.Option(show_default=False)] = None,
    tag: Pairs = None, actor: Actor = None, url: Url = None, api_key: Key = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Register VERSION of MODEL with its artifact (uploaded, SHA-256 checked)."""
    from driftpilot.lifecycle import Lineage, Signature, VersionMetrics

    parameters: dict[str, Any] = {}
    for key, value in _pairs(param, "--param").items():
        try:
            parameters[key] = json.loads(value)
        except json.JSONDecodeError:
            parameters[key] = value
    common: dict[str, Any] = {
        "flavor": flavor, "options": _pairs(option, "--option"),
        "signature": Signature(inputs=_pairs(input_, "--input"),
                               outputs=_pairs(output, "--output")),
        "lineage": Lineage(data_fingerprint=data_fingerprint, code_version=code_version,
                           parameters=parameters, run_id=run_id),
        "metrics": VersionMetrics(validation=_numbers(metric, "--metric"),
                                  training=_numbers(train_metric, "--train-metric")),
        "description": description, "tags": _pairs(tag, "--tag"), "actor": actor,
    }  # fmt: skip
    if (file is None) == (uri is None):
        raise InvalidParameterError("Give either FILE (to upload) or --uri (with --sha256).")
    with _client(url, api_key) as client:
        if file is not None:
            if not file.is_file():
                raise InvalidParameterError(f"The artifact file {str(file)!r} does not exist.")
            record = client.register(model, version, file, **common)
        else:
            if sha256 is None:
                raise InvalidParameterError("--uri needs --sha256 (the file's SHA-256).")
            assert uri is not None
            record = client.register_uri(model, version, uri, sha256=sha256, **common)
    _show_version(record, output_format)


@models_app.command("list")
@_user_errors
def list_versions(
    model: str,
    status: Annotated[str | None, typer.Option(help="registered, validated, rejected or "
                                               "archived.", show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    cursor: Annotated[str | None, typer.Option(help="Next page (printed after a full page).",
                                               show_default=False)] = None,
    url: Url = None, api_key: Key = None, output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """List the versions of MODEL, oldest first."""
    from driftpilot.lifecycle import VersionStatus

    if status is not None and status not in {s.value for s in VersionStatus}:
        raise InvalidParameterError(
            f"--status must be registered, validated, rejected or archived. Got {status!r} instead."
        )
    with _client(url, api_key) as client:
        items, next_cursor = client.list_versions(model, status=status, limit=limit,
                                                  cursor=cursor)  # fmt: skip
    listing = Listing(f"Versions of {model}", [
        "version", "status", Column("revision", justify="right"), "flavor", "aliases",
        Column("baseline_id", "baseline", justify="right"), "created_at",
    ])  # fmt: skip
    for v in items:
        listing.add(version=v.version, status=None if v.status is None else v.status.value,
                    revision=v.revision, flavor=v.flavor, aliases=", ".join(v.aliases),
                    baseline_id=v.baseline_id, created_at=_when(v.created_at))  # fmt: skip
    listing.emit(output_format)
    if next_cursor is not None and output_format is ListingFormat.table:
        stdout.print(f"More: --cursor {next_cursor}", highlight=False)


@models_app.command("show")
@_user_errors
def show(model: str, version: str, url: Url = None, api_key: Key = None,
         output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Show a version: artifact, signature, lineage, metrics, status, aliases, reports."""
    with _client(url, api_key) as client:
        _show_version(client.get_version(model, version), output_format)


@models_app.command("status")
@_user_errors
def status(model: str, version: str, new_status: Annotated[str, typer.Argument(
               metavar="STATUS", help="validated, rejected or archived.")],
           reason: Reason, revision: Revision = None, actor: Actor = None, url: Url = None,
           api_key: Key = None,
           output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Change the status of a version."""
    from driftpilot.lifecycle import VersionStatus

    if new_status not in {s.value for s in VersionStatus}:
        raise InvalidParameterError(
            f"STATUS must be validated, rejected or archived. Got {new_status!r} instead."
        )
    with _client(url, api_key) as client:
        record = client.set_status(model, version, new_status, reason=reason, revision=revision,
                                   actor=actor)  # fmt: skip
    _show_version(record, output_format)


@models_app.command("archive")
@_user_errors
def archive(model: str, version: str, reason: Reason, revision: Revision = None,
            actor: Actor = None, url: Url = None, api_key: Key = None,
            output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Archive a version (final; refused while an alias points at it)."""
    with _client(url, api_key) as client:
        record = client.archive(model, version, reason=reason, revision=revision, actor=actor)
    _show_version(record, output_format)


@models_app.command("download")
@_user_errors
def download(
    model: str, version: str,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="File to write "
                                             "[the artifact's name].", show_default=False)] = None,
    url: Url = None, api_key: Key = None,
) -> None:  # fmt: skip
    """Download the artifact of a version, checked against its SHA-256."""
    with _client(url, api_key) as client:
        record = client.get_version(model, version)
        if record.artifact is None:
            raise InvalidParameterError(
                f"Version {version!r} of model {model!r} has no registered artifact."
            )
        target = out or Path(record.artifact.uri.rsplit("/", 1)[-1])
        path = client.download(model, version, target)
    stdout.print(f"{escape(str(path))} (SHA-256 {record.artifact.sha256} checked)",
                 highlight=False)  # fmt: skip


@models_app.command("promote")
@_user_errors
def promote(
    model: str, reason: Reason,
    to: Annotated[str | None, typer.Option("--to", help="The version [the challenger's].",
                                           show_default=False)] = None,
    alias: Annotated[str, typer.Option(help="The alias promoted to.")] = "champion",
    source: Annotated[str, typer.Option("--from", help="Without --to: the alias whose "
                                        "version is promoted.")] = "challenger",
    actor: Actor = None, url: Url = None, api_key: Key = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Point the champion at a version (default: the challenger's)."""
    with _client(url, api_key) as client:
        move = client.promote(model, reason=reason, to=to, alias=alias, source=source,
                              actor=actor)  # fmt: skip
    _show_move(move, output_format)


@models_app.command("rollback")
@_user_errors
def rollback(
    model: str, reason: Reason,
    to: Annotated[str | None, typer.Option("--to", help="A version the alias pointed at "
                                           "before [the one before its last move].",
                                           show_default=False)] = None,
    alias: Annotated[str, typer.Option(help="The alias rolled back.")] = "champion",
    revision: Revision = None, actor: Actor = None, url: Url = None, api_key: Key = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Move the champion back to the version it pointed at before."""
    with _client(url, api_key) as client:
        move = client.rollback(model, reason=reason, to=to, alias=alias, revision=revision,
                               actor=actor)  # fmt: skip
    _show_move(move, output_format)


@alias_app.command("set")
@_user_errors
def alias_set(model: str, alias: str, version: str, reason: Reason, revision: Revision = None,
              actor: Actor = None, url: Url = None, api_key: Key = None,
              output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Point ALIAS of MODEL at VERSION."""
    with _client(url, api_key) as client:
        move = client.set_alias(model, alias, version, reason=reason, revision=revision,
                                actor=actor)  # fmt: skip
    _show_move(move, output_format)


@alias_app.command("remove")
@_user_errors
def alias_remove(model: str, alias: str, reason: Reason, revision: Revision = None,
                 actor: Actor = None, url: Url = None, api_key: Key = None,
                 output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Remove ALIAS of MODEL (a rollback restores it)."""
    with _client(url, api_key) as client:
        move = client.remove_alias(model, alias, reason=reason, revision=revision, actor=actor)
    _show_move(move, output_format)


@alias_app.command("list")
@_user_errors
def alias_list(model: str, url: Url = None, api_key: Key = None,
               output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """List the aliases of MODEL."""
    with _client(url, api_key) as client:
        found = client.list_aliases(model)
    listing = Listing(
        f"Aliases of {model}",
        ["alias", "version", Column("revision", justify="right"), "updated_at"],
    )
    for a in found:
        listing.add(alias=a.alias, version=a.version, revision=a.revision,
                    updated_at=_when(a.updated_at))  # fmt: skip
    listing.emit(output_format)


@alias_app.command("history")
@_user_errors
def alias_history(model: str, alias: str,
                  limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
                  url: Url = None, api_key: Key = None,
                  output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """Show every move of ALIAS, newest first."""
    with _client(url, api_key) as client:
        moves = client.alias_history(model, alias, limit=limit)
    listing = _moves_listing(f"History of {model}: {alias}")
    for move in moves:
        _add_move(listing, move)
    listing.emit(output_format)
