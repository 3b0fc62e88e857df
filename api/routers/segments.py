"""Saved segments: list, read every version, save a new version, rename, archive, and diff two versions by
definition and by membership."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api.checking import parsed
from api.models import DiffOut, RenameRequest, SaveRequest, SegmentDetail, SegmentList, SegmentSummary, VersionOut
from api.problems import ApiError
from api.state import State
from assistant.data.preview import membership_diff
from assistant.segments import Version, definition_diff, templates
from grammar.errors import SegmentError

router = APIRouter(prefix="/v1/segments", tags=["segments"])
SegmentName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="letters, digits, _ and -")]


def _version(v: Version) -> VersionOut:
    return VersionOut(version=v.version, dsl=v.dsl, condition=v.condition, saved_at=v.saved_at, note=v.note)


def _history(state, name: str) -> list[Version]:
    try:
        return state.segments.history(name)
    except KeyError:
        raise ApiError(404, "not_found", f"no segment named {name!r}") from None


@router.get("", response_model=SegmentList)
def list_segments(state: State) -> SegmentList:
    store = state.segments
    saved = {name for name in store.names() if store.is_saved(name)}
    return SegmentList(segments=[
        SegmentSummary(name=n, dsl=store.dsl(n), versions=len(store.history(n)) if n in saved else 1,
                       template=n not in saved) for n in store.names()])


@router.get("/{name}", response_model=SegmentDetail)
def get_segment(state: State, name: SegmentName) -> SegmentDetail:
    history = _history(state, name)
    saved = state.segments.is_saved(name)
    return SegmentDetail(name=name, template=not saved and name in templates(),
                         archived=saved and state.segments.archived(name), versions=[_version(v) for v in history])


@router.post("/{name}", response_model=VersionOut, status_code=201)
def save_segment(body: SaveRequest, state: State, name: SegmentName) -> VersionOut:
    """Save a new version (checked; reference cycles refused). Versions are append-only."""
    node = parsed(body)
    try:
        return _version(state.segments.save(name, node, state.catalog, body.note))
    except SegmentError as err:
        raise ApiError(422, "invalid_segment", f"cannot save {name!r}", err.diagnostics) from None


@router.get("/{name}/versions/{number}", response_model=VersionOut)
def get_version(state: State, number: int, name: SegmentName) -> VersionOut:
    try:
        return _version(state.segments.version(name, number))
    except KeyError:
        raise ApiError(404, "not_found", f"{name!r} has no version {number}") from None


@router.post("/{name}/rename", response_model=SegmentDetail)
def rename_segment(body: RenameRequest, state: State, name: SegmentName) -> SegmentDetail:
    """Rename a saved segment; refused (409) while other segments reference it, or when the name is taken."""
    try:
        state.segments.rename(name, body.new_name)
    except KeyError:
        raise ApiError(404, "not_found", f"no saved segment named {name!r}") from None
    except SegmentError as err:
        raise ApiError(422, "invalid_request", f"cannot rename {name!r}", err.diagnostics) from None
    return get_segment(state, body.new_name)


@router.post("/{name}/archive", response_model=SegmentDetail)
def archive_segment(state: State, name: SegmentName) -> SegmentDetail:
    """Hide a saved segment from lists and references (history kept; saving again restores it)."""
    try:
        state.segments.archive(name)
    except KeyError:
        raise ApiError(404, "not_found", f"no saved segment named {name!r}") from None
    return get_segment(state, name)


@router.get("/{name}/diff", response_model=DiffOut)
def diff_segment(state: State, name: SegmentName, old: int, new: int, as_of: datetime | None = None) -> DiffOut:
    """What changed between two versions: the definition, and who enters and who leaves at `as_of`."""
    try:
        before, after = state.segments.version(name, old), state.segments.version(name, new)
    except KeyError as err:
        raise ApiError(404, "not_found", str(err).strip("'\"")) from None
    when = state.as_of(as_of)
    entered, left = membership_diff(state.database, state.catalog, when, before.condition, after.condition,
                                    state.segments.conditions())
    return DiffOut(old=old, new=new, as_of=when.isoformat(sep=" "),
                   definition=definition_diff(before.condition, after.condition, f"v{old}", f"v{new}"),
                   entered=sorted(entered), left=sorted(left))
