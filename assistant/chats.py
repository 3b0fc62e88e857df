"""Chats that outlive a process: each chat's versions (append-only, with the version each came from), the
current-version pointer and every turn, in the segment store's SQLite file, and expired after a while.

A turn runs the model with no database transaction open and only that chat's lock held (other chats go on).
The commit then checks the chat's revision: if another worker changed the chat meanwhile, the turn is refused
(`ChatConflict`) instead of overwriting it."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone

from assistant.chat import ChatSession, Turn
from assistant.store import SQLite, StoreError
from assistant.translate.contract import Translator
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.format import format_condition
from grammar.parser import parse

DEFAULT_TTL_S = 7 * 24 * 3600


class ChatConflict(StoreError):
    pass


@dataclass
class ChatRecord:
    id: str
    as_of: datetime
    created_at: str
    head: int
    revision: int
    versions: list[A.Condition | None]
    parents: list[int]
    turns: list[dict]


def ttl_from_env() -> float:
    return float(os.environ.get("SEGMENT_CHAT_TTL") or DEFAULT_TTL_S)


class ChatStore:
    def __init__(self, db: SQLite, ttl_s: float | None = None):
        self.db = db
        self.ttl_s = ttl_from_env() if ttl_s is None else ttl_s
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()

    def lock(self, chat_id: str) -> threading.Lock:
        """This chat's lock (one turn at a time per chat in this process); other chats never wait on it."""
        with self._locks_guard:
            found = self._locks.get(chat_id)
            if found is None:
                found = self._locks[chat_id] = threading.Lock()
            return found

    def create(self, as_of: datetime) -> ChatRecord:
        chat_id = uuid.uuid4().hex
        now = time.time()
        with self.db.write() as conn:
            conn.execute("DELETE FROM chats WHERE updated_at < ?", (now - self.ttl_s,))  # expiry, on the way
            conn.execute("INSERT INTO chats (id, as_of, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         (chat_id, as_of.isoformat(), _stamp(now), now))
        return ChatRecord(chat_id, as_of, _stamp(now), 0, 0, [], [], [])

    def load(self, chat_id: str) -> ChatRecord:
        """The chat, or KeyError when there is none or it expired."""
        conn = self.db.conn
        row = conn.execute("SELECT as_of, created_at, updated_at, head, revision FROM chats WHERE id = ?",
                           (chat_id,)).fetchone()
        if row is None or row[2] < time.time() - self.ttl_s:
            raise KeyError(chat_id)
        versions = conn.execute("SELECT dsl, parent FROM chat_versions WHERE chat_id = ? ORDER BY version",
                                (chat_id,)).fetchall()
        turns = conn.execute("SELECT body FROM chat_turns WHERE chat_id = ? ORDER BY turn", (chat_id,)).fetchall()
        return ChatRecord(chat_id, datetime.fromisoformat(row[0]), row[1], row[3], row[4],
                          [None if dsl is None else parse(dsl) for dsl, _ in versions], [p for _, p in versions],
                          [json.loads(body) for (body,) in turns])

    def session(self, record: ChatRecord, translator: Translator, catalog: Catalog,
                segments: dict[str, A.Condition]) -> ChatSession:
        return ChatSession(translator, catalog, record.as_of, segments, versions=record.versions,
                           parents=record.parents, head=record.head)

    def commit(self, record: ChatRecord, session: ChatSession, turn: Turn, extra: dict | None = None) -> dict:
        """Store the turn and the versions it made; ChatConflict if the chat moved since `record` was read."""
        now = time.time()
        body = {**turn.to_dict(), **(extra or {}), "created_at": _stamp(now)}
        with self.db.write() as conn:
            moved = conn.execute("UPDATE chats SET head = ?, revision = revision + 1, updated_at = ? "
                                 "WHERE id = ? AND revision = ?",
                                 (session.head, now, record.id, record.revision)).rowcount
            if not moved:
                raise ChatConflict(f"chat {record.id} changed while this turn ran: send it again")
            for number in range(len(record.versions) + 1, len(session.versions) + 1):
                node = session.versions[number - 1]
                conn.execute("INSERT INTO chat_versions VALUES (?, ?, ?, ?, ?)",
                             (record.id, number, session.parents[number - 1],
                              None if node is None else format_condition(node), _stamp(now)))
            conn.execute("INSERT INTO chat_turns VALUES (?, ?, ?, ?)",
                         (record.id, len(record.turns) + 1, _stamp(now), json.dumps(body, default=str)))
        return body


def _stamp(unix: float) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).isoformat(timespec="seconds")
