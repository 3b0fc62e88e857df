"""`POST /v1/segments/refresh`: saved segments written as tables `<prefix><name>` in the server's database,
computed there, replaced atomically, a snapshot each (assistant/refresh.py). Included before the segments
router, whose `POST /v1/segments/{name}` would otherwise take `refresh` as a segment name."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.problems import ApiError
from api.state import State
from assistant import refresh as refreshing
from assistant.data.tables import PREFIX, RefreshError

router = APIRouter(prefix="/v1/segments", tags=["refresh"])


class RefreshRequest(BaseModel):
    names: list[str] = Field(default_factory=list, description="segments to write (default: every saved one)")
    prefix: str = Field(PREFIX, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", description="table name = prefix + name")
    as_of: datetime | None = None


class RefreshedTable(BaseModel):
    name: str
    table: str
    count: int
    snapshot_id: int


class RefreshOut(BaseModel):
    as_of: str
    tables: list[RefreshedTable]


@router.post("/refresh", response_model=RefreshOut)
def refresh(body: RefreshRequest, state: State) -> RefreshOut:
    """Write each segment's members as a table in the database the server reads (404: an unknown name;
    503: the engine refused, e.g. no write access)."""
    known = state.segments.names()
    unknown = [n for n in body.names if n not in known]
    if unknown:
        raise ApiError(404, "not_found", f"no segment named {', '.join(map(repr, unknown))}")
    when = state.as_of(body.as_of)
    try:
        done = refreshing.refresh(state.segments, state.database, state.catalog, when, body.names, body.prefix)
    except RefreshError as err:
        raise ApiError(503, "refresh_failed", str(err)) from None
    return RefreshOut(as_of=when.isoformat(sep=" "), tables=[RefreshedTable(**r.model_dump()) for r in done])
