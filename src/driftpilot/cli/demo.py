"""``driftpilot demo``: the whole drift core on synthetic loan data, in a few seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console
from rich.panel import Panel

from driftpilot.datasets import make_loans
from driftpilot.drift import compare
from driftpilot.profile import baseline, load_profile

__all__ = ["run_demo"]


def run_demo(
    out: Path, *, rows: int, console: Console, service: bool = True, keep_serving: bool = False
) -> None:
    """Generate data, save a baseline, compare a drifted copy, write the HTML report.

    Then, with ``service``, run the service half (:mod:`driftpilot.cli.demo_service`).
    """
    out.mkdir(parents=True, exist_ok=True)
    console.print(Panel.fit("driftpilot demo: is production still like training?"))
    started = time.perf_counter()
    training = make_loans(rows, drifted=False, seed=7)
    production = make_loans(rows, drifted=True, seed=7)
    pq.write_table(training, out / "training.parquet")
    pq.write_table(production, out / "production.parquet")
    console.print(
        f"1. Generated {rows:,} training and {rows:,} production loan applications "
        f"in [bold]{out}/[/]"
    )
    reference = baseline(training, model_name="loan-default", model_version="1")
    baseline_path = out / "baseline.json"
    reference.save(baseline_path)
    console.print(
        f"2. Profiled training data into [bold]{baseline_path}[/] "
        f"(fingerprint {reference.fingerprint[:20]}...)"
    )
    from_profile = compare(load_profile(baseline_path), production)
    report = compare(training, production)
    console.print("3. Compared production with training:\n")
    console.print(report)
    html_path = out / "drift_report.html"
    html_path.write_text(
        report.to_html(title="Loan model: production vs training"), encoding="utf-8"
    )
    json_path = out / "drift_report.json"
    json_path.write_text(report.to_json(), encoding="utf-8")
    same = sorted(from_profile.drifted_columns) == sorted(report.drifted_columns)
    console.print(
        f"\n4. The saved baseline alone gives the {'same' if same else 'a different'} verdict "
        f"({len(from_profile.drifted_columns)} drifted columns) without the training rows."
    )
    console.print(f"5. HTML report: [bold]{html_path.resolve()}[/]")
    console.print(f"   JSON report: [bold]{json_path.resolve()}[/]")
    console.print(f"   Try: driftpilot compare {baseline_path} {out / 'production.parquet'}")
    if service:
        from driftpilot.cli.demo_service import run_service_demo

        console.print()
        run_service_demo(
            out,
            training=training,
            production=production,
            baseline_path=baseline_path,
            console=console,
            keep_serving=keep_serving,
        )
    console.print(f"Done in {time.perf_counter() - started:.1f} s.")
