"""Reports of a run: a terminal table, a JSON summary and a self-contained HTML page (per-tag accuracy bars,
every miss side by side), and the comparison of two runs that CI gates on."""

from __future__ import annotations

import html
import json
import statistics
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from evals.runner import RunMeta, read_meta, read_results
from evals.scoring import CaseResult
from evals.suite import CAPABILITIES, DIFFICULTIES, STYLES
from grammar.catalog import load_catalog
from grammar.errors import SegmentError
from grammar.explain import explain
from grammar.parser import parse

_TAG_ORDER = [*CAPABILITIES, *DIFFICULTIES, *STYLES]


class Stats(BaseModel):
    """Scores of a group of cases. `execution` (the headline) is over every case; `valid`, `canonical` and
    `jaccard` over the cases that expect DSL; `behaviour` over the question/refusal cases."""

    cases: int
    execution: float
    valid: float | None = None
    canonical: float | None = None
    jaccard: float | None = None
    behaviour: float | None = None


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def stats(results: list[CaseResult]) -> Stats:
    dsl = [r for r in results if r.expect == "dsl"]
    return Stats(
        cases=len(results),
        execution=_share([r.execution for r in results]) or 0.0,
        valid=_share([bool(r.valid) for r in dsl]),
        canonical=_share([bool(r.canonical) for r in dsl]),
        jaccard=round(statistics.fmean(r.jaccard or 0.0 for r in dsl), 4) if dsl else None,
        behaviour=_share([r.execution for r in results if r.expect != "dsl"]),
    )


def summarise(results: list[CaseResult], meta: RunMeta | None = None) -> dict:
    tags = sorted({t for r in results for t in r.tags}, key=lambda t: (_TAG_ORDER.index(t), t))
    latencies = sorted(r.latency_s for r in results) or [0.0]
    costs = [r.cost for r in results if r.cost is not None]
    return {
        "meta": meta.model_dump(mode="json") if meta else None,
        "overall": stats(results).model_dump(),
        "suites": {s: stats([r for r in results if r.suite == s]).model_dump()
                   for s in sorted({r.suite for r in results})},
        "tags": {t: stats([r for r in results if t in r.tags]).model_dump() for t in tags},
        "usage": {
            "prompt_tokens": sum(r.prompt_tokens for r in results),
            "completion_tokens": sum(r.completion_tokens for r in results),
            "cost": round(sum(costs), 6) if costs else None,
            "mean_tries": round(statistics.fmean(r.tries for r in results), 3) if results else None,
            "latency_p50_s": round(latencies[len(latencies) // 2], 4),
            "latency_p95_s": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))], 4),
            "errors": sum(1 for r in results if r.error),
        },
    }


# ---- terminal --------------------------------------------------------------------------------------------

def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def print_table(summary: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="eval scores (execution accuracy is the headline)")
    for col in ("group", "cases", "exec", "valid", "canon", "jaccard", "ask/ref"):
        table.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)

    def row(label: str, s: dict, style: str | None = None) -> None:
        table.add_row(label, str(s["cases"]), _pct(s["execution"]), _pct(s["valid"]), _pct(s["canonical"]),
                      "-" if s["jaccard"] is None else f"{s['jaccard']:.3f}", _pct(s["behaviour"]), style=style)

    row("overall", summary["overall"], style="bold")
    table.add_section()
    for name, s in summary["suites"].items():
        row(f"suite:{name}", s)
    table.add_section()
    for name, s in summary["tags"].items():
        row(name, s)
    console.print(table)
    usage = summary["usage"]
    line = (f"tokens: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion; "
            f"latency p50 {usage['latency_p50_s']} s, p95 {usage['latency_p95_s']} s; mean tries {usage['mean_tries']}")
    if usage["cost"] is not None:
        line += f"; cost ${usage['cost']:.4f}"
    if usage["errors"]:
        line += f"; [red]{usage['errors']} case(s) errored[/red]"
    console.print(line)


# ---- HTML ------------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .6rem}
.meta{color:#5b6475}.headline{font-size:2.4rem;font-weight:700;margin:.6rem 0}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;border-bottom:1px solid #e3e6ec;text-align:right}
th:first-child,td:first-child{text-align:left}.bar{background:#eef0f4;width:160px;height:10px;border-radius:5px;display:inline-block}
.bar>span{display:block;height:10px;border-radius:5px;background:#3a7d44}.bar.low>span{background:#c0392b}
.miss{border:1px solid #e3e6ec;border-radius:8px;padding:.7rem 1rem;margin:.8rem 0}
.miss h3{font-size:1rem;margin:0 0 .3rem}.tags{color:#5b6475;font-size:.85rem}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.side>div{background:#f7f8fa;border-radius:6px;padding:.5rem .7rem}
code{font:13px ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}.err{color:#c0392b}
.label{font-weight:600;font-size:.8rem;text-transform:uppercase;color:#5b6475}
"""


def _bar(v: float | None) -> str:
    if v is None:
        return "-"
    low = " low" if v < 0.5 else ""
    return f'<span class="bar{low}"><span style="width:{v * 100:.1f}%"></span></span> {_pct(v)}'


def _readback(dsl: str | None, catalog) -> str:
    if not dsl:
        return ""
    try:
        return explain(parse(dsl), catalog)
    except SegmentError:
        return ""


def _side(title: str, dsl: str | None, count: int | None, readback: str, extra: str = "") -> str:
    body = f"<code>{html.escape(dsl)}</code>" if dsl else "<em>no DSL</em>"
    members = f"<div>{count} members</div>" if count is not None else ""
    said = f"<div>{html.escape(readback)}</div>" if readback else ""
    return f'<div><div class="label">{title}</div>{body}{said}{members}{extra}</div>'


def _miss(r: CaseResult, catalog) -> str:
    turns = "".join(f"<div>turn: {html.escape(t)}</div>" for t in r.turns)
    expected = r.expected if r.expect == "dsl" else None
    want = "" if r.expect == "dsl" else f"<div>expected a {r.expect}</div>"
    got_extra = "".join(f"<div>{label}: {html.escape(text)}</div>" for label, text in
                        (("question", r.question), ("refusal", r.refusal)) if text)
    if r.error:
        got_extra += f'<div class="err">{html.escape(r.error)}</div>'
    jac = f" · Jaccard {r.jaccard:.3f}" if r.jaccard is not None else ""
    return (f'<div class="miss" id="{html.escape(r.key)}"><h3>{html.escape(r.key)}: {html.escape(r.request)}</h3>'
            f'<div class="tags">{html.escape(", ".join(r.tags))}{jac} · tries {r.tries} · {r.latency_s:.2f} s</div>{turns}'
            f'<div class="side">{_side("expected", expected, r.expected_count, _readback(expected, catalog), want)}'
            f'{_side("got", r.got, r.got_count, _readback(r.got, catalog), got_extra)}</div></div>')


def render_html(results: list[CaseResult], summary: dict) -> str:
    catalog = load_catalog()
    meta = summary.get("meta") or {}
    overall = summary["overall"]
    rows = [("overall", overall)] + [(f"suite {k}", v) for k, v in summary["suites"].items()] + \
           [(f"{CAPABILITIES[k]} ({k})" if k in CAPABILITIES else k, v) for k, v in summary["tags"].items()]
    table = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{s['cases']}</td><td>{_bar(s['execution'])}</td><td>{_pct(s['valid'])}</td>"
        f"<td>{_pct(s['canonical'])}</td><td>{'-' if s['jaccard'] is None else format(s['jaccard'], '.3f')}</td>"
        f"<td>{_pct(s['behaviour'])}</td></tr>" for label, s in rows)
    misses = [r for r in sorted(results, key=lambda r: r.key) if not r.execution]
    what = " · ".join(html.escape(str(meta[k])) for k in ("provider", "model", "prompt", "as_of") if meta.get(k))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eval report {html.escape(meta.get('name', ''))}</title>
<style>{_CSS}</style></head><body>
<h1>Eval report {html.escape(meta.get('name', ''))}</h1>
<div class="meta">{what} · {overall['cases']} cases · database {html.escape(str(meta.get('db', '')))}</div>
<div class="headline">{_pct(overall['execution'])} execution accuracy</div>
<h2>Accuracy by suite and tag</h2>
<table><tr><th>group</th><th>cases</th><th>execution</th><th>valid</th><th>canonical</th><th>jaccard</th><th>question/refusal</th></tr>
{table}</table>
<h2>Misses ({len(misses)})</h2>
{''.join(_miss(r, catalog) for r in misses) or '<p>None: every case selected the expected members.</p>'}
</body></html>
"""


def write_reports(run_dir: str | Path, results: list[CaseResult] | None = None) -> dict:
    """(Re)write summary.json and report.html of a run directory; returns the summary."""
    run_dir = Path(run_dir)
    meta = read_meta(run_dir)
    results = results if results is not None else read_results(run_dir)
    summary = summarise(results, meta)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (run_dir / "report.html").write_text(render_html(results, summary))
    return summary


# ---- compare ---------------------------------------------------------------------------------------------

class Comparison(BaseModel):
    common: int
    accuracy_a: float
    accuracy_b: float
    regressions: list[str]  # case keys right in A, wrong in B
    fixes: list[str]        # wrong in A, right in B
    only_a: int
    only_b: int
    threshold: float

    @property
    def drop(self) -> float:
        return self.accuracy_a - self.accuracy_b

    @property
    def failed(self) -> bool:
        return self.drop > self.threshold


def compare(run_a: str | Path, run_b: str | Path, threshold: float = 0.02) -> Comparison:
    """Execution accuracy of two runs over the cases both scored, and which cases flipped."""
    a = {r.key: r for r in read_results(run_a)}
    b = {r.key: r for r in read_results(run_b)}
    common = sorted(a.keys() & b.keys())

    def accuracy(run: dict[str, CaseResult]) -> float:
        return round(sum(run[k].execution for k in common) / len(common), 4) if common else 0.0

    return Comparison(
        common=len(common), accuracy_a=accuracy(a), accuracy_b=accuracy(b),
        regressions=[k for k in common if a[k].execution and not b[k].execution],
        fixes=[k for k in common if not a[k].execution and b[k].execution],
        only_a=len(a.keys() - b.keys()), only_b=len(b.keys() - a.keys()), threshold=threshold,
    )


def print_comparison(c: Comparison, run_a: str, run_b: str, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"execution accuracy on {c.common} common cases: {_pct(c.accuracy_a)} ({run_a}) -> "
                  f"{_pct(c.accuracy_b)} ({run_b})")
    for title, keys, style in (("regressions", c.regressions, "red"), ("fixes", c.fixes, "green")):
        console.print(f"[{style}]{title} ({len(keys)})[/{style}]")
        for key in keys:
            console.print(f"  {key}")
    if c.only_a or c.only_b:
        console.print(f"not compared: {c.only_a} case(s) only in {run_a}, {c.only_b} only in {run_b}")
    if c.failed:
        console.print(f"[red bold]execution accuracy dropped by {c.drop * 100:.1f} points "
                      f"(threshold {c.threshold * 100:.1f})[/red bold]")
