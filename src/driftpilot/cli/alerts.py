"""``driftpilot alerts list|show|ack|silence|...|dispatch|dead-letters|retry``.

The commands: list, show, ack, silence, silences, unsilence, notifications, dispatch,
dead-letters (the notifications given up on) and retry (queue them again).
They work on the service's database directly (``--db`` or ``--data-dir``), like the other
service commands. ``dispatch`` sends pending notifications once (what ``serve`` does every
``dispatch_seconds``), for batch set-ups that run ``driftpilot monitor run`` from cron.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from driftpilot.cli._output import Column, FormatOption, Listing, ListingFormat
from driftpilot.cli.app import _user_errors, app, stdout
from driftpilot.cli.service import DataDir, Db, _settings, _store
from driftpilot.errors import InvalidParameterError

__all__ = ["alerts_app"]

alerts_app = typer.Typer(help="Alerts: list, acknowledge, silence, notifications.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(alerts_app, name="alerts")
_COLOURS = {"info": "cyan", "warning": "yellow", "critical": "bold red"}


def _iso(us: int | None) -> str:
    return "" if us is None else datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%m-%d %H:%M")


def _full(us: int | None) -> str | None:
    """ISO-8601 in UTC, for JSON listings."""
    return None if us is None else datetime.fromtimestamp(us / 1e6, tz=UTC).isoformat()


def _short(iso: str | None) -> str:
    """``MM-DD HH:MM`` of an ISO time, for tables."""
    return "" if iso is None else iso[5:16].replace("T", " ")


@alerts_app.command("list")
@_user_errors
def list_alerts(
    state: Annotated[str | None, typer.Option(help="open, pending, firing, acknowledged, "
                                              "resolved.")] = "open",
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    db: Db = None, data_dir: DataDir = None, output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """List alerts, newest change first."""
    listing = Listing("Alerts", [
        Column("id", justify="right"), Column("tier", show=_tier), "state", "model", "rule",
        Column("group", show=lambda g: escape(",".join(f"{k}={v}" for k, v in g.items()))),
        Column("findings", show=_names), Column("since", show=_short),
        Column("last_window_end", "last window", show=_short),
    ])  # fmt: skip
    with _store(db, data_dir) as store:
        found = store.alerts.list_alerts(state=state, model=model, limit=limit)
    for a in found:
        listing.add(id=a.id, tier=a.tier, state=a.state, model=a.model, rule=a.rule,
                    group=dict(a.group),
                    findings=sorted({f.feature or f.metric for f in a.findings}),
                    since=_full(a.fired_at or a.created_at),
                    last_window_end=_full(a.last_window_end))  # fmt: skip
    listing.emit(output_format)


def _tier(tier: str) -> str:
    return f"[{_COLOURS.get(tier, '')}]{tier}[/]"


def _names(names: list[str]) -> str:
    return escape(", ".join(names[:5]) + (f" (+{len(names) - 5})" if len(names) > 5 else ""))


@alerts_app.command("show")
@_user_errors
def show(alert_id: int, db: Db = None, data_dir: DataDir = None) -> None:
    """Print one alert as JSON."""
    with _store(db, data_dir) as store:
        stdout.print_json(json.dumps(store.alerts.get(alert_id).to_dict()))


@alerts_app.command("ack")
@_user_errors
def ack(
    alert_id: int,
    by: Annotated[str | None, typer.Option(help="Who acknowledges.")] = None,
    db: Db = None, data_dir: DataDir = None,
) -> None:  # fmt: skip
    """Acknowledge a firing alert (no re-notification until it resolves)."""
    with _store(db, data_dir) as store:
        alert = store.alerts.acknowledge(alert_id, by=by)
    stdout.print(f"alert {alert.id} ({alert.rule} on {alert.model}) acknowledged")


def _matchers(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not name or not wanted:
            raise InvalidParameterError(
                f"--match must be LABEL=VALUE (VALUE starting with ~ is a regex). Got {value!r}."
            )
        out[name] = wanted
    return out


@alerts_app.command("silence")
@_user_errors
def silence(
    match: Annotated[list[str], typer.Option("--match", help="LABEL=VALUE (repeatable; ~regex).")],
    duration: Annotated[str, typer.Option("--for", help="How long, e.g. 2h, 1d.")] = "2h",
    comment: Annotated[str | None, typer.Option(help="Why.")] = None,
    by: Annotated[str | None, typer.Option(help="Who.")] = None,
    db: Db = None, data_dir: DataDir = None,
) -> None:  # fmt: skip
    """Suppress notifications whose labels match, for a while (alerts still change)."""
    import time

    from driftpilot.monitor._durations import parse_duration

    try:
        seconds = parse_duration(duration)
    except ValueError as err:
        raise InvalidParameterError(f"--for: {err}.") from None
    ends = time.time_ns() // 1000 + seconds * 1_000_000
    with _store(db, data_dir) as store:
        found = store.alerts.add_silence(_matchers(match), ends_at=ends, created_by=by,
                                         comment=comment)  # fmt: skip
    stdout.print(f"silence {found.id} until {_iso(found.ends_at)} UTC: {found.matchers}")


@alerts_app.command("silences")
@_user_errors
def silences(db: Db = None, data_dir: DataDir = None,
             output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """List silences."""
    listing = Listing("Silences", [
        Column("id", justify="right"), Column("matchers", show=lambda m: escape(json.dumps(m))),
        Column("starts_at", "from", show=_short), Column("ends_at", "until", show=_short),
        Column("created_by", "by"), "comment",
    ])  # fmt: skip
    with _store(db, data_dir) as store:
        for s in store.alerts.silences():
            listing.add(id=s.id, matchers=dict(s.matchers), starts_at=_full(s.starts_at),
                        ends_at=_full(s.ends_at), created_by=s.created_by,
                        comment=s.comment)  # fmt: skip
    listing.emit(output_format)


@alerts_app.command("unsilence")
@_user_errors
def unsilence(silence_id: int, db: Db = None, data_dir: DataDir = None) -> None:
    """End a silence now."""
    with _store(db, data_dir) as store:
        store.alerts.expire_silence(silence_id)
    stdout.print(f"silence {silence_id} ended")


@alerts_app.command("notifications")
@_user_errors
def notifications(
    status: Annotated[str | None, typer.Option(help="pending, sent, failed (dead letters), "
                                               "suppressed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    db: Db = None, data_dir: DataDir = None, output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """List notifications, newest first."""
    listing = Listing("Notifications", [
        Column("id", justify="right"), "kind", "channel", "status",
        Column("attempts", justify="right"), "title", Column("last_error", "error"),
    ])  # fmt: skip
    with _store(db, data_dir) as store:
        for n in store.alerts.notifications(status=status, limit=limit):
            listing.add(id=n.id, kind=n.kind, channel=n.channel, status=n.status,
                        attempts=n.attempts, title=n.payload.get("title"),
                        last_error=n.last_error)  # fmt: skip
    listing.emit(output_format)


@alerts_app.command("dispatch")
@_user_errors
def dispatch(
    alerting: Annotated[Path | None, typer.Option(help="Alerting file (channels, routes).")] = None,
    db: Db = None, data_dir: DataDir = None,
) -> None:  # fmt: skip
    """Send the pending notifications once."""
    from driftpilot.server.alerting import Alerting

    settings = _settings(db=db, data_dir=data_dir, alerting=alerting)
    with _store(db, data_dir) as store:
        parts = Alerting.for_settings(settings, store)
        try:
            counts = parts.dispatcher.dispatch(limit=10_000)
        finally:
            parts.close()
    stdout.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing pending")


@alerts_app.command("dead-letters")
@_user_errors
def dead_letters(
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    db: Db = None, data_dir: DataDir = None,
) -> None:  # fmt: skip
    """List the dead letters: notifications given up on, newest first, with their last error."""
    if output not in ("table", "json"):
        raise InvalidParameterError(f"--format must be 'table' or 'json'. Got {output!r}.")
    with _store(db, data_dir) as store:
        found = store.alerts.notifications(status="failed", limit=limit)
    if output == "json":
        typer.echo(json.dumps([n.to_dict() for n in found], indent=2))
        return
    table = Table(title="Dead letters", title_justify="left")
    for column in ("id", "kind", "channel", "attempts", "status", "first attempt", "error"):
        table.add_column(column)
    for n in found:
        table.add_row(str(n.id), n.kind, n.channel, str(n.attempts),
                      "" if n.last_status is None else str(n.last_status),
                      _iso(n.first_attempt_at), n.last_error or "")  # fmt: skip
    stdout.print(table)


@alerts_app.command("retry")
@_user_errors
def retry(
    notification_id: Annotated[int | None, typer.Argument(help="The dead letter's id.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    db: Db = None, data_dir: DataDir = None,
) -> None:  # fmt: skip
    """Queue dead letters to be sent again (by ``serve``'s dispatcher or ``alerts dispatch``)."""
    if (notification_id is None) == (not every):
        raise InvalidParameterError("Give either a dead letter's ID or --all (not both).")
    with _store(db, data_dir) as store:
        queued = store.alerts.retry_dead_letters(None if every else notification_id)
    stdout.print(f"{queued} dead letter(s) queued to be sent again")
