"""Plain English to a checked, compiled and previewed segment, with how much of the request was understood
(`status`, `open_points`)."""

from __future__ import annotations

from fastapi import APIRouter

from api.models import Draft, DraftRequest
from api.problems import ApiError
from api.state import State
from assistant.pipeline import DraftResult, draft
from grammar.errors import SegmentError
from grammar.parser import parse

router = APIRouter(prefix="/v1", tags=["draft"])


def answer(result: DraftResult) -> Draft:
    """A pipeline result as a response, or its error as a problem."""
    if result.error:
        status = {"preview_failed": 503, "model_error": 502}.get(result.error.code, 422)
        raise ApiError(status, result.error.code, result.error.message, result.error.diagnostics)
    return Draft.of(result)


@router.post("/draft", response_model=Draft)
def draft_(body: DraftRequest, state: State) -> Draft:
    translator = state.translator(body.provider)
    try:
        current = parse(body.current) if body.current else None
    except SegmentError as err:
        raise ApiError(422, "invalid_segment", "the current segment does not parse", err.diagnostics) from None
    result = draft(body.request, translator=translator, catalog=state.catalog, as_of=state.as_of(body.as_of),
                   dialect=body.dialect, db=state.database if body.preview else None, current=current,
                   segments=state.segments.conditions())
    return answer(result)
