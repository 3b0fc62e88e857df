"""A matrix of translator settings in one run, as promptfoo does: every provider x model x prompt runs the same
suites into its own run directory (each resumes on its own, each records and replays under its own cache key),
and one report shows them side by side: per suite the outcome rates, accuracy, latency, tokens and cost, and per
case each combination's status and whether its members matched.

A matrix directory holds matrix.json (its runs, in the order given), one run directory per combination, and
the side-by-side reports (summary.json, report.html) written from them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table

from evals.report import CSS, OUTCOME_LABELS, pct, stats
from evals.runner import Combination, Runner, RunError, read_meta, read_results, start_run

MATRIX = "matrix.json"


class MatrixMeta(BaseModel):
    name: str
    runs: list[str]  # run directory names inside the matrix directory


def is_matrix(path: str | Path) -> bool:
    return (Path(path) / MATRIX).exists()


def start_matrix(suite_names: list[str], combos: list[Combination], *, out: str | Path = "eval-runs",
                 name: str | None = None, cache_dir: str | Path | None = None, **options) -> tuple[Path, list[Runner]]:
    """One Runner per combination, in OUT/NAME/<combination>; one record/replay cache for all (OUT/cache)."""
    matrix_dir = Path(out) / (name or "matrix")
    runners = [start_run(suite_names, provider=c.provider, model=c.model, prompt=c.prompt, out=matrix_dir,
                         cache_dir=cache_dir or Path(out) / "cache", **options) for c in combos]
    names = [r.meta.name for r in runners]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # e.g. --model left out and the configured model also given: one run directory for both
        raise RunError(f"the matrix runs {', '.join(twice)} more than once; give each model and prompt once")
    matrix_dir.mkdir(parents=True, exist_ok=True)
    (matrix_dir / MATRIX).write_text(MatrixMeta(name=matrix_dir.name, runs=names).model_dump_json(indent=2))
    return matrix_dir, runners


def summarise_matrix(matrix_dir: str | Path) -> dict:
    """Per suite ("overall" first) each run's Stats; per case each run's status, members and outcome."""
    matrix_dir = Path(matrix_dir)
    meta = MatrixMeta.model_validate_json((matrix_dir / MATRIX).read_text())
    results = {run: read_results(matrix_dir / run) for run in meta.runs}
    suites = sorted({r.suite for rs in results.values() for r in rs})
    cases: dict[str, dict] = {}
    for run, rs in results.items():
        for r in sorted(rs, key=lambda r: r.key):
            case = cases.setdefault(r.key, {"request": r.request, "expect": r.expect, "runs": {}})
            case["runs"][run] = {"status": r.status, "execution": r.execution, "outcome": r.outcome}
    return {
        "name": meta.name,
        "runs": {run: read_meta(matrix_dir / run).model_dump(include={"provider", "model", "prompt"})
                 for run in meta.runs},
        "suites": {group: {run: stats([r for r in rs if group == "overall" or r.suite == group]).model_dump()
                           for run, rs in results.items()} for group in ["overall", *suites]},
        "cases": dict(sorted(cases.items())),
    }


def write_matrix_reports(matrix_dir: str | Path) -> dict:
    matrix_dir = Path(matrix_dir)
    summary = summarise_matrix(matrix_dir)
    (matrix_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (matrix_dir / "report.html").write_text(render_matrix_html(summary))
    return summary


def _disagree(case: dict) -> bool:
    return len({r["outcome"] for r in case["runs"].values()}) > 1


# ---- terminal --------------------------------------------------------------------------------------------

def _usage_cells(s: dict) -> list[str]:
    latency = "-" if s["mean_latency_s"] is None else f"{s['mean_latency_s']:.3f}s"
    return [latency, str(s["tokens"]), "-" if s["cost"] is None else f"${s['cost']:.4f}"]


def print_matrix(summary: dict, console: Console | None = None) -> None:
    """One row per combination under each suite; the cost column only when prices were given."""
    console = console or Console()
    priced = any(s["cost"] is not None for runs in summary["suites"].values() for s in runs.values())
    table = Table(title=f"matrix {summary['name']} (w&c: wrong and complete)", box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ["run", "exec", "correct", "asked", "w&c", "latency", "tokens"] + ["cost"] * priced
    for col in columns:
        table.add_column(col, justify="left" if col == "run" else "right", no_wrap=True)
    for group, runs in summary["suites"].items():
        cases = next(iter(runs.values()))["cases"] if runs else 0
        table.add_row(f"{group} ({cases} cases)", style="bold")
        for run, s in runs.items():
            cells = [pct(s["execution"]), pct(s["correct"]), pct(s["asked"]), pct(s["wrong_complete"])]
            table.add_row(run, *cells, *_usage_cells(s)[:len(columns) - 5])
        table.add_section()
    console.print(table)
    differ = sum(_disagree(c) for c in summary["cases"].values())
    console.print(f"{differ} of {len(summary['cases'])} case(s) have different outcomes across the runs")
    for run, s in summary["suites"]["overall"].items():
        if s["errors"]:
            console.print(f"[red]{run}: {s['errors']} case(s) errored (see {run}/report.html)[/red]")


# ---- HTML ------------------------------------------------------------------------------------------------

def _cell(result: dict | None, expect: str) -> str:
    if result is None:
        return "<td>-</td>"
    detail = result["status"] or "no status"
    if result["status"] in ("complete", "partial") and expect == "dsl":
        detail += " · " + ("same members" if result["execution"] else "other members")
    return (f'<td><span class="badge {result["outcome"]}">{html.escape(OUTCOME_LABELS[result["outcome"]])}</span>'
            f'<div class="tags">{html.escape(detail)}</div></td>')


def render_matrix_html(summary: dict) -> str:
    runs = list(summary["runs"])
    heads = "".join(f"<th>{html.escape(r)}</th>" for r in runs)
    suites = []
    for group, by_run in summary["suites"].items():
        rows = "".join(
            f"<tr><td>{html.escape(run)}</td><td>{s['cases']}</td><td>{pct(s['execution'])}</td>"
            f"<td>{pct(s['correct'])}</td><td>{pct(s['asked'])}</td><td>{pct(s['wrong_complete'])}</td>"
            f"<td>{s['errors']}</td>" + "".join(f"<td>{c}</td>" for c in _usage_cells(s)) + "</tr>"
            for run, s in by_run.items())
        suites.append(f"<h3>{html.escape(group)}</h3><table><tr><th>run</th><th>cases</th><th>execution</th>"
                      f"<th>correct</th><th>asked</th><th>wrong &amp; complete</th><th>errors</th>"
                      f"<th>mean latency</th><th>tokens</th><th>cost</th></tr>{rows}</table>")
    cases = "".join(
        f'<tr{" class=differ" if _disagree(c) else ""}><td>{html.escape(key)}<div class="tags">'
        f'{html.escape(c["request"])}</div></td>' + "".join(_cell(c["runs"].get(r), c["expect"]) for r in runs) + "</tr>"
        for key, c in summary["cases"].items())
    differ = sum(_disagree(c) for c in summary["cases"].values())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eval matrix {html.escape(summary['name'])}</title>
<style>{CSS}tr.differ>td:first-child{{border-left:3px solid #c98a00}}</style></head><body>
<h1>Eval matrix {html.escape(summary['name'])}</h1>
<div class="meta">{len(runs)} combinations · {len(summary['cases'])} cases · {differ} with different outcomes (marked)</div>
<h2>By suite</h2>
{''.join(suites)}
<h2>By case</h2>
<table><tr><th>case</th>{heads}</tr>
{cases}</table>
</body></html>
"""
