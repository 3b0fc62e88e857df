"""Request and response models: the one source of the OpenAPI document. Segment definitions travel as DSL
text and as the builder AST (`grammar.ast.Condition`), so the schema documents every node kind."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.problems import ProblemDiagnostic
from assistant.pipeline import DraftResult
from assistant.translate.contract import OpenPoint, Status
from grammar import ast as A

# grammar/compile.py DIALECTS, spelled out so the schema lists them (tests/test_api_v1.py keeps them equal)
Dialect = Literal["duckdb", "postgres", "snowflake", "bigquery", "clickhouse", "redshift", "spark", "trino", "mysql"]
# A request may ask for the offline translator; the server's own translator (offline, a model endpoint or a
# local model) is chosen when it starts, so no request can make it load a model.
Provider = Literal["offline"]


class SegmentInput(BaseModel):
    """A segment as DSL text or as the builder's condition tree (exactly one)."""

    dsl: str | None = Field(None, max_length=100_000)
    condition: A.Condition | None = None

    @model_validator(mode="after")
    def _one(self) -> "SegmentInput":
        if (self.dsl is None) == (self.condition is None):
            raise ValueError("give exactly one of 'dsl' or 'condition'")
        return self


class CompileRequest(SegmentInput):
    dialect: Dialect = "duckdb"
    as_of: datetime | None = None


class PreviewRequest(SegmentInput):
    as_of: datetime | None = None
    sample_size: int = Field(10, ge=0, le=1000)
    show_pii: bool = False


class DraftRequest(BaseModel):
    request: str = Field(min_length=1, max_length=10_000)
    current: str | None = Field(None, max_length=100_000)
    as_of: datetime | None = None
    dialect: Dialect = "duckdb"
    preview: bool = True
    provider: Provider | None = None


class SaveRequest(SegmentInput):
    note: str = Field("", max_length=10_000)


class RenameRequest(BaseModel):
    new_name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")


class SnapshotRequest(BaseModel):
    as_of: datetime | None = None
    keep_members: bool = False


class ChatCreate(BaseModel):
    as_of: datetime | None = None


class ChatMessage(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Checked(BaseModel):
    valid: bool
    dsl: str | None = None
    condition: A.Condition | None = None
    explanation: str | None = None
    diagnostics: list[ProblemDiagnostic] = []


class Formatted(BaseModel):
    dsl: str
    condition: A.Condition


class Explained(BaseModel):
    dsl: str
    explanation: str


class Compiled(BaseModel):
    sql: str
    dialect: Dialect
    as_of: str


class Draft(DraftResult):
    """The pipeline's answer with the builder JSON typed as the AST."""

    condition: A.Condition | None = None

    @classmethod
    def of(cls, result: DraftResult) -> "Draft":
        data = result.model_dump()
        data["condition"] = A.condition_from_json(data["condition"]) if data["condition"] else None
        return cls.model_validate(data)


class VersionOut(BaseModel):
    version: int
    dsl: str
    condition: A.Condition
    saved_at: str
    note: str


class SegmentSummary(BaseModel):
    name: str
    dsl: str
    versions: int
    template: bool


class SegmentList(BaseModel):
    segments: list[SegmentSummary]


class SegmentDetail(BaseModel):
    name: str
    template: bool
    archived: bool
    versions: list[VersionOut]


class DiffOut(BaseModel):
    old: int
    new: int
    as_of: str
    definition: list[str]
    entered: list[int]
    left: list[int]


class SnapshotOut(BaseModel):
    id: int
    name: str
    version: int
    as_of: str
    taken_at: str
    count: int
    total: int
    members: bool


class SnapshotList(BaseModel):
    snapshots: list[SnapshotOut]


class TurnOut(BaseModel):
    request: str
    version: int
    status: Status
    open_points: list[OpenPoint]
    dsl: str | None
    previous_dsl: str | None
    condition: A.Condition | None
    explanation: str | None
    assumptions: list[str]
    warnings: list[str]
    question: str | None
    refusal: str | None
    diff: str
    added: list[str]
    removed: list[str]
    changed: bool
    entered: int | None = None          # how many people the turn added (a membership diff), when it changed
    left: int | None = None
    membership_error: str | None = None
    created_at: str | None = None


class ChatCreated(BaseModel):
    id: str
    as_of: str


class ChatVersion(BaseModel):
    version: int
    parent: int                          # the version it was made from (0: none)
    dsl: str | None
    condition: A.Condition | None


class ChatOut(BaseModel):
    id: str
    as_of: str
    created_at: str
    version: int                         # the current version (undo moves it; numbers never repeat)
    versions: list[ChatVersion]
    turns: list[TurnOut]
