"""The chat engine: a conversation that refines one segment turn by turn. Every turn that yields a
definition is a new version, with a diff of the definition against the version before it. The membership
diff (who enters, who leaves) is the preview layer's job: `Turn.dsl` and `Turn.previous_dsl` are its input.

The terminal front end is `segment_assistant/terminal.py`; the API uses `ChatSession` too."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.segments import definition_diff, definition_lines
from assistant.translate.accounting import confirm, referenced
from assistant.translate.contract import Translation, Translator
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
    status: str = "complete"             # complete | partial | question | refused (see translate/contract.py)
    open_points: list[dict] = field(default_factory=list)  # words not placed, with spans in `request`
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
        node = parse(translation.dsl) if translation.dsl else None
        saved = {name: parse(dsl) for name, dsl in self.segments.items()}
        translation = confirm(text, translation, node,
                              [*([parse(current)] if current else []), *referenced(node, saved)])
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
                    status=t.status if (t.dsl or t.question or t.refusal) else "complete",
                    open_points=[p.model_dump() for p in t.open_points],
                    diff=diff, added=[c for c in new_c if c not in old_c] if changed else [],
                    removed=[c for c in old_c if c not in new_c] if changed else [], changed=changed)
