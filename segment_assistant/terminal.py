"""The terminal front end: DSL highlighting for every CLI panel and the chat's read-eval-print loop
(`segment-assistant chat`). The chat engine itself is `assistant/chat.py`."""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, TextIO

from rich.console import Console
from rich.text import Text

from assistant.chat import ChatSession, Turn
from assistant.segments import definition_lines
from grammar.errors import SegmentError
from grammar.format import format_segment

_KEYWORDS = re.compile(r"\b(and|or|not|did|then|within|in|last|next|where|at least|at most|exactly|between|"
                       r"times?|more than|ago|before|after|on|first|top|bottom|by|of|count|distinct|total|"
                       r"average|min|max|stopped|restarted|for|segment|is set|is not set|contains|anniversary|"
                       r"share)\b")


def highlight(dsl: str) -> Text:
    """The DSL with keywords, quoted values and numbers coloured (the chat and every CLI panel)."""
    text = Text(dsl)
    text.highlight_regex(_KEYWORDS, "bold magenta")
    text.highlight_regex(r"\b\d+(\.\d+)?%?|\d{4}-\d{2}-\d{2}", "cyan")
    text.highlight_regex(r'"([^"\\]|\\.)*"', "green")
    return text


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
            if session.current is not None:
                console.print(Text(f"v{session.version}:", style="bold"), highlight(format_segment(session.current)))
                for line_ in definition_lines(session.current):
                    console.print(Text(f"  {line_}"))
            else:
                console.print(Text("no segment yet", style="dim"))
            continue
        _show(console, session.send(text), preview)
