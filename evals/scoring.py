"""Scoring one case: is the answer valid, is it the expected segment (same normalised AST), and does it select
the same members on the demo store (the headline, as in Spider and BIRD), with Jaccard for partial credit;
and, from the answer's `status`, what the case's outcome means to the person who asked (`outcome`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from typing import Literal

from pydantic import BaseModel

from assistant.data.preview import Database, PreviewError, member_ids
from assistant.translate.contract import Translation
from evals.suite import Case
from grammar import ast as A
from grammar.algebra import normalise
from grammar.catalog import Catalog
from grammar.check import validate
from grammar.compile import compile_segment
from grammar.errors import SegmentError
from grammar.format import format_segment
from grammar.parser import parse



class Prices(BaseModel):
    """Prices per 1M tokens, for a cost estimate."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


# The answer's status (assistant/translate/contract.py), or "error" when the translator failed; None in results
# recorded before answers had a status.
CaseStatus = Literal["complete", "partial", "question", "refused", "error"]

# What a case's answer means to the person who asked; every case has exactly one outcome.
Outcome = Literal["correct", "asked", "wrong_complete", "refused", "error", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("correct", "asked", "wrong_complete", "refused", "error", "unknown")


class CaseResult(BaseModel):
    """One scored case, one line of a run's results.jsonl.

    `execution` is the headline: for a DSL case, the answer selects exactly the expected members; for a
    question/refusal case, the translator asked/refused and returned no DSL. `valid`, `canonical` and
    `jaccard` are None where they do not apply (behaviour cases). `status` is the answer's own account of
    how much it understood; `outcome` combines the two."""

    suite: str
    id: str
    tags: list[str]
    request: str
    turns: list[str] = []
    expect: str
    expected: str | None = None
    got: str | None = None
    question: str | None = None
    refusal: str | None = None
    assumptions: list[str] = []
    open_points: list[str] = []  # the words a partial answer did not place
    error: str | None = None
    status: CaseStatus | None = None
    valid: bool | None = None
    canonical: bool | None = None
    execution: bool
    jaccard: float | None = None
    expected_count: int | None = None
    got_count: int | None = None
    tries: int = 0
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"

    @property
    def outcome(self) -> Outcome:
        return outcome(self)


def outcome(r: CaseResult) -> Outcome:
    """correct: the expected members (or behaviour), answered `complete`.
    asked: `partial` or `question` and not correct: honest about what it did not understand, not wrong. A
      `partial` answer with the right members counts here, not as correct: the product shows it as unfinished
      and asks a question, so the person still has work to do; and a translator must not be able to hedge
      every answer at no cost.
    wrong_complete: a `complete` answer that is not correct (other members, or a segment where a question or
      refusal was expected): the worst defect, a wrong answer that looks finished.
    refused: a refusal where something else was expected. error: the translator failed, or its DSL did not
      check or run (the product shows an error, never a segment). unknown: no status was recorded."""
    if r.status is None:
        return "unknown"
    if r.status == "error" or r.error:
        return "error"
    if r.execution:
        return "asked" if r.status == "partial" else "correct"
    if r.status == "complete":
        return "wrong_complete"
    if r.status in ("partial", "question"):
        return "asked"
    return "refused"


# ---- canonical form -------------------------------------------------------------------------------------

def canonical_text(node: A.Condition) -> str:
    return format_segment(normalise(node))


def same_segment(a: str, b: str) -> bool:
    """Whether two DSL texts are the same segment after normalisation (both must parse)."""
    return canonical_text(parse(a)) == canonical_text(parse(b))


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# ---- scoring --------------------------------------------------------------------------------------------

class Scorer:
    """Scores translations against a case on one demo store at one as-of instant. Thread-safe; each
    expected member set is computed once and reused."""

    def __init__(self, catalog: Catalog, db: Database, as_of: datetime, prices: Prices | None = None):
        self.catalog = catalog
        self.db = db
        self.as_of = as_of
        self.prices = prices
        self._expected: dict[tuple[str, str], set[int]] = {}  # (suite, DSL): segments are per suite
        self._lock = threading.Lock()

    def members(self, node: A.Condition, segments: Mapping[str, A.Condition]) -> set[int]:
        return member_ids(self.db, compile_segment(node, self.catalog, as_of=self.as_of, segments=segments))

    def expected_members(self, case: Case, segments: Mapping[str, A.Condition]) -> set[int]:
        key = (case.suite, case.expected)
        with self._lock:
            cached = self._expected.get(key)
        if cached is None:
            node, _ = validate(case.expected, self.catalog, segments)  # suites are checked: an error is a bug
            cached = self.members(node, segments)
            with self._lock:
                self._expected[key] = cached
        return cached

    def score(self, case: Case, translation: Translation | None, *, segments: Mapping[str, A.Condition],
              latency_s: float = 0.0, error: str | None = None) -> CaseResult:
        t = translation or Translation(tries=0)
        result = CaseResult(
            suite=case.suite, id=case.id, tags=case.tags, request=case.request, turns=case.turns,
            expect=case.expect, expected=case.expected, got=t.dsl, question=t.question, refusal=t.refusal,
            assumptions=t.assumptions, open_points=[p.text for p in t.open_points], error=error, status="error" if error else t.status, execution=False,
            tries=t.tries, latency_s=round(latency_s, 4),
            prompt_tokens=t.usage.prompt_tokens, completion_tokens=t.usage.completion_tokens,
            cost=self.prices.cost(t.usage.prompt_tokens, t.usage.completion_tokens) if self.prices else None,
        )
        if case.expect != "dsl":
            wanted = t.question if case.expect == "question" else t.refusal
            result.execution = bool(wanted) and not t.dsl and error is None
            return result
        if case.or_refusal and t.refusal and not t.dsl and error is None:
            result.execution = True
            return result
        expected = self.expected_members(case, segments)
        result.expected_count = len(expected)
        result.valid = result.canonical = False
        result.jaccard = 0.0
        if not t.dsl:
            return result
        try:
            node, _ = validate(t.dsl, self.catalog, segments)
        except SegmentError as err:
            result.error = result.error or f"invalid DSL: {err}"
            return result
        result.valid = True
        result.canonical = canonical_text(node) == canonical_text(parse(case.expected))
        try:
            got = self.members(node, segments)
        except PreviewError as err:
            result.error = result.error or f"could not run the segment: {err}"
            return result
        result.got_count = len(got)
        result.jaccard = round(jaccard(expected, got), 6)
        result.execution = got == expected
        return result
