"""Saved segments: the shipped templates plus a versioned store in SQLite (`assistant/store.py`). Every save
appends a version (numbers unique and dense, even with several processes saving at once); segments can be
renamed and archived; any two versions can be diffed by definition (canonical DSL lines) and, given a
database, by membership.

Definitions are ASTs in memory; canonical DSL text (and the builder JSON) only on disk. Each stored version
is parsed once per process, and the latest definitions are cached until another write moves the store's
revision."""

from __future__ import annotations

import difflib
import json
import threading
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, PrivateAttr

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.check import check
from grammar.errors import Diagnostic, SegmentError
from grammar.format import format_condition
from grammar.parser import parse

from assistant.store import SQLite, StoreError, resolve_path

TEMPLATES_PATH = Path(__file__).with_name("templates.yaml")


class Template(BaseModel):
    title: str
    description: str
    dsl: str

    @cached_property
    def condition(self) -> A.Condition:
        return parse(self.dsl)


@lru_cache(maxsize=1)
def templates() -> dict[str, Template]:
    return {name: Template(**spec) for name, spec in yaml.safe_load(TEMPLATES_PATH.read_text()).items()}


class Version(BaseModel):
    version: int
    dsl: str                          # canonical DSL, as stored
    saved_at: str
    note: str = ""                    # the author's note
    _condition: A.Condition | None = PrivateAttr(default=None)  # parsed on first use, or given when saved

    @property
    def condition(self) -> A.Condition:
        if self._condition is None:
            self._condition = parse(self.dsl)
        return self._condition


def definition_lines(node: A.Condition | None) -> list[str]:
    """Canonical DSL with one top-level condition per line, so a diff shows which condition changed."""
    if node is None:
        return []
    if isinstance(node, (A.And, A.Or)):
        joiner = "and" if isinstance(node, A.And) else "or"
        parts = [format_condition(c, nested=True) for c in node.conditions]
        return [parts[0]] + [f"{joiner} {p}" for p in parts[1:]]
    return [format_condition(node)]


def definition_diff(old: A.Condition | None, new: A.Condition | None, old_label: str = "before", new_label: str = "after") -> list[str]:
    return list(difflib.unified_diff(definition_lines(old), definition_lines(new), old_label, new_label, lineterm=""))


class InUse(StoreError):
    """A rename or archive that would break the segments that reference this one."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_name(name: str) -> None:
    if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise SegmentError([Diagnostic(code="name", message=f"segment names use letters, digits, _ and -: {name!r}")])


def _refs(node: A.Condition) -> set[str]:
    return {n.name for n in A.walk(node) if isinstance(n, A.SegmentRef)}


class SegmentStore:
    """Saved segments in SQLite (None: a private in-memory store). Templates are read-only fallbacks by name."""

    def __init__(self, path: str | Path | None = None, *, db: SQLite | None = None):
        self.db = db or SQLite(None if path is None else resolve_path(path))
        self._lock = threading.Lock()  # guards the caches below only: never held across a query
        self._parsed: dict[tuple[str, int, str], Version] = {}
        self._latest: tuple[int, dict[str, Version]] = (-1, {})

    @classmethod
    def from_setting(cls, path: str | Path | None) -> "SegmentStore":
        """`--store` / SEGMENT_STORE, else `segments.db` in the cache folder."""
        return cls(resolve_path(path))

    # ---- reading --------------------------------------------------------------------------------------

    def _version(self, name: str, number: int, dsl: str, saved_at: str, note: str) -> Version:
        key = (name, number, dsl)
        found = self._parsed.get(key)
        if found is None:
            found = Version(version=number, dsl=dsl, saved_at=saved_at, note=note)
            found._condition = parse(dsl)
            with self._lock:
                self._parsed[key] = found
        return found

    def _read_latest(self, conn) -> dict[str, Version]:
        rows = conn.execute(
            "SELECT s.name, v.version, v.dsl, v.created_at, v.note FROM segments s JOIN segment_versions v "
            "ON v.segment_id = s.id AND v.version = (SELECT max(version) FROM segment_versions WHERE segment_id = s.id) "
            "WHERE s.archived_at IS NULL").fetchall()
        return {r[0]: self._version(*r) for r in rows}

    def _saved_at(self) -> tuple[int, dict[str, Version]]:
        """The store's revision and the latest version of every live saved segment at it; reloaded only when
        the revision moved."""
        revision, latest = self.db.revision(), self._latest
        if latest[0] != revision:
            latest = (revision, self._read_latest(self.db.conn))
            with self._lock:
                self._latest = latest
        return latest

    def _saved(self) -> dict[str, Version]:
        return self._saved_at()[1]

    def names(self) -> list[str]:
        return sorted(set(self._saved()) | set(templates()))

    def condition(self, name: str) -> A.Condition:
        """The latest definition of a saved segment or template."""
        saved = self._saved()
        if name in saved:
            return saved[name].condition
        if name in templates():
            return templates()[name].condition
        raise KeyError(name)

    def dsl(self, name: str) -> str:
        return format_condition(self.condition(name))

    def conditions(self) -> dict[str, A.Condition]:
        """Every saved segment's latest definition, for references (`in segment "..."`)."""
        return self.conditions_at()[1]

    def conditions_at(self) -> tuple[int, dict[str, A.Condition]]:
        """conditions() and the store revision they were read at (a cache key for what is derived from them)."""
        revision, saved = self._saved_at()
        out = {name: t.condition for name, t in templates().items()}
        out.update((name, v.condition) for name, v in saved.items())
        return revision, out

    def is_saved(self, name: str) -> bool:
        return self.db.conn.execute("SELECT 1 FROM segments WHERE name = ?", (name,)).fetchone() is not None

    def archived(self, name: str) -> bool:
        row = self.db.conn.execute("SELECT archived_at FROM segments WHERE name = ?", (name,)).fetchone()
        return bool(row and row[0])

    def history(self, name: str) -> list[Version]:
        """Every version of a saved segment (archived ones too), oldest first."""
        rows = self.db.conn.execute(
            "SELECT s.name, v.version, v.dsl, v.created_at, v.note FROM segments s JOIN segment_versions v "
            "ON v.segment_id = s.id WHERE s.name = ? ORDER BY v.version", (name,)).fetchall()
        if rows:
            return [self._version(*r) for r in rows]
        if name in templates():
            return [Version(version=1, dsl=templates()[name].dsl, saved_at="", note="template")]
        raise KeyError(name)

    def version(self, name: str, number: int) -> Version:
        for v in self.history(name):
            if v.version == number:
                return v
        raise KeyError(f"{name} has no version {number}")

    # ---- writing: one transaction each ---------------------------------------------------------------

    def save(self, name: str, node: A.Condition, catalog: Catalog, note: str = "") -> Version:
        """Check (including reference cycles through `name`) and append a new version; returns it. The
        check reads the other segments inside the write transaction, so two writers cannot build a cycle."""
        _check_name(name)
        with self.db.write() as conn:
            others = {name_: v.condition for name_, v in self._read_latest(conn).items() if name_ != name}
            others = {**{k: t.condition for k, t in templates().items() if k != name}, **others}
            errors = [d for d in check(node, catalog, others, name=name) if d.severity == "error"]
            if errors:
                raise SegmentError(errors)
            return self._append(conn, name, node, note, _now())

    def _append(self, conn, name: str, node: A.Condition, note: str, saved_at: str) -> Version:
        conn.execute("INSERT INTO segments (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                     "SET archived_at = NULL", (name, saved_at))  # saving brings an archived segment back
        segment_id = conn.execute("SELECT id FROM segments WHERE name = ?", (name,)).fetchone()[0]
        number = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM segment_versions WHERE segment_id = ?",
                              (segment_id,)).fetchone()[0]
        dsl = format_condition(node)
        conn.execute("INSERT INTO segment_versions VALUES (?, ?, ?, ?, ?, ?)",
                     (segment_id, number, dsl, json.dumps(A.condition_to_json(node)), note, saved_at))
        version = Version(version=number, dsl=dsl, saved_at=saved_at, note=note)
        version._condition = node  # already a tree: no need to parse back the text just written
        return version

    def _users(self, conn, name: str) -> list[str]:
        return sorted(n for n, v in self._read_latest(conn).items() if n != name and name in _refs(v.condition))

    def rename(self, name: str, new_name: str) -> None:
        """Rename a saved segment (its versions and snapshots follow); refused while others reference it."""
        _check_name(new_name)
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM segments WHERE name = ?", (name,)).fetchone() is None:
                raise KeyError(name)
            if conn.execute("SELECT 1 FROM segments WHERE name = ?", (new_name,)).fetchone() or new_name in templates():
                raise InUse(f"the name {new_name!r} is taken")
            users = self._users(conn, name)
            if users:
                raise InUse(f"{name!r} is referenced by {', '.join(users)}: change those first")
            conn.execute("UPDATE segments SET name = ? WHERE name = ?", (new_name, name))
            conn.execute("UPDATE snapshots SET name = ? WHERE name = ?", (new_name, name))

    def archive(self, name: str) -> None:
        """Hide a saved segment from lists and references (its history stays); saving it again restores it."""
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM segments WHERE name = ?", (name,)).fetchone() is None:
                raise KeyError(name)
            users = self._users(conn, name)
            if users:
                raise InUse(f"{name!r} is referenced by {', '.join(users)}: change those first")
            conn.execute("UPDATE segments SET archived_at = ? WHERE name = ?", (_now(), name))

    def import_yaml(self, path: str | Path) -> int:
        """Bring over a YAML store (the format this module wrote before SQLite): {name: [versions]}. Versions
        already here (same text, same time) are skipped, so importing twice adds nothing. Returns how many
        versions were added."""
        raw = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(raw, dict):
            raise StoreError(f"{path} is not a segment store (expected a mapping of names to versions)")
        added = 0
        with self.db.write() as conn:
            for name, versions in raw.items():
                _check_name(str(name))
                for item in sorted((Version(**v) for v in versions), key=lambda v: v.version):
                    node = parse(item.dsl)
                    if conn.execute("SELECT 1 FROM segment_versions v JOIN segments s ON s.id = v.segment_id "
                                    "WHERE s.name = ? AND v.dsl = ? AND v.created_at = ?",
                                    (str(name), format_condition(node), item.saved_at)).fetchone():
                        continue
                    self._append(conn, str(name), node, item.note, item.saved_at)
                    added += 1
        return added
