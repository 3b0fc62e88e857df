"""Serve stage: the whole pipeline over HTTP for a UI. The pydantic models (the AST included) are the one
source of the request, response and OpenAPI schema. Invalid input is a 4xx with an `error` object that
says what and where; the server never answers 500 for bad input."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from assistant.data import demo_store
from assistant.translate.model import ModelError
from assistant.pipeline import DraftResult, build_result, draft
from assistant.translate.factory import make_translator
from assistant.data.preview import Database, PreviewError, membership_diff
from assistant.segments import SegmentStore, Version, definition_diff
from grammar import ast as A
from grammar.catalog import Catalog, load_catalog
from grammar.check import check
from grammar.compile import DIALECTS, compile_segment
from grammar.errors import Diagnostic, SegmentError
from grammar.explain import explain
from grammar.format import format_segment
from grammar.parser import parse


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, diagnostics: list[Diagnostic] | None = None):
        self.status, self.code, self.message, self.diagnostics = status, code, message, diagnostics or []


class SegmentInput(BaseModel):
    """A segment as DSL text or as the builder's condition tree (exactly one)."""

    dsl: str | None = None
    condition: A.Condition | None = None

    @model_validator(mode="after")
    def _one(self) -> "SegmentInput":
        if (self.dsl is None) == (self.condition is None):
            raise ValueError("give exactly one of 'dsl' or 'condition'")
        return self


class CompileRequest(SegmentInput):
    dialect: str = "duckdb"
    as_of: datetime | None = None


class PreviewRequest(SegmentInput):
    as_of: datetime | None = None
    sample_size: int = Field(10, ge=0, le=1000)
    show_pii: bool = False


class DraftRequest(BaseModel):
    request: str = Field(min_length=1)
    current: str | None = None
    as_of: datetime | None = None
    dialect: str = "duckdb"
    preview: bool = True
    provider: str | None = None


class SaveRequest(SegmentInput):
    note: str = ""


class ChatMessage(BaseModel):
    text: str = Field(min_length=1)


class Checked(BaseModel):
    valid: bool
    dsl: str | None = None
    condition: dict[str, Any] | None = None
    explanation: str | None = None
    diagnostics: list[Diagnostic] = []


class Compiled(BaseModel):
    sql: str
    dialect: str
    as_of: str


class DiffResult(BaseModel):
    definition: list[str]
    entered: list[int]
    left: list[int]


def create_app(db: str | None = None, store: str | Path | None = None, catalog: str | Path | None = None) -> FastAPI:
    """The API over one database (default: the demo store), one saved-segment store and one catalog."""
    cat: Catalog = load_catalog(catalog)
    segments = SegmentStore(store)
    database = Database(db or str(demo_store.demo_db_path()))
    chats: dict[str, Any] = {}
    lock = threading.Lock()  # the store file and chat table are shared by worker threads
    app = FastAPI(title="Segment assistant", version="0.1.0",
                  description="Plain English -> checked segment DSL -> SQL -> preview, and the builder JSON.")

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, err: ApiError) -> JSONResponse:
        return JSONResponse(status_code=err.status, content={"error": {
            "code": err.code, "message": err.message,
            "diagnostics": [d.model_dump(exclude_none=True) for d in err.diagnostics]}})

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, err: RequestValidationError) -> JSONResponse:
        problems = [{"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in err.errors()]
        return JSONResponse(status_code=422, content={"error": {
            "code": "invalid_request", "message": "; ".join(f"{p['where']}: {p['message']}" for p in problems[:5]),
            "problems": problems}})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, err: Exception) -> JSONResponse:  # a bug: still an error object, no trace
        return JSONResponse(status_code=500, content={"error": {
            "code": "internal", "message": f"internal error: {type(err).__name__}: {err}", "diagnostics": []}})

    def as_of_for(value: datetime | None) -> datetime:
        return value.replace(tzinfo=None) if value else demo_store.resolve_as_of(None, database.target)

    def node_of(body: SegmentInput) -> tuple[A.Condition, list[Diagnostic], str]:
        try:
            node = parse(body.dsl) if body.dsl is not None else body.condition
        except SegmentError as err:
            raise ApiError(422, "invalid_segment", "the segment does not parse", err.diagnostics) from None
        diagnostics = check(node, cat, segments.conditions())
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            raise ApiError(422, "invalid_segment", "the segment is not valid", errors)
        return node, diagnostics, format_segment(node)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/catalog")
    def get_catalog() -> dict[str, Any]:
        return cat.model_dump(mode="json", by_alias=True)

    @app.get("/schema")
    def get_schema() -> dict[str, Any]:
        return A.json_schema()

    @app.post("/validate", response_model=Checked)
    def validate(body: SegmentInput) -> Checked:
        try:
            node, diagnostics, dsl = node_of(body)
        except ApiError as err:
            return Checked(valid=False, diagnostics=err.diagnostics, dsl=body.dsl)
        return Checked(valid=True, dsl=dsl, condition=A.condition_to_json(node), explanation=explain(node, cat),
                       diagnostics=diagnostics)

    @app.post("/compile", response_model=Compiled)
    def compile_(body: CompileRequest) -> Compiled:
        if body.dialect not in DIALECTS:
            raise ApiError(422, "invalid_request", f"unknown dialect {body.dialect!r}; choose one of {', '.join(DIALECTS)}")
        node, _, _ = node_of(body)
        when = as_of_for(body.as_of)
        return Compiled(sql=compile_segment(node, cat, body.dialect, when, segments.conditions()), dialect=body.dialect,
                        as_of=when.isoformat(sep=" "))

    @app.post("/preview", response_model=DraftResult)
    def preview_(body: PreviewRequest) -> DraftResult:
        node, _, _ = node_of(body)
        result = build_result("", None, catalog=cat, as_of=as_of_for(body.as_of), dialect=database.dialect, db=database,
                              segments=segments.conditions(), condition=node, sample_size=body.sample_size,
                              show_pii=body.show_pii)
        return _ok(result)

    @app.post("/draft", response_model=DraftResult)
    def draft_(body: DraftRequest) -> DraftResult:
        if body.dialect not in DIALECTS:
            raise ApiError(422, "invalid_request", f"unknown dialect {body.dialect!r}; choose one of {', '.join(DIALECTS)}")
        try:
            translator = make_translator(body.provider)
        except ValueError as err:
            raise ApiError(422, "invalid_request", str(err)) from None
        try:
            current = parse(body.current) if body.current else None
        except SegmentError as err:
            raise ApiError(422, "invalid_segment", "the current segment does not parse", err.diagnostics) from None
        result = draft(body.request, translator=translator, catalog=cat, as_of=as_of_for(body.as_of),
                       dialect=body.dialect, db=database if body.preview else None, current=current,
                       segments=segments.conditions())
        return _ok(result)

    def _ok(result: DraftResult) -> DraftResult:
        if result.error and result.error.code == "preview_failed":
            raise ApiError(503, "preview_failed", result.error.message)
        if result.error:
            raise ApiError(422, result.error.code, result.error.message, result.error.diagnostics)
        return result

    @app.post("/chats", status_code=201)
    def new_chat(as_of: datetime | None = None) -> dict[str, Any]:
        from assistant.chat import ChatSession

        try:
            translator = make_translator()
        except ValueError as err:
            raise ApiError(422, "invalid_request", str(err)) from None
        session = ChatSession(translator, cat, as_of_for(as_of), segments.conditions())
        chat_id = uuid.uuid4().hex
        with lock:
            chats[chat_id] = session
        return {"id": chat_id, "as_of": session.as_of.isoformat(sep=" ")}

    @app.post("/chats/{chat_id}/messages")
    def chat_message(chat_id: str, body: ChatMessage) -> dict[str, Any]:
        session = chats.get(chat_id)
        if session is None:
            raise ApiError(404, "not_found", f"no chat {chat_id!r}: start one with POST /chats")
        with lock:  # one turn at a time per server: a session's versions are a sequence
            try:
                turn = session.send(body.text)
            except ModelError as err:
                raise ApiError(502, "model_error", str(err)) from None
        result = turn.to_dict()
        if turn.changed and turn.condition is not None and turn.previous_condition is not None:
            try:
                entered, left = membership_diff(database, cat, session.as_of, turn.previous_condition, turn.condition,
                                                segments.conditions())
                result["entered"], result["left"] = len(entered), len(left)
            except PreviewError as err:
                result["membership_error"] = str(err)
        return result

    @app.get("/segments")
    def list_segments() -> dict[str, Any]:
        return {"segments": [{"name": n, "dsl": segments.dsl(n), "versions": len(segments.history(n))}
                             for n in segments.names()]}

    @app.get("/segments/{name}", response_model=list[Version])
    def segment_history(name: str) -> list[Version]:
        try:
            return segments.history(name)
        except KeyError:
            raise ApiError(404, "not_found", f"no segment named {name!r}") from None

    @app.post("/segments/{name}", response_model=Version, status_code=201)
    def save_segment(name: str, body: SaveRequest) -> Version:
        try:
            node = parse(body.dsl) if body.dsl is not None else body.condition
        except SegmentError as err:
            raise ApiError(422, "invalid_segment", f"cannot save {name!r}", err.diagnostics) from None
        with lock:
            try:
                return segments.save(name, node, cat, body.note)
            except SegmentError as err:
                raise ApiError(422, "invalid_segment", f"cannot save {name!r}", err.diagnostics) from None

    @app.get("/segments/{name}/diff", response_model=DiffResult)
    def diff_segment(name: str, old: int, new: int, as_of: datetime | None = None) -> DiffResult:
        try:
            before, after = segments.version(name, old), segments.version(name, new)
        except KeyError as err:
            raise ApiError(404, "not_found", str(err).strip("'\"")) from None
        try:
            entered, left = membership_diff(database, cat, as_of_for(as_of), before.condition, after.condition,
                                            segments.conditions())
        except PreviewError as err:
            raise ApiError(503, "preview_failed", str(err)) from None
        return DiffResult(definition=definition_diff(before.condition, after.condition), entered=sorted(entered), left=sorted(left))

    return app
