"""Run a segment: count, share, a masked sample and segment stats."""

from __future__ import annotations

from fastapi import APIRouter

from api.checking import checked
from api.models import Draft, PreviewRequest
from api.routers.draft import answer
from api.state import State
from assistant.pipeline import build_result

router = APIRouter(prefix="/v1", tags=["preview"])


@router.post("/preview", response_model=Draft)
def preview(body: PreviewRequest, state: State) -> Draft:
    segments = state.segments.conditions()
    node, _ = checked(body, state, segments)
    result = build_result("", None, catalog=state.catalog, as_of=state.as_of(body.as_of),
                          dialect=state.database.dialect, db=state.database, segments=segments, condition=node,
                          sample_size=body.sample_size, show_pii=body.show_pii)
    return answer(result)
