"""`segment-assistant evals ...`: run suites, re-render a run's reports, compare two runs (for CI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.report import compare, print_comparison, print_table, write_reports
from evals.runner import RunError, start_run
from evals.scoring import Prices
from evals.suite import SuiteError, shipped_suites

evals_app = typer.Typer(help="Score translators on eval suites by the members their segments select.",
                        no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(2)


@evals_app.command("run")
def run_command(
    suites: Optional[list[str]] = typer.Argument(None, help="suite names (core, chat, ...) or YAML files; default: every shipped suite"),
    provider: str = typer.Option("offline", help="offline or openai"),
    model: Optional[str] = typer.Option(None, help="model name (openai provider)"),
    prompt: str = typer.Option("v1", help="prompt version (assistant/translate/prompts/VERSION.md)"),
    jobs: int = typer.Option(4, min=1, help="cases translated in parallel"),
    db: Optional[Path] = typer.Option(None, help="demo store to score on; default: the cached 20,000-contact store"),
    out: Path = typer.Option(Path("eval-runs"), help="directory of runs"),
    name: Optional[str] = typer.Option(None, help="run name (default: provider-model-prompt); rerunning resumes it"),
    record: bool = typer.Option(False, "--record", help="store every model answer in the cache"),
    replay: bool = typer.Option(False, "--replay", help="answer only from the cache (no model needed)"),
    cache_dir: Optional[Path] = typer.Option(None, help="record/replay cache (default: OUT/cache)"),
    price_in: Optional[float] = typer.Option(None, help="price per 1M prompt tokens, for a cost estimate"),
    price_out: Optional[float] = typer.Option(None, help="price per 1M completion tokens"),
    fresh: bool = typer.Option(False, "--fresh", help="discard earlier results of this run instead of resuming"),
) -> None:
    """Translate and score every case of the suites; results land in OUT/NAME (results.jsonl, summary.json, report.html)."""
    priced = price_in is not None or price_out is not None
    prices = Prices(input=price_in or 0.0, output=price_out or 0.0) if priced else None
    try:
        if db is None:
            console.print("using the cached demo store (generated on first use)")
        runner = start_run(suites or shipped_suites(), provider=provider, model=model, prompt=prompt,
                           db=str(db) if db else None, out=out, name=name, jobs=jobs, record=record, replay=replay,
                           cache_dir=cache_dir, prices=prices, fresh=fresh)
    except (RunError, SuiteError) as err:
        raise _fail(str(err)) from None
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("translating", total=None)
            hits = [0]

            def progress(done: int, total: int, result) -> None:
                if result is not None:
                    hits[0] += result.execution
                label = f"{runner.meta.name}: {hits[0]}/{done} right" if done else runner.meta.name
                bar.update(task, completed=done, total=total, description=label)

            results = runner.run(progress)
    except KeyboardInterrupt:
        err_console.print(f"interrupted: the cases scored so far are in {runner.run_dir / 'results.jsonl'}; "
                          "run the same command again to resume")
        raise typer.Exit(130) from None
    summary = write_reports(runner.run_dir, results)
    print_table(summary, console)
    console.print(f"results: {runner.run_dir / 'results.jsonl'}\nreport:  {runner.run_dir / 'report.html'}")


@evals_app.command("report")
def report_command(
    run: Path = typer.Argument(..., help="a run directory (OUT/NAME)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Re-render a run's summary.json and report.html from its results, and print the scores."""
    try:
        summary = write_reports(run)
    except RunError as err:
        raise _fail(str(err)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        print_table(summary, console)
        console.print(f"report: {run / 'report.html'}")


@evals_app.command("compare")
def compare_command(
    run_a: Path = typer.Argument(..., help="the baseline run directory"),
    run_b: Path = typer.Argument(..., help="the new run directory"),
    threshold: float = typer.Option(0.02, help="fail when execution accuracy drops by more than this (0.02 = 2 points)"),
) -> None:
    """List regressions and fixes per case; exit 1 when execution accuracy drops by more than the threshold."""
    try:
        comparison = compare(run_a, run_b, threshold)
    except RunError as err:
        raise _fail(str(err)) from None
    print_comparison(comparison, str(run_a), str(run_b), console)
    if comparison.failed:
        raise typer.Exit(1)
