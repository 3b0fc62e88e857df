"""Chats: refine one segment turn by turn. Chats live in the store (they survive restarts and are shared by
workers); a turn holds only its own chat's lock while the model answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.models import ChatCreate, ChatCreated, ChatMessage, ChatOut, ChatVersion, TurnOut
from api.problems import ApiError
from api.state import State
from assistant.chats import ChatRecord
from assistant.data.preview import PreviewError, membership_diff
from grammar.format import format_segment

router = APIRouter(prefix="/v1/chats", tags=["chats"])
ChatId = Annotated[str, Path(max_length=64)]


def _load(state, chat_id: str) -> ChatRecord:
    try:
        return state.chats.load(chat_id)
    except KeyError:
        raise ApiError(404, "not_found", f"no chat {chat_id!r} (chats expire when idle): start one with "
                                         "POST /v1/chats") from None


@router.post("", response_model=ChatCreated, status_code=201)
def new_chat(state: State, body: ChatCreate | None = None) -> ChatCreated:
    record = state.chats.create(state.as_of(body.as_of if body else None))
    return ChatCreated(id=record.id, as_of=record.as_of.isoformat(sep=" "))


@router.get("/{chat_id}", response_model=ChatOut)
def get_chat(state: State, chat_id: ChatId) -> ChatOut:
    """The chat read back: its versions (with the version each came from) and every turn."""
    r = _load(state, chat_id)
    return ChatOut(id=r.id, as_of=r.as_of.isoformat(sep=" "), created_at=r.created_at, version=r.head,
                   versions=[ChatVersion(version=i, parent=p, condition=node,
                                         dsl=None if node is None else format_segment(node))
                             for i, (node, p) in enumerate(zip(r.versions, r.parents), start=1)],
                   turns=[TurnOut.model_validate(t) for t in r.turns])


@router.post("/{chat_id}/messages", response_model=TurnOut)
def send(state: State, chat_id: ChatId, body: ChatMessage) -> TurnOut:
    """One turn: a new version when the definition changes, with its diff and who enters and leaves."""
    with state.chats.lock(chat_id):
        record = _load(state, chat_id)
        segments = state.segments.conditions()
        session = state.chats.session(record, state.translator(), state.catalog, segments)
        turn = session.send(body.text)  # ModelError -> 502 problem
        extra: dict = {}
        if turn.changed and turn.condition is not None and turn.previous_condition is not None:
            try:
                entered, left = membership_diff(state.database, state.catalog, session.as_of,
                                                turn.previous_condition, turn.condition, segments)
                extra = {"entered": len(entered), "left": len(left)}
            except PreviewError as err:
                extra = {"membership_error": str(err)}
        return TurnOut.model_validate(state.chats.commit(record, session, turn, extra))
