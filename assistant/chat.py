"""The chat engine: a conversation that refines one segment turn by turn. Every turn that yields a
definition is a new version (an AST), with a diff of the definition against the version before it. The
membership diff (who enters, who leaves) is the preview layer's job: `Turn.condition` and
`Turn.previous_condition` are its input; `Turn.dsl` is the same definition as text, for display.

The terminal front end is `segment_assistant/terminal.py`; the API uses `ChatSession` too."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.segments import definition_diff
from assistant.translate.accounting import confirm
from assistant.translate.contract import Translation, Translator
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.explain import explain
from grammar.format import format_condition, format_segment

_RESET = re.compile(r"^\s*(start over|start again|reset|new segment|scratch that|from scratch)\b[\s,.:;!-]*", re.I)
_UNDO = re.compile(r"^\s*(undo|go back|revert|undo that)\s*[.!]*\s*$", re.I)


def _conditions(node: A.Condition | None) -> list[str]:
    if node is None:
        return []
    parts = node.conditions if isinstance(node, (A.And, A.Or)) else [node]
    return [format_condition(c, nested=isinstance(node, (A.And, A.Or))) for c in parts]


@dataclass
class Turn:
    request: str
    version: int                         # the current version after this turn (0: no segment yet)
    condition: A.Condition | None        # the current definition after this turn
    previous_condition: A.Condition | None  # the definition before this turn (for a membership diff)
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

    @property
    def dsl(self) -> str | None:
        return format_segment(self.condition) if self.condition is not None else None

    @property
    def previous_dsl(self) -> str | None:
        return format_segment(self.previous_condition) if self.previous_condition is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The turn as JSON: definitions as DSL text and as builder JSON."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("condition", "previous_condition")}
        out.update(dsl=self.dsl, previous_dsl=self.previous_dsl,
                   condition=A.condition_to_json(self.condition) if self.condition is not None else None)
        return out


class ChatSession:
    """Versions of one segment. `send` asks the translator with the current definition as context;
    'undo' and 'start over' are handled here, so they work with any translator.

    Versions are append-only and numbers never repeat: each version remembers the one it was made from,
    'undo' moves the current-version pointer back to it, and the next change gets a fresh number."""

    def __init__(self, translator: Translator, catalog: Catalog, as_of: datetime,
                 segments: dict[str, A.Condition] | None = None, versions: list[A.Condition | None] | None = None,
                 parents: list[int] | None = None, head: int | None = None):
        self.translator = translator
        self.catalog = catalog
        self.as_of = as_of
        self.segments = dict(segments or {})
        self.versions: list[A.Condition | None] = list(versions or [])  # versions[i] is version i + 1; None: empty
        self.parents: list[int] = list(parents or [])  # parents[i]: the version number version i + 1 came from
        self.head = len(self.versions) if head is None else head  # the current version (0: none yet)

    @property
    def version(self) -> int:
        return self.head

    @property
    def current(self) -> A.Condition | None:
        return self.versions[self.head - 1] if self.head else None

    def _append(self, node: A.Condition | None) -> int:
        parent = self.head
        self.versions.append(node)
        self.parents.append(parent)
        self.head = len(self.versions)
        return parent

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
                parent = self._append(None)
                return self._turn(text, previous, Translation(
                    question="Starting over: which people should the new segment contain?"), changed=True,
                    from_version=parent)
            text = text_rest
        translation = self.translator.translate(text, catalog=self.catalog, as_of=self.as_of, current=current,
                                                segments=self.segments)
        translation = confirm(text, translation, current, self.segments)
        node = translation.condition
        if node is not None:
            parent = self._append(node)
            return self._turn(text, previous, translation, changed=True, from_version=parent)
        return self._turn(text, previous, translation, changed=False)

    def undo(self, text: str = "undo") -> Turn:
        if not self.head:
            return self._turn(text, None, Translation(question="There is nothing to undo yet."), changed=False)
        previous, left = self.current, self.head
        self.head = self.parents[left - 1]
        return self._turn(text, previous, Translation(), changed=True, from_version=left)

    def _turn(self, request: str, previous: A.Condition | None, t: Translation, changed: bool,
              from_version: int | None = None) -> Turn:
        node = self.current
        start = self.version if from_version is None else from_version
        diff = "\n".join(definition_diff(previous, node, f"v{start}", f"v{self.version}")) if changed else ""
        old_c, new_c = _conditions(previous), _conditions(node)
        return Turn(request=request, version=self.version, condition=node, previous_condition=previous,
                    explanation=explain(node, self.catalog, self.catalog.concept_labels(), as_of=self.as_of)
                    if changed and node is not None else None,
                    assumptions=t.assumptions, warnings=t.warnings, question=t.question, refusal=t.refusal,
                    status=t.status if (t.dsl or t.question or t.refusal) else "complete",
                    open_points=[p.model_dump() for p in t.open_points],
                    diff=diff, added=[c for c in new_c if c not in old_c] if changed else [],
                    removed=[c for c in old_c if c not in new_c] if changed else [], changed=changed)
