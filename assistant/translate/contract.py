"""The translate stage's contract: plain English (+ the current segment, + the catalog) in, DSL text, the
assumptions made, or a question back out. Every translator (offline, model) returns a Translation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from grammar.catalog import Catalog


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Translation(BaseModel):
    dsl: str | None = None               # checked DSL text; None when asking a question or refusing
    assumptions: list[str] = []          # "'recent' read as the last 30 days"
    warnings: list[str] = []             # words it did not use, names it could not map
    question: str | None = None          # a clarifying question instead of a guess
    refusal: str | None = None           # why it will not produce a segment (e.g. asked for SQL)
    tries: int = 1                       # attempts the repair loop used
    provider: str = "offline"
    model: str | None = None
    usage: Usage = Usage()


class Translator(Protocol):
    def translate(self, request: str, *, catalog: Catalog, as_of: datetime, current: str | None = None,
                  segments: dict[str, str] | None = None) -> Translation:
        """`current` is the DSL of the segment being refined in a chat (None for a new one); `segments`
        maps saved segment names to their DSL so requests can reference them."""
        ...
