"""``driftpilot monitor validate|apply|list|run|backfill|slo|report``: monitors from the shell.

For cron, Airflow or Prefect: ``monitor run`` evaluates what is due (new complete windows,
and revisions of windows whose labels grew) and exits; ``--at`` pins "now", so a scheduler's
logical date gives the same windows on a retry. ``backfill`` evaluates every window of a past
span with a progress bar. Both work on the service's database directly (``--db`` or the
SQLite file in ``--data-dir``), and take monitor files with ``--monitors`` (stored first, as
``serve --monitors`` does). Exit codes: 0 ok; 1 a critical finding with
``--fail-on-critical``; 2 bad input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from driftpilot.cli._output import Column, FormatOption, Listing, ListingFormat, info_console
from driftpilot.cli.app import _user_errors, app, stdout
from driftpilot.cli.service import DataDir, Db, _settings, _store
from driftpilot.errors import InvalidParameterError

if TYPE_CHECKING:
    from driftpilot.monitor import MonitorSpec, Runner, RunOutcome
    from driftpilot.server import Settings
    from driftpilot.store import Store

__all__ = ["monitor_app"]

monitor_app = typer.Typer(help="Monitors: validate, store, run, backfill, SLOs.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(monitor_app, name="monitor")

Files = Annotated[
    list[Path] | None,
    typer.Option("--monitors", help="Monitor file or folder to store first (repeatable).",
                 show_default=False),
]  # fmt: skip
Model = Annotated[str | None, typer.Option("--model", help="Only this model's monitors.")]
Alerting = Annotated[
    Path | None,
    typer.Option("--alerting", help="Alerting file: notifications are sent at the end.",
                 show_default=False),
]  # fmt: skip
Name = Annotated[str | None, typer.Option("--monitor", help="Only this monitor.")]
_COLOURS = {"none": "green", "warning": "yellow", "critical": "bold red"}


@contextlib.contextmanager
def _alerting(settings: Settings, store: Store, console: Console | None = None) -> Iterator[Runner]:
    """Yield the runner with the alert rules attached; send the notifications at the end."""
    from driftpilot.server.alerting import Alerting

    parts = Alerting.for_settings(settings, store)
    try:
        yield parts.runner
        counts = parts.dispatcher.dispatch(limit=100_000)
        if counts:
            (console or stdout).print(
                "notifications: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
    finally:
        parts.close()


def _push(gateway: str, store: Store, console: Console | None = None) -> None:
    """Push the store's monitor series to a Pushgateway (batch mode); one line on failure."""
    from driftpilot.server.metrics import push_metrics, store_registry

    try:
        push_metrics(
            gateway, registry=store_registry(store, alerts_firing=store.alerts.firing_counts)
        )
    except ConnectionError as err:
        raise InvalidParameterError(f"--pushgateway: {err}") from None
    (console or stdout).print(f"pushed the monitor series to {gateway}")


def _time(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    from driftpilot.monitor._durations import parse_time

    try:
        return parse_time(value)
    except ValueError as err:
        raise InvalidParameterError(f"Option {option}: {err}.") from None


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _specs(store: Store, files: list[Path] | None, model: str | None,
           name: str | None, bucket_seconds: int) -> list[MonitorSpec]:  # fmt: skip
    from driftpilot.server.monitoring import apply_files, specs

    if files:
        apply_files(store, files, bucket_seconds=bucket_seconds)
    found = specs(store, model=model, name=name)
    if not found:
        raise InvalidParameterError(
            "No monitors stored"
            + (f" for model {model!r}" if model else "")
            + ". Give --monitors FILE, or put one through the API."
        )
    return found


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _severity(value: str | None) -> str:
    return "" if value is None else f"[{_COLOURS.get(value, '')}]{value}[/]"


def _findings(names: list[str] | None) -> str:
    if names is None:
        return ""
    text = ", ".join(names[:6]) + (f" (+{len(names) - 6})" if len(names) > 6 else "")
    return escape(text or "ok")


def _outcomes_listing(outcomes: list[RunOutcome], *, title: str) -> Listing:
    listing = Listing(title, [
        Column("monitor"), Column("window"), Column("status"),
        Column("revision", "rev", justify="right"),
        Column("events", justify="right", show=_count),
        Column("labels", justify="right", show=_count),
        Column("severity", show=_severity), Column("findings", show=_findings),
    ])  # fmt: skip
    for o in outcomes:
        report = o.report
        if report is None:
            listing.add(monitor=o.monitor, window=o.window.iso(), status=o.status,
                        revision=None, events=None, labels=None, severity=None,
                        findings=None)  # fmt: skip
            continue
        names = sorted({f"{r.check}:{r.feature or r.metric}" + (f"[{r.segment}]" if r.segment
                        else "") for r in report.flagged})  # fmt: skip
        listing.add(monitor=o.monitor, window=o.window.iso(), status=o.status,
                    revision=report.revision, events=report.n_events, labels=report.n_labels,
                    severity=report.severity, findings=names)  # fmt: skip
    return listing


def _exit(outcomes: list[RunOutcome], fail_on_critical: bool) -> None:
    """Exit 1 on a critical finding, also one stored earlier (a retried call fails again)."""

    def severity(o: RunOutcome) -> str | None:
        if o.report is not None:
            return o.report.severity
        return None if o.summary is None else o.summary.severity

    if fail_on_critical and any(severity(o) == "critical" for o in outcomes):
        raise typer.Exit(1)


def _monitor_files(paths: list[Path]) -> list[Path]:
    """Return the monitor files of ``paths``; a folder without any is a user mistake."""
    from driftpilot.server.monitoring import monitor_files

    found = []
    for path in paths:
        files = monitor_files(path)
        if not files:
            raise InvalidParameterError(f"no monitor files in {path} (*.yaml, *.yml, *.json)")
        found += files
    return found


@monitor_app.command("validate")
@_user_errors
def validate(
    files: Annotated[list[Path], typer.Argument(help="Monitor files or folders.")],
    output_format: FormatOption = ListingFormat.table,
) -> None:
    """Check monitor files (naming file, line and field of any problem) and list them."""
    from driftpilot.monitor import load_monitors
    from driftpilot.monitor._durations import format_duration

    listing = Listing("Monitors", ["file", "monitor", "model", "reference", "window", "checks"])
    for file in _monitor_files(files):
        for spec in load_monitors(file):
            window = (
                f"{format_duration(spec.window.size)} every {format_duration(spec.window.step)}"
            )
            listing.add(file=str(file), monitor=spec.name, model=spec.model,
                        reference=spec.reference.kind, window=window,
                        checks=", ".join(c.name or c.type for c in spec.checks))  # fmt: skip
    listing.emit(output_format)


@monitor_app.command("apply")
@_user_errors
def apply(files: Annotated[list[Path], typer.Argument(help="Monitor files or folders.")],
          db: Db = None, data_dir: DataDir = None) -> None:  # fmt: skip
    """Store monitor files in the service's database (all or none)."""
    from driftpilot.server.monitoring import apply_files

    settings = _settings(db=db, data_dir=data_dir)
    _monitor_files(files)  # an empty folder fails before the database is touched
    with _store(db, data_dir) as store:
        specs = apply_files(store, files, bucket_seconds=settings.bucket_seconds)
    stdout.print(f"stored {len(specs)} monitor(s): {', '.join(s.name for s in specs)}")


@monitor_app.command("list")
@_user_errors
def list_monitors(model: Model = None, db: Db = None, data_dir: DataDir = None,
                  output_format: FormatOption = ListingFormat.table) -> None:  # fmt: skip
    """List the stored monitors with their newest run."""
    from driftpilot.server.monitoring import spec_of

    listing = Listing("Monitors", [
        "monitor", "model", "origin", Column("checks", justify="right"),
        Column("last_window", show=lambda v: "never" if v is None else v),
        Column("severity", show=_severity),
    ])  # fmt: skip
    with _store(db, data_dir) as store:
        for record in store.monitors.list_monitors(model):
            spec = spec_of(record)
            runs = store.runs.runs(record.name, limit=1)
            last = runs[0] if runs else None
            listing.add(monitor=record.name, model=record.model, origin=record.origin,
                        checks=len(spec.checks),
                        last_window=_iso(last.window_start) if last else None,
                        severity=last.severity if last else None)  # fmt: skip
    listing.emit(output_format)


@monitor_app.command("run")
@_user_errors
def run(
    model: Model = None, name: Name = None, files: Files = None,
    at: Annotated[str | None, typer.Option(help="Run as of this ISO time (default now).")] = None,
    fail_on_critical: Annotated[bool, typer.Option(help="Exit 1 on a critical finding.")] = False,
    pushgateway: Annotated[str | None, typer.Option(
        help="Push the monitor series to this Prometheus Pushgateway after the run.",
        show_default=False)] = None,
    alerting: Alerting = None, db: Db = None, data_dir: DataDir = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Evaluate what is due: new complete windows and windows whose labels grew."""
    from driftpilot.monitor import RunOutcome
    from driftpilot.monitor.windows import window_at
    from driftpilot.store import now_us

    moment = _time(at, "--at") or now_us()
    settings = _settings(db=db, data_dir=data_dir, alerting=alerting)
    say = info_console(output_format)
    with _store(db, data_dir) as store, _alerting(settings, store, say) as runner:
        outcomes = []
        newest: list[RunOutcome] = []
        for spec in _specs(store, files, model, name, settings.bucket_seconds):
            outcomes += runner.run_due(spec, moment)
            window = window_at(spec, moment)
            latest = store.runs.latest(spec.name, window.start, window.end)
            newest.append(RunOutcome(monitor=spec.name, window=window, status="skipped",
                                     summary=latest))  # fmt: skip
        if pushgateway is not None:
            _push(pushgateway, store, say)
    if outcomes or output_format is ListingFormat.json:
        _outcomes_listing(outcomes, title=f"Monitor runs as of {_iso(moment)}").emit(output_format)
    if not outcomes:
        say.print("nothing due: every complete window already ran and no labels arrived")
    _exit(outcomes + newest, fail_on_critical)  # a retry fails again on a stored finding


@monitor_app.command("backfill")
@_user_errors
def backfill(
    start: Annotated[str, typer.Option("--from", help="ISO start of the span.")],
    end: Annotated[str, typer.Option("--to", help="ISO end of the span (exclusive).")],
    model: Model = None, name: Name = None, files: Files = None,
    force: Annotated[bool, typer.Option(help="Re-evaluate windows that already ran.")] = False,
    all_windows: Annotated[bool, typer.Option("--all", help="List every window, not only "
                                              "those with findings.")] = False,
    fail_on_critical: Annotated[bool, typer.Option(help="Exit 1 on a critical finding.")] = False,
    notify: Annotated[bool, typer.Option(
        "--notify", help="Send the notifications of the alerts the backfill raises or "
        "resolves (default: record them as suppressed).")] = False,
    alerting: Alerting = None, db: Db = None, data_dir: DataDir = None,
    output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Evaluate every window of a past span, with a progress bar.

    Alerts are recorded, but their notifications are kept as ``suppressed`` (reason
    ``backfill``) unless ``--notify``: backfilling January pages no one in December.
    """
    low, high = _time(start, "--from"), _time(end, "--to")
    assert low is not None
    assert high is not None
    if low >= high:
        raise InvalidParameterError(f"--from ({start}) must be before --to ({end}).")
    settings = _settings(db=db, data_dir=data_dir, alerting=alerting)
    outcomes = []
    say = info_console(output_format)
    with _store(db, data_dir) as store, _alerting(settings, store, say) as runner:
        specs = _specs(store, files, model, name, settings.bucket_seconds)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())  # fmt: skip
        with Progress(*columns, console=say, transient=True) as progress:
            for spec in specs:
                task = progress.add_task(f"backfill {spec.name}", total=None)

                def advance(done: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=total)

                outcomes += runner.backfill(spec, low, high, force=force, progress=advance,
                                            notify=notify)  # fmt: skip
    shown = [o for o in outcomes if all_windows or (o.report is not None and o.report.flagged)]
    ran = sum(1 for o in outcomes if o.status in ("ran", "revised"))
    say.print(f"{len(outcomes):,} windows: {ran:,} evaluated, "
              f"{len(outcomes) - ran:,} already up to date")  # fmt: skip
    if not notify:
        say.print("alerts were recorded without notifying anyone (their notifications are "
                  "kept as suppressed); pass --notify to send them")  # fmt: skip
    if shown or output_format is ListingFormat.json:
        _outcomes_listing(shown, title="Windows with findings" if not all_windows
                          else "Windows").emit(output_format)  # fmt: skip
    _exit(outcomes, fail_on_critical)


@monitor_app.command("slo")
@_user_errors
def slo(
    model: Model = None, name: Name = None,
    at: Annotated[str | None, typer.Option(help="As of this ISO time (default now).")] = None,
    db: Db = None, data_dir: DataDir = None, output_format: FormatOption = ListingFormat.table,
) -> None:  # fmt: skip
    """Show each SLO's status, error budget left and burn rates."""
    from driftpilot.monitor import evaluate_slos
    from driftpilot.server.monitoring import specs
    from driftpilot.store import now_us

    moment = _time(at, "--at") or now_us()

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    def status_colour(value: str) -> str:
        return f"[{ {'met': 'green', 'breached': 'bold red'}.get(value, 'dim') }]{value}[/]"

    listing = Listing("SLOs", [
        "monitor", "slo", "objective", Column("status", show=status_colour),
        Column("attained", show=fmt), Column("windows", justify="right"),
        Column("budget_left", show=fmt), Column("burn_rate", show=fmt),
        Column("short_burn_rate", "short burn", show=fmt),
    ])  # fmt: skip

    with _store(db, data_dir) as store:
        for spec in specs(store, model=model, name=name):
            for status in evaluate_slos(spec, store.runs, at=moment):
                listing.add(monitor=spec.name, slo=status.name,
                            objective=f"{status.metric} {status.objective}",
                            status=status.status, attained=status.attained,
                            windows=status.n_windows, budget_left=status.budget_left,
                            burn_rate=status.burn_rate,
                            short_burn_rate=status.short_burn_rate)  # fmt: skip
    listing.emit(output_format)


@monitor_app.command("report")
@_user_errors
def report(run_id: Annotated[int, typer.Argument(help="Run id (see the API or 'list').")],
           db: Db = None, data_dir: DataDir = None) -> None:  # fmt: skip
    """Print one run's report as JSON."""
    import json

    with _store(db, data_dir) as store:
        found = store.runs.report(run_id)
    stdout.print_json(json.dumps(found.to_dict()))
