"""The translate stage's contract: plain English (+ the current segment, + the catalog) in, DSL text, the
assumptions made, or a question back out. Every translator (offline, model) returns a Translation.

Every answer says how much of the request it understood (`status`): a wrong segment that looks finished is
the worst thing this product can do, so words that change the meaning and were not placed make the answer
`partial`, with their spans and one clarifying question."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, model_validator

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.format import format_segment
from grammar.parser import parse


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


Status = Literal["complete", "partial", "question", "refused"]


class OpenPoint(BaseModel):
    """Words of the request that change the meaning but were not placed in the segment."""
    text: str                            # the words as the person wrote them
    start: int                           # character span in the request: request[start:end] == text
    end: int
    reason: str = ""                     # why they matter: "a number", "a negation", "a date", ...


def status_of(*, segment: object | None, refusal: str | None, question: str | None, open_points: list) -> Status:
    """One rule for every translator: refused > no segment (question) > partial (a segment, but open points
    or a question) > complete."""
    if refusal:
        return "refused"
    if segment is None:
        return "question"
    return "partial" if open_points or question else "complete"


class Translation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    condition: A.Condition | None = None  # the checked segment; None when asking a question or refusing
    assumptions: list[str] = []          # "'recent' read as the last 30 days"
    warnings: list[str] = []             # words it did not use, names it could not map
    question: str | None = None          # a clarifying question instead of a guess
    refusal: str | None = None           # why it will not produce a segment (e.g. asked for SQL)
    open_points: list[OpenPoint] = []    # meaning-bearing words not placed (then `question` asks about them)
    tries: int = 1                       # attempts the repair loop used
    provider: str = "offline"
    model: str | None = None
    usage: Usage = Usage()

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """DSL text is an edge form too: recorded answers (eval caches written before the tree was carried)
        and hand-written fixtures give `dsl`; it is parsed once, here."""
        if isinstance(data, dict) and "dsl" in data:
            data = dict(data)
            text = data.pop("dsl")
            if text is not None and data.get("condition") is None:
                data["condition"] = parse(text)
        return data

    @property
    def dsl(self) -> str | None:
        """The segment as canonical DSL text (for display, files and prompts)."""
        return format_segment(self.condition) if self.condition is not None else None

    @property
    def status(self) -> Status:
        return status_of(segment=self.condition, refusal=self.refusal, question=self.question, open_points=self.open_points)


class Translator(Protocol):
    def translate(self, request: str, *, catalog: Catalog, as_of: datetime, current: A.Condition | None = None,
                  segments: dict[str, A.Condition] | None = None) -> Translation:
        """`current` is the segment being refined in a chat (None for a new one); `segments` maps saved
        segment names to their definitions so requests can reference them."""
        ...
