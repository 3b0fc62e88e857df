"""The terminal front end: how a draft answer, a preview and the chat look to a person. Rendering only:
the commands are `segment_assistant/cli.py`, the chat engine `assistant/chat.py`.

Only rich is imported at the top: the console script loads this module for every command, `--help` too."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, Callable, TextIO

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from assistant.chat import ChatSession, Turn
    from assistant.pipeline import DraftResult

_KEYWORDS = re.compile(r"\b(and|or|not|did|then|within|in|last|next|where|at least|at most|exactly|between|"
                       r"times?|more than|ago|before|after|on|first|top|bottom|by|of|count|distinct|total|"
                       r"average|min|max|stopped|restarted|for|segment|is set|is not set|contains|anniversary|"
                       r"share)\b")
# The sample's columns in the order they earn their place on a narrow terminal (--json has every column).
_SAMPLE_PRIORITY = ("contact_id", "email", "country", "plan", "signup_at", "city")


def highlight(dsl: str) -> Text:
    """The DSL with keywords, quoted values and numbers coloured (the chat and every CLI panel)."""
    text = Text(dsl)
    text.highlight_regex(_KEYWORDS, "bold magenta")
    text.highlight_regex(r"\b\d+(\.\d+)?%?|\d{4}-\d{2}-\d{2}", "cyan")
    text.highlight_regex(r'"([^"\\]|\\.)*"', "green")
    return text


def show_dsl(console: Console, text: str, title: str = "segment") -> None:
    console.print(Panel(highlight(text), title=title, title_align="left", expand=False))


def show_sql(console: Console, sql: str, dialect: str) -> None:
    from rich.syntax import Syntax  # pygments: only when SQL is shown

    console.print(Panel(Syntax(sql, "sql", word_wrap=True), title=f"SQL ({dialect})", title_align="left",
                        expand=False))


def show_warnings(console: Console, warnings: list[str]) -> None:
    for w in warnings:
        console.print(Text("warning: ", style="yellow") + Text(w))


def as_of_text(as_of: str) -> str:
    """'2026-11-01 00:00:00' -> '2026-11-01', '2026-11-01 12:30:00' -> '2026-11-01 12:30'."""
    if as_of.endswith(" 00:00:00"):
        return as_of[:-9]
    return as_of[:-3] if as_of.endswith(":00") else as_of


def count_line(result: DraftResult) -> Text:
    """'1,024 of 20,000 contacts (5.1%) as of 2026-11-01', or the as-of alone when nothing was counted."""
    when = as_of_text(result.as_of)
    if result.count is None:
        return Text(f"as of {when}" + (" (not previewed)" if result.dsl else ""), style="dim")
    return Text.assemble((f"{result.count:,}", "bold"), f" of {result.total:,} contacts ({result.share:.1%}) "
                         f"as of {when}")


def _status(result: DraftResult) -> Text | None:
    """The status line when the answer is not complete (partial, a question, a refusal)."""
    if result.status == "refused":
        return Text.assemble(("refused: ", "bold red"), result.refusal or "")
    if result.status == "question":
        return Text.assemble(("question: ", "bold yellow"), result.question or "")
    if result.status == "partial":
        words = ", ".join(f"'{p.text}'" + (f" ({p.reason})" if p.reason else "") for p in result.open_points)
        line = Text.assemble(("partial: ", "bold yellow"),
                             (f"I could not place {words}" if words else "this answers only part of the request",
                              "yellow"))
        if result.question:
            line.append(Text.assemble("\n  ", ("question: ", "bold yellow"), result.question))
        return line
    return None


def show_result(console: Console, result: DraftResult, *, sql: bool = False, stats: bool = False) -> None:
    """A draft or preview answer, the answer first: read-back, status, count and as-of, the DSL, the sample;
    then the stats and the SQL when asked for."""
    if result.explanation:
        console.print(Text(result.explanation, style="bold"))
    status = _status(result)
    if status is not None:
        console.print(status)
    for a in result.assumptions:
        console.print(Text("assumed: ", style="cyan") + Text(a))
    show_warnings(console, result.warnings)
    if result.status == "complete" and result.request:  # a translation (a preview of DSL has nothing to place)
        console.print(Text("complete", style="bold green") + Text(" · ") + count_line(result))
    elif result.status != "refused":
        console.print(count_line(result))
    if result.dsl is None:
        return
    show_dsl(console, result.dsl)
    if result.sample:
        console.print(sample_table(result.sample, console.width))
    if stats and result.stats:
        console.print(stats_table(result.stats))
    if sql and result.sql:
        show_sql(console, result.sql, result.dialect)
    if result.tries > 1 or result.provider != "offline":
        console.print(Text(f"{result.provider} {result.model or ''}: {result.tries} tries", style="dim"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text[:16] if re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text) else text  # times to the minute


def _table(rows: list[dict[str, Any]], columns: list[str], hidden: int) -> Table:
    caption = f"{hidden} more columns with --json" if hidden else None
    table = Table(title="sample members", title_justify="left", caption=caption, caption_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False)
    for col in columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=24)
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    return table


def sample_table(rows: list[dict[str, Any]], width: int) -> Table:
    """The sample as a table no wider than `width`: the contact id always, then the columns of
    _SAMPLE_PRIORITY (then the rest) while they fit, shown in the data's own order."""
    every = list(rows[0])
    ranked = [c for c in _SAMPLE_PRIORITY if c in every] + [c for c in every if c not in _SAMPLE_PRIORITY]
    measure = Console(width=10_000)  # only to measure a table's natural width
    chosen: list[str] = ranked[:1]
    for col in ranked[1:]:
        trial = [c for c in every if c in chosen or c == col]
        if measure.measure(_table(rows, trial, len(every) - len(trial))).maximum <= width:
            chosen.append(col)
    shown = [c for c in every if c in chosen]
    return _table(rows, shown, len(every) - len(shown))


def stats_table(stats: list[dict[str, Any]]) -> Table:
    table = Table(title="segment stats", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("stat")
    table.add_column("value", justify="right")
    for s in stats:
        value = s["value"]
        shown = "-" if value is None else f"{value:.1%}" if s["kind"] == "rate" else f"{value:,.2f}"
        table.add_row(s["label"], shown)
    return table


# ---- chat ---------------------------------------------------------------------------------------------------

def _show_diff(console: Console, diff: str) -> None:
    for line in diff.splitlines():
        style = "green" if line.startswith("+") and not line.startswith("+++") else \
            "red" if line.startswith("-") and not line.startswith("---") else "dim"
        console.print(Text(line, style=style))


def _show(console: Console, turn: Turn, preview: Callable[[str], Any] | None) -> None:
    if turn.refusal:
        console.print(Text(turn.refusal, style="yellow"))
        return
    if turn.question:
        console.print(Text(turn.question, style="yellow"))
    for w in turn.warnings:
        console.print(Text(f"warning: {w}", style="yellow"))
    if not turn.changed:
        return
    if turn.dsl is None:
        console.print(Text(f"v{turn.version}: (empty segment)", style="dim"))
        return
    console.print(Text(f"v{turn.version}:", style="bold"), highlight(turn.dsl))
    if turn.explanation:
        console.print(Text(turn.explanation, style="italic"))
    for a in turn.assumptions:
        console.print(Text(f"assumed: {a}", style="dim"))
    if turn.diff:
        _show_diff(console, turn.diff)
    if preview is not None:
        from grammar.errors import SegmentError

        try:
            result = preview(turn.condition)
        except (SegmentError, ValueError, RuntimeError, OSError) as err:
            console.print(Text(f"preview failed: {err}", style="red"))
            return
        count = getattr(result, "count", result)
        console.print(Text(f"{count} contacts match", style="bold cyan"))


def run_terminal_chat(session: ChatSession, console: Console, preview: Callable[[Any], Any] | None = None,
                      stdin: TextIO | None = None) -> None:
    """A read-eval-print loop: each line refines the segment. Commands: undo, show, quit / exit / EOF.
    `preview(dsl)` may return a count or an object with `.count`."""
    stdin = stdin or sys.stdin
    console.print(Text("Describe the people you want. Commands: undo, show, quit.", style="dim"))
    while True:
        console.print("> ", end="")
        line = stdin.readline()
        if not line:
            console.print()
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("quit", "exit", "q"):
            break
        if text.lower() == "show":
            from assistant.segments import definition_lines
            from grammar.format import format_segment

            if session.current is not None:
                console.print(Text(f"v{session.version}:", style="bold"), highlight(format_segment(session.current)))
                for line_ in definition_lines(session.current):
                    console.print(Text(f"  {line_}"))
            else:
                console.print(Text("no segment yet", style="dim"))
            continue
        _show(console, session.send(text), preview)
