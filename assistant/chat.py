"""The chat engine: a conversation that refines one segment turn by turn. Every turn that yields a
definition is a new version, with a diff of the definition against the version before it. The membership
diff (who enters, who leaves) is the preview layer's job: `Turn.dsl` and `Turn.previous_dsl` are its input.

`run_terminal_chat` is the terminal front end (`segment-assistant chat`); the API uses `ChatSession`."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TextIO

from rich.console import Console
from rich.text import Text

from assistant.segments import definition_diff, definition_lines
from assistant.translation import Translation, Translator
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.errors import SegmentError
from grammar.explain import explain
from grammar.format import format_condition
from grammar.parser import parse

_RESET = re.compile(r"^\s*(start over|start again|reset|new segment|scratch that|from scratch)\b[\s,.:;!-]*", re.I)
_UNDO = re.compile(r"^\s*(undo|go back|revert|undo that)\s*[.!]*\s*$", re.I)


def _conditions(dsl: str | None) -> list[str]:
    if not dsl:
        return []
    node = parse(dsl)
    parts = node.conditions if isinstance(node, (A.And, A.Or)) else [node]
    return [format_condition(c, nested=isinstance(node, (A.And, A.Or))) for c in parts]


@dataclass
class Turn:
    request: str
    version: int                         # the current version after this turn (0: no segment yet)
    dsl: str | None                      # the current definition after this turn
    previous_dsl: str | None             # the definition before this turn (for a membership diff)
    explanation: str | None = None
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    question: str | None = None
    refusal: str | None = None
    diff: str = ""                       # unified diff of definition_lines, empty when unchanged
    added: list[str] = field(default_factory=list)    # top-level conditions new in this version
    removed: list[str] = field(default_factory=list)  # top-level conditions gone in this version
    changed: bool = False                # did this turn create or restore a version

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _explain(dsl: str | None, catalog: Catalog) -> str | None:
    return explain(parse(dsl), catalog) if dsl else None


class ChatSession:
    """Versions of one segment. `send` asks the translator with the current definition as context;
    'undo' and 'start over' are handled here, so they work with any translator."""

    def __init__(self, translator: Translator, catalog: Catalog, as_of: datetime,
                 segments: dict[str, str] | None = None):
        self.translator = translator
        self.catalog = catalog
        self.as_of = as_of
        self.segments = dict(segments or {})
        self.versions: list[str | None] = []  # versions[i] is version i + 1; None is an empty segment

    @property
    def version(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> str | None:
        return self.versions[-1] if self.versions else None

    def send(self, text: str) -> Turn:
        if _UNDO.match(text):
            return self.undo(text)
        previous = self.current
        current = previous
        reset = _RESET.match(text)
        if reset:
            text_rest = text[reset.end():]
            current = None
            if not text_rest.strip():
                self.versions.append(None)
                return self._turn(text, previous, Translation(
                    question="Starting over: which people should the new segment contain?"), changed=True)
            text = text_rest
        translation = self.translator.translate(text, catalog=self.catalog, as_of=self.as_of, current=current,
                                                segments=self.segments)
        if translation.dsl:
            self.versions.append(translation.dsl)
            return self._turn(text, previous, translation, changed=True)
        return self._turn(text, previous, translation, changed=False)

    def undo(self, text: str = "undo") -> Turn:
        if not self.versions:
            return self._turn(text, None, Translation(question="There is nothing to undo yet."), changed=False)
        previous = self.versions.pop()
        return self._turn(text, previous, Translation(), changed=True, from_version=self.version + 1)

    def _turn(self, request: str, previous: str | None, t: Translation, changed: bool,
              from_version: int | None = None) -> Turn:
        dsl = self.current
        start = self.version - 1 if from_version is None else from_version
        diff = "\n".join(definition_diff(previous, dsl, f"v{start}", f"v{self.version}")) if changed else ""
        old_c, new_c = _conditions(previous), _conditions(dsl)
        return Turn(request=request, version=self.version, dsl=dsl, previous_dsl=previous,
                    explanation=_explain(dsl, self.catalog) if changed else None,
                    assumptions=t.assumptions, warnings=t.warnings, question=t.question, refusal=t.refusal,
                    diff=diff, added=[c for c in new_c if c not in old_c] if changed else [],
                    removed=[c for c in old_c if c not in new_c] if changed else [], changed=changed)


# ---- the terminal front end ------------------------------------------------------------------------------

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
            result = preview(turn.dsl)
        except (SegmentError, ValueError, RuntimeError, OSError) as err:
            console.print(Text(f"preview failed: {err}", style="red"))
            return
        count = getattr(result, "count", result)
        console.print(Text(f"{count} contacts match", style="bold cyan"))


def run_terminal_chat(session: ChatSession, console: Console, preview: Callable[[str], Any] | None = None,
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
            if session.current:
                console.print(Text(f"v{session.version}:", style="bold"), highlight(session.current))
                for line_ in definition_lines(session.current):
                    console.print(Text(f"  {line_}"))
            else:
                console.print(Text("no segment yet", style="dim"))
            continue
        _show(console, session.send(text), preview)
