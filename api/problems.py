"""Every error is an RFC 9457 problem (`application/problem+json`) of one shape: `type`, `title`,
`status`, `detail`, and the extension members `code`, `diagnostics` (line, column, span, suggestion, or the
request field) and `request_id`. Unknown routes, wrong methods, bad requests, DSL errors and bugs alike; a
500 never carries the exception text (it is logged with the request id)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.chats import ChatConflict
from assistant.data.preview import PreviewError
from assistant.segments import InUse
from assistant.store import StoreError
from assistant.translate.model import ModelError
from grammar.errors import Diagnostic

log = logging.getLogger("segment_assistant.api")
PROBLEM = "application/problem+json"


class DiagnosticSpan(BaseModel):
    line: int
    column: int
    end_line: int
    end_column: int


class ProblemDiagnostic(BaseModel):
    code: str
    message: str
    severity: str = "error"
    line: int | None = None
    column: int | None = None
    span: DiagnosticSpan | None = None
    suggestion: str | None = None
    field: str | None = None     # for request validation: where in the request (`body.dsl`)

    @classmethod
    def of(cls, d: Diagnostic) -> "ProblemDiagnostic":
        span = (DiagnosticSpan(line=d.line, column=d.column, end_line=d.end_line, end_column=d.end_column)
                if d.line and d.column and d.end_line and d.end_column else None)
        return cls(code=d.code, message=d.message, severity=d.severity, line=d.line, column=d.column, span=span,
                   suggestion=d.suggestion)


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    diagnostics: list[ProblemDiagnostic] = []
    request_id: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, diagnostics: list[Diagnostic] | None = None,
                 headers: dict[str, str] | None = None):
        self.status, self.code, self.detail, self.headers = status, code, detail, headers
        self.diagnostics = [ProblemDiagnostic.of(d) for d in diagnostics or []]


def problem(status: int, code: str, detail: str, diagnostics: list[ProblemDiagnostic] | None = None,
            request_id: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(type=f"urn:segment-assistant:problem:{code}", title=HTTPStatus(status).phrase, status=status,
                   detail=detail, code=code, diagnostics=diagnostics or [], request_id=request_id)
    headers = {**(headers or {}), **({"X-Request-ID": request_id} if request_id else {})}
    return JSONResponse(body.model_dump(mode="json"), status_code=status, media_type=PROBLEM, headers=headers)


def _problem_schema() -> dict:
    """Problem's JSON Schema for the problem+json media type (its parts are components already: the
    validate route's answer uses ProblemDiagnostic)."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


# Responses every route may give, for the OpenAPI document.
PROBLEM_RESPONSES = {status: {"content": {PROBLEM: {"schema": _problem_schema()}}, "description": HTTPStatus(status).phrase}
                     for status in (401, 404, 413, 422, 500)}

_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}


def _rid(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> JSONResponse:
        return problem(err.status, err.code, err.detail, err.diagnostics, _rid(request), err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        detail = err.detail if isinstance(err.detail, str) else HTTPStatus(err.status_code).phrase
        if err.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}"
        elif err.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem(err.status_code, _CODES.get(err.status_code, "http_error"), detail, None, _rid(request),
                       err.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        found = [ProblemDiagnostic(code=e["type"], message=e["msg"], field=".".join(str(p) for p in e["loc"]))
                 for e in err.errors()]
        detail = "; ".join(f"{d.field}: {d.message}" for d in found[:5]) or "the request is not valid"
        return problem(422, "invalid_request", detail, found, _rid(request))

    def answer(status: int, code: str):
        async def handler(request: Request, err: Exception) -> JSONResponse:
            return problem(status, code, str(err), None, _rid(request))
        return handler

    # Failures whose message is meant for the caller: one status and code each.
    for exc, status, code in ((ModelError, 502, "model_error"), (PreviewError, 503, "preview_failed"),
                              (InUse, 409, "conflict"), (ChatConflict, 409, "conflict")):
        app.add_exception_handler(exc, answer(status, code))

    @app.exception_handler(StoreError)
    async def _store(request: Request, err: StoreError) -> JSONResponse:
        log.error("store error (request %s): %s", _rid(request), err)
        return problem(503, "store_unavailable", "the segment store is not available", None, _rid(request))

    @app.exception_handler(Exception)
    async def _bug(request: Request, err: Exception) -> JSONResponse:
        log.exception("internal error (request %s)", _rid(request))
        return problem(500, "internal", "internal error; quote the request id when reporting it", None,
                       _rid(request))
