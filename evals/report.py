"""Reports of a run: a terminal table, a JSON summary and a self-contained HTML page (per-suite and per-tag
scores and outcome rates, every case not answered correctly side by side, with its status)."""

from __future__ import annotations

import html
import json
import statistics
from pathlib import Path

from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table

from evals.runner import RunMeta, read_meta, read_results
from evals.scoring import OUTCOMES, CaseResult
from evals.suite import CAPABILITIES, DIFFICULTIES, STYLES
from grammar.catalog import load_catalog
from grammar.errors import SegmentError
from grammar.explain import explain
from grammar.parser import parse

_TAG_ORDER = [*CAPABILITIES, *DIFFICULTIES, *STYLES]


class Stats(BaseModel):
    """Scores of a group of cases. `execution` (same members, or the right behaviour) is over every case;
    `correct`, `asked` and `wrong_complete` are outcome rates (evals.scoring.outcome) over the cases with a
    recorded status, `unknown` counts the others (results recorded before answers had a status); `valid`,
    `canonical` and `jaccard` are over the cases that expect DSL; `behaviour` over the question/refusal cases."""

    cases: int
    execution: float
    correct: float | None = None
    asked: float | None = None
    wrong_complete: float | None = None
    unknown: int = 0
    valid: float | None = None
    canonical: float | None = None
    jaccard: float | None = None
    behaviour: float | None = None
    errors: int = 0
    mean_latency_s: float | None = None
    tokens: int = 0
    cost: float | None = None


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def stats(results: list[CaseResult]) -> Stats:
    dsl = [r for r in results if r.expect == "dsl"]
    known = [r.outcome for r in results if r.outcome != "unknown"]
    costs = [r.cost for r in results if r.cost is not None]
    return Stats(
        cases=len(results),
        execution=_share([r.execution for r in results]) or 0.0,
        correct=_share([o == "correct" for o in known]),
        asked=_share([o == "asked" for o in known]),
        wrong_complete=_share([o == "wrong_complete" for o in known]),
        unknown=len(results) - len(known),
        valid=_share([bool(r.valid) for r in dsl]),
        canonical=_share([bool(r.canonical) for r in dsl]),
        jaccard=round(statistics.fmean(r.jaccard or 0.0 for r in dsl), 4) if dsl else None,
        behaviour=_share([r.execution for r in results if r.expect != "dsl"]),
        errors=sum(1 for r in results if r.error),
        mean_latency_s=round(statistics.fmean(r.latency_s for r in results), 4) if results else None,
        tokens=sum(r.prompt_tokens + r.completion_tokens for r in results),
        cost=round(sum(costs), 6) if costs else None,
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
        "outcomes": {o: sum(r.outcome == o for r in results) for o in OUTCOMES},
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

def pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def unknown_note(unknown: int) -> str:
    return (f"{unknown} case(s) have no status (recorded before answers had one): correct / asked / wrong & "
            "complete leave them out; run them again to score them")


def print_table(summary: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="eval scores (exec: same members; w&c: wrong and complete, the worst outcome)",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    columns = {  # canonical match and question/refusal behaviour only where the terminal is wide enough
        "exec": lambda s: pct(s["execution"]), "correct": lambda s: pct(s["correct"]),
        "asked": lambda s: pct(s["asked"]), "w&c": lambda s: pct(s["wrong_complete"]),
        "valid": lambda s: pct(s["valid"]), "canon": lambda s: pct(s["canonical"]),
        "jaccard": lambda s: "-" if s["jaccard"] is None else f"{s['jaccard']:.3f}",
        "ask/ref": lambda s: pct(s["behaviour"]),
    }
    if console.width < 100:
        del columns["canon"], columns["ask/ref"]
    table.add_column("group", no_wrap=True)
    table.add_column("cases", justify="right", no_wrap=True)
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)

    def row(label: str, s: dict, style: str | None = None) -> None:
        table.add_row(label, str(s["cases"]), *(cell(s) for cell in columns.values()), style=style)

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
    if summary["overall"]["unknown"]:
        console.print(f"[yellow]{unknown_note(summary['overall']['unknown'])}[/yellow]")


# ---- HTML ------------------------------------------------------------------------------------------------

CSS = """
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
.badge{font-size:.8rem;font-weight:600;padding:.05rem .45rem;border-radius:4px;background:#eef0f4}
.badge.correct{background:#dcefe0}.badge.asked{background:#fdf1d6}.badge.wrong_complete{background:#f8d7d3;color:#8e2a1f}
"""


def _bar(v: float | None) -> str:
    if v is None:
        return "-"
    low = " low" if v < 0.5 else ""
    return f'<span class="bar{low}"><span style="width:{v * 100:.1f}%"></span></span> {pct(v)}'


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


OUTCOME_LABELS = {"correct": "correct", "asked": "asked", "wrong_complete": "wrong & complete",
                   "refused": "refused", "error": "error", "unknown": "status unknown"}


def _badge(r: CaseResult) -> str:
    return (f'<span class="badge {r.outcome}">{html.escape(OUTCOME_LABELS[r.outcome])}</span> '
            f'<span class="tags">status {html.escape(r.status or "unknown")}</span>')


def _miss(r: CaseResult, catalog) -> str:
    turns = "".join(f"<div>turn: {html.escape(t)}</div>" for t in r.turns)
    expected = r.expected if r.expect == "dsl" else None
    want = "" if r.expect == "dsl" else f"<div>expected a {r.expect}</div>"
    got_extra = "".join(f"<div>{label}: {html.escape(text)}</div>" for label, text in
                        (("question", r.question), ("refusal", r.refusal),
                         ("not placed", ", ".join(repr(p) for p in r.open_points))) if text)
    if r.error:
        got_extra += f'<div class="err">{html.escape(r.error)}</div>'
    jac = f" · Jaccard {r.jaccard:.3f}" if r.jaccard is not None else ""
    members = " · same members" if r.execution and r.expect == "dsl" else ""
    return (f'<div class="miss" id="{html.escape(r.key)}"><h3>{html.escape(r.key)}: {html.escape(r.request)}</h3>'
            f'<div>{_badge(r)}</div>'
            f'<div class="tags">{html.escape(", ".join(r.tags))}{jac}{members} · tries {r.tries} · {r.latency_s:.2f} s</div>'
            f'{turns}<div class="side">{_side("expected", expected, r.expected_count, _readback(expected, catalog), want)}'
            f'{_side("got", r.got, r.got_count, _readback(r.got, catalog), got_extra)}</div></div>')


_COLUMNS = ("cases", "execution", "correct", "asked", "wrong & complete", "valid", "canonical", "jaccard",
            "question/refusal")


def _row(label: str, s: dict) -> str:
    jac = "-" if s["jaccard"] is None else format(s["jaccard"], ".3f")
    wc = pct(s["wrong_complete"])
    wc = f'<span class="err">{wc}</span>' if s["wrong_complete"] else wc
    cells = (str(s["cases"]), _bar(s["execution"]), pct(s["correct"]), pct(s["asked"]), wc, pct(s["valid"]),
             pct(s["canonical"]), jac, pct(s["behaviour"]))
    return f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render_html(results: list[CaseResult], summary: dict) -> str:
    catalog = load_catalog()
    meta = summary.get("meta") or {}
    overall = summary["overall"]
    rows = [("overall", overall)] + [(f"suite {k}", v) for k, v in summary["suites"].items()] + \
           [(f"{CAPABILITIES[k]} ({k})" if k in CAPABILITIES else k, v) for k, v in summary["tags"].items()]
    table = "".join(_row(label, s) for label, s in rows)
    header = "".join(f"<th>{html.escape(c)}</th>" for c in ("group", *_COLUMNS))
    misses = [r for r in sorted(results, key=lambda r: r.key) if r.outcome != "correct"]
    what = " · ".join(html.escape(str(meta[k])) for k in ("provider", "model", "prompt", "as_of") if meta.get(k))
    unknown = f'<p class="err">{html.escape(unknown_note(overall["unknown"]))}</p>' if overall["unknown"] else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eval report {html.escape(meta.get('name', ''))}</title>
<style>{CSS}</style></head><body>
<h1>Eval report {html.escape(meta.get('name', ''))}</h1>
<div class="meta">{what} · {overall['cases']} cases · database {html.escape(str(meta.get('db', '')))}</div>
<div class="headline">{pct(overall['execution'])} execution accuracy</div>
<div>{pct(overall['correct'])} correct · {pct(overall['asked'])} asked ·
<span class="err">{pct(overall['wrong_complete'])} wrong &amp; complete</span></div>{unknown}
<p class="meta">correct: the expected members (or question / refusal), answered complete. asked: a partial answer or a
question instead (a partial answer with the right members counts here). wrong &amp; complete: a complete answer
that is wrong, the worst outcome.</p>
<h2>By suite and tag</h2>
<table><tr>{header}</tr>
{table}</table>
<h2>Not correct ({len(misses)})</h2>
{''.join(_miss(r, catalog) for r in misses) or '<p>None: every case was answered correctly and completely.</p>'}
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
