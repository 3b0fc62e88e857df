"""Keep stage, storage part: one SQLite file holds saved segments, chats and membership snapshots.

Several server workers and the CLI share the file, so: WAL (readers never block the writer), a busy timeout
(writers queue instead of failing), and every write is one `BEGIN IMMEDIATE` transaction (the read that
decides a version number and the insert happen under the same write lock, so numbers stay unique and dense).
A counter in `meta` moves on every write, so an in-memory cache knows, with one tiny query, when to reload."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.data.demo_store import cache_dir

SUFFIXES = (".db", ".sqlite", ".sqlite3")
BUSY_TIMEOUT_S = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('revision', 0);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE TABLE IF NOT EXISTS segment_versions (
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    version INTEGER NOT NULL,
    dsl TEXT NOT NULL,            -- canonical DSL
    builder TEXT NOT NULL,        -- the builder JSON of the same definition
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (segment_id, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,           -- a saved segment or a template (version 0)
    version INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    count INTEGER NOT NULL,
    total INTEGER NOT NULL,
    members TEXT                  -- JSON list of contact ids, when asked for
);
CREATE INDEX IF NOT EXISTS snapshots_by_name ON snapshots (name, taken_at);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    as_of TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at REAL NOT NULL,     -- unix time: expiry compares numbers
    head INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chat_versions (
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    parent INTEGER NOT NULL,      -- the version this one was made from (0: none), where undo moves to
    dsl TEXT,                     -- NULL: an empty segment (after 'start over')
    created_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, version)
);
CREATE TABLE IF NOT EXISTS chat_turns (
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL,           -- the turn as JSON
    PRIMARY KEY (chat_id, turn)
);
"""


class StoreError(Exception):
    pass


def default_path() -> Path:
    return cache_dir() / "segments.db"


def resolve_path(path: str | Path | None) -> Path:
    """`--store` / SEGMENT_STORE, else the cache folder. A YAML file is the retired format: import it."""
    chosen = Path(path) if path else Path(os.environ.get("SEGMENT_STORE") or default_path())
    if chosen.suffix.lower() not in SUFFIXES:
        hint = (f" (bring a YAML store over with: segment-assistant segments import {chosen} --store "
                f"{chosen.with_suffix('.db')})") if chosen.suffix.lower() in (".yaml", ".yml") else ""
        raise StoreError(f"the segment store is a SQLite file ending in {', '.join(SUFFIXES)}: {chosen}{hint}")
    return chosen


class SQLite:
    """One database file (or a private in-memory database when `path` is None), a connection per thread."""

    def __init__(self, path: str | Path | None):
        if path is None:  # shared-cache memory: every thread's connection sees the same data
            self.target, self.uri = f"file:segments-{uuid.uuid4().hex}?mode=memory&cache=shared", True
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.target, self.uri = str(path), False
        self.path = None if path is None else Path(path)
        self._local = threading.local()
        self._keeper = self._connect()  # keeps a memory database alive; creates the schema once
        self._keeper.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, SCHEMA.split(";")):
                self._keeper.execute(statement)
            self._keeper.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            self._keeper.execute("ROLLBACK")
            raise StoreError(f"{self.target} is not a segment store: {err}") from None

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.target, uri=self.uri, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            if not self.uri:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses no commit
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot open the segment store {self.target}: {err}") from None
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def revision(self) -> int:
        return self.conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the write lock from its first statement; it bumps the revision."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
