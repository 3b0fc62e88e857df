"""Membership over time and out of the system: snapshots (size history) and streamed exports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.models import SnapshotList, SnapshotOut, SnapshotRequest
from api.problems import ApiError
from api.routers.segments import SegmentName
from api.state import State
from assistant import membership

router = APIRouter(prefix="/v1/segments", tags=["snapshots and export"])
MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _known(state, name: str) -> None:
    if name not in state.segments.names():
        raise ApiError(404, "not_found", f"no segment named {name!r}")


@router.post("/{name}/snapshots", response_model=SnapshotOut, status_code=201)
def take_snapshot(body: SnapshotRequest, state: State, name: SegmentName) -> SnapshotOut:
    """Record how many people the segment selects now (at `as_of`), and who when `keep_members`."""
    _known(state, name)
    shot = membership.take_snapshot(state.segments, name, state.database, state.catalog, state.as_of(body.as_of),
                                    body.keep_members)
    return SnapshotOut(**shot.model_dump())


@router.get("/{name}/snapshots", response_model=SnapshotList)
def list_snapshots(state: State, name: SegmentName) -> SnapshotList:
    """The size history, oldest first."""
    _known(state, name)
    return SnapshotList(snapshots=[SnapshotOut(**s.model_dump()) for s in membership.snapshots(state.segments, name)])


@router.get("/{name}/export", response_class=StreamingResponse,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["jsonl"]: {}},
                             "description": "members, one a line"}})
def export(state: State, name: SegmentName, format: Literal["csv", "jsonl"] = "csv",
           hash_emails: bool = Query(False, description="add email_sha256 (of the lower-cased, trimmed email)"),
           show_pii: bool = Query(False, description="emails unmasked"), as_of: datetime | None = None):
    """Stream the members (contact id, masked email, optional email hash) as CSV or JSON lines."""
    _known(state, name)
    rows = membership.export_rows(state.segments, name, state.database, state.catalog, state.as_of(as_of),
                                  show_pii=show_pii, hash_emails=hash_emails)
    lines = membership.export_lines(rows, format, membership.export_header(state.catalog, hash_emails))
    return StreamingResponse(lines, media_type=MEDIA[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})
