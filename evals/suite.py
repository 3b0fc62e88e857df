"""Eval suites: YAML files of cases (a request, optional chat turns before it, tags, and the expected answer).

A case expects either a segment (`expected`: DSL text, scored by the members it selects) or a behaviour
(`expect: question` / `expect: refusal`). `or_refusal: true` marks prompt injections where a refusal is as
good as the expected DSL. A suite may declare saved `segments` (name -> DSL) its requests can reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grammar import ast as A
from grammar.errors import SegmentError, read_yaml
from grammar.parser import parse

SUITES_DIR = Path(__file__).with_name("suites")

# Capability tags, one per row of DESIGN.md's "What the language must say" table.
CAPABILITIES = {
    "traits": "profile traits",
    "dates": "dates, relative and absolute",
    "sub_day": "sub-day windows",
    "did": "did / did not",
    "counts": "counts",
    "property_filters": "event property filters",
    "aggregates": "aggregates",
    "first_last": "first / last",
    "sequences": "sequences",
    "regular": "regular / stopped / restarted",
    "rank": "rank",
    "boolean": "boolean structure",
    "segment_refs": "segment references",
}
DIFFICULTIES = ("easy", "medium", "hard")
STYLES = {
    "casual": "casual wording", "terse": "terse notes", "typo": "misspellings", "synonym": "synonyms",
    "long": "long multi-clause requests", "chat": "chat refinements", "ambiguous": "ambiguous requests",
    "clarify": "should produce a question", "refusal": "should be refused", "injection": "prompt injections",
    "seed": "the seed segments", "calendar": "calendar phrasing",
}
TAGS = set(CAPABILITIES) | set(DIFFICULTIES) | set(STYLES)


class SuiteError(Exception):
    pass


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    request: str = Field(min_length=1)
    turns: list[str] = []
    tags: list[str]
    expected: str | None = None
    expect: Literal["dsl", "question", "refusal"] = "dsl"
    or_refusal: bool = False
    source: str = ""  # URL of the public page the request was paraphrased from
    suite: str = ""  # set by the loader

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        unknown = [t for t in tags if t not in TAGS]
        if unknown:
            raise ValueError(f"unknown tags {unknown}; known: {', '.join(sorted(TAGS))}")
        if sum(t in DIFFICULTIES for t in tags) != 1:
            raise ValueError(f"exactly one difficulty tag ({', '.join(DIFFICULTIES)}) is required")
        return tags

    @model_validator(mode="after")
    def _shape(self) -> "Case":
        if self.expect == "dsl" and not self.expected:
            raise ValueError("a case needs `expected` DSL, or `expect: question` / `expect: refusal`")
        if self.expect != "dsl" and (self.expected or self.or_refusal):
            raise ValueError(f"an `expect: {self.expect}` case takes no `expected` DSL and no `or_refusal`")
        if self.expect == "dsl" and not any(t in CAPABILITIES for t in self.tags):
            raise ValueError("a case expecting DSL needs at least one capability tag")
        return self

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    segments: dict[str, str] = {}
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> "Suite":
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r}")
            seen.add(case.id)
            case.suite = self.suite
            unknown = sorted(_segment_names(case.expected, case.id) - set(self.segments)) if case.expected else []
            if unknown:
                raise ValueError(f"case {case.id!r}: its expected DSL names segments the suite does not declare: "
                                 f"{', '.join(unknown)} (declare them under `segments:`)")
        return self


def _segment_names(dsl: str, case_id: str) -> set[str]:
    try:
        node = parse(dsl)
    except SegmentError as err:
        raise ValueError(f"case {case_id!r}: its expected DSL does not parse: {err.diagnostics[0].message}") from None
    return {n.name for n in A.walk(node) if isinstance(n, A.SegmentRef)}


def resolve_suite_path(name: str | Path) -> Path:
    """A suite file path, or the name of a shipped suite ("core" -> evals/suites/core.yaml)."""
    path = Path(name)
    if path.exists():
        return path
    shipped = SUITES_DIR / f"{name}.yaml"
    if shipped.exists():
        return shipped
    available = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.yaml")))
    raise SuiteError(f"no suite {str(name)!r}: not a file, and not a shipped suite ({available})")


def load_suite(name: str | Path) -> Suite:
    path = resolve_suite_path(name)
    data = read_yaml(path, SuiteError, "suite")
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite is a YAML mapping with `suite` and `cases`")
    try:
        return Suite.model_validate(data)
    except ValidationError as err:
        raise SuiteError(f"{path}: " + "; ".join(_where(data, e) for e in err.errors())) from None


def _where(data: dict, error: dict) -> str:
    """'cases[3] (id traits-04).tags: ...' for a validation error."""
    loc = list(error["loc"])
    parts = []
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
        case = data["cases"][loc[1]] if isinstance(data.get("cases"), list) else None
        ident = f" (id {case.get('id')})" if isinstance(case, dict) and case.get("id") else ""
        parts.append(f"cases[{loc[1]}]{ident}")
        loc = loc[2:]
    parts += [str(p) for p in loc]
    return f"{'.'.join(parts) or 'suite'}: {error['msg'].removeprefix('Value error, ')}"


def load_suites(names: list[str | Path]) -> list[Suite]:
    suites = [load_suite(n) for n in names]
    seen: dict[str, Path | str] = {}
    for name, suite in zip(names, suites):
        if suite.suite in seen:
            raise SuiteError(f"two suites are named {suite.suite!r} ({seen[suite.suite]} and {name})")
        seen[suite.suite] = name
    return suites


def shipped_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))
