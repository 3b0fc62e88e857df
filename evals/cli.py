"""`segment-assistant evals ...`: run suites, re-render a run's reports, compare two runs (for CI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.compare import compare, print_comparison
from evals.matrix import is_matrix, print_matrix, start_matrix, write_matrix_reports
from evals.report import print_table, write_reports
from evals.runner import DEFAULT_PROMPT, RunError, combinations, start_run
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
    provider: list[str] = typer.Option(["offline"], help="offline, openai or local; repeat for a matrix"),
    model: list[str] = typer.Option([], help="model name (openai, local); repeat for a matrix"),
    prompt: list[str] = typer.Option([DEFAULT_PROMPT], help="prompt version (assistant/translate/prompts/VERSION.md); repeat for a matrix"),
    jobs: int = typer.Option(4, min=1, help="cases translated in parallel"),
    db: Optional[Path] = typer.Option(None, help="demo store to score on; default: the cached 20,000-contact store"),
    out: Path = typer.Option(Path("eval-runs"), help="directory of runs"),
    name: Optional[str] = typer.Option(None, help="run name (default: provider-model-prompt), or the matrix's "
                                                  "(default: matrix); rerunning resumes it"),
    record: bool = typer.Option(False, "--record", help="store every model answer in the cache"),
    replay: bool = typer.Option(False, "--replay", help="answer only from the cache (no model needed)"),
    cache_dir: Optional[Path] = typer.Option(None, help="record/replay cache (default: OUT/cache)"),
    price_in: Optional[float] = typer.Option(None, help="price per 1M prompt tokens, for a cost estimate"),
    price_out: Optional[float] = typer.Option(None, help="price per 1M completion tokens"),
    fresh: bool = typer.Option(False, "--fresh", help="discard earlier results of this run instead of resuming"),
) -> None:
    """Translate and score every case of the suites; results land in OUT/NAME (results.jsonl, summary.json,
    report.html). Several providers, models or prompts run every combination (the offline translator ignores
    model and prompt, so it runs once), each in OUT/NAME/COMBINATION, with a side-by-side report in OUT/NAME."""
    priced = price_in is not None or price_out is not None
    prices = Prices(input=price_in or 0.0, output=price_out or 0.0) if priced else None
    combos = combinations(provider, list(model), prompt)
    options = dict(db=str(db) if db else None, jobs=jobs, record=record, replay=replay, prices=prices, fresh=fresh)
    try:
        if db is None:
            console.print("using the cached demo store (generated on first use)")
        if len(combos) == 1:
            c = combos[0]
            runners = [start_run(suites or shipped_suites(), provider=c.provider, model=c.model, prompt=c.prompt,
                                 out=out, name=name, cache_dir=cache_dir, **options)]
            matrix_dir = None
        else:
            matrix_dir, runners = start_matrix(suites or shipped_suites(), combos, out=out, name=name,
                                               cache_dir=cache_dir, **options)
    except (RunError, SuiteError) as err:
        raise _fail(str(err)) from None
    for runner in runners:
        results = _run_with_progress(runner)
        summary = write_reports(runner.run_dir, results)
        if matrix_dir is None:
            print_table(summary, console)
            console.print(f"results: {runner.run_dir / 'results.jsonl'}\nreport:  {runner.run_dir / 'report.html'}")
    if matrix_dir is not None:
        print_matrix(write_matrix_reports(matrix_dir), console)
        console.print(f"runs:   {matrix_dir}/RUN (results.jsonl, report.html)\nreport: {matrix_dir / 'report.html'}")


def _run_with_progress(runner):
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

            return runner.run(progress)
    except KeyboardInterrupt:
        err_console.print(f"interrupted: the cases scored so far are in {runner.run_dir / 'results.jsonl'}; "
                          "run the same command again to resume")
        raise typer.Exit(130) from None


@evals_app.command("report")
def report_command(
    run: Path = typer.Argument(..., help="a run directory (OUT/NAME)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Re-render a run's (or a matrix's) summary.json and report.html from its results, and print the scores."""
    try:
        summary = write_matrix_reports(run) if is_matrix(run) else write_reports(run)
    except RunError as err:
        raise _fail(str(err)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        (print_matrix if is_matrix(run) else print_table)(summary, console)
        console.print(f"report: {run / 'report.html'}")


@evals_app.command("compare")
def compare_command(
    run_a: Path = typer.Argument(..., help="the baseline run directory"),
    run_b: Path = typer.Argument(..., help="the new run directory"),
    threshold: float = typer.Option(0.02, help="fail when execution accuracy drops, or wrong-and-complete rises "
                                                "(overall or in a suite), by more than this (0.02 = 2 points)"),
) -> None:
    """List regressions, fixes and cases that became wrong-and-complete; exit 1 when execution accuracy drops,
    or the wrong-and-complete rate rises overall or in any suite, by more than the threshold."""
    try:
        comparison = compare(run_a, run_b, threshold)
    except RunError as err:
        raise _fail(str(err)) from None
    print_comparison(comparison, str(run_a), str(run_b), console)
    if comparison.failed:
        raise typer.Exit(1)
