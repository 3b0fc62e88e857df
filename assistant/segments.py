"""Saved segments: the shipped templates plus a versioned store. Every save is a new version, and any two
versions can be diffed by definition (canonical DSL lines) and, given a database, by membership.

Definitions are ASTs in memory; canonical DSL text only in the file (and in API answers, for display). Each
stored text is parsed once, when the store or the templates load."""

from __future__ import annotations

import difflib
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
    note: str = ""
    _condition: A.Condition | None = PrivateAttr(default=None)  # parsed on first use, or given when saved

    @property
    def condition(self) -> A.Condition:
        if self._condition is None:
            self._condition = parse(self.dsl)
        return self._condition


class Diff(BaseModel):
    definition: list[str]            # unified diff of the canonical definitions, one top-level condition a line
    entered: list[int] | None = None  # contacts in the new version but not the old one
    left: list[int] | None = None     # contacts in the old version but not the new one


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


class SegmentStore:
    """Saved segments in one YAML file: {name: [versions...]}. Templates are read-only fallbacks by name."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._data: dict[str, list[Version]] = {}
        if self.path and self.path.exists():
            raw = yaml.safe_load(self.path.read_text()) or {}
            self._data = {name: [Version(**v) for v in versions] for name, versions in raw.items()}

    def names(self) -> list[str]:
        return sorted(set(self._data) | set(templates()))

    def condition(self, name: str) -> A.Condition:
        """The latest definition of a saved segment or template."""
        if name in self._data:
            return self._data[name][-1].condition
        if name in templates():
            return templates()[name].condition
        raise KeyError(name)

    def dsl(self, name: str) -> str:
        return format_condition(self.condition(name))

    def conditions(self) -> dict[str, A.Condition]:
        """Every saved segment's latest definition, for references (`in segment "..."`)."""
        return {name: self.condition(name) for name in self.names()}

    def history(self, name: str) -> list[Version]:
        if name in self._data:
            return list(self._data[name])
        if name in templates():
            return [Version(version=1, dsl=templates()[name].dsl, saved_at="", note="template")]
        raise KeyError(name)

    def save(self, name: str, node: A.Condition, catalog: Catalog, note: str = "") -> Version:
        """Check (including reference cycles through `name`) and append a new version; returns it."""
        if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
            raise SegmentError([Diagnostic(code="name", message=f"segment names use letters, digits, _ and -: {name!r}")])
        others = {k: v for k, v in self.conditions().items() if k != name}
        errors = [d for d in check(node, catalog, others, name=name) if d.severity == "error"]
        if errors:
            raise SegmentError(errors)
        versions = self._data.setdefault(name, [])
        version = Version(version=len(versions) + 1, dsl=format_condition(node),
                          saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), note=note)
        version._condition = node  # already a tree: no need to parse back the text just written
        versions.append(version)
        self._write()
        return version

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {name: [v.model_dump() for v in versions] for name, versions in self._data.items()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(data, sort_keys=True, allow_unicode=True))
        tmp.replace(self.path)  # never leave a half-written store behind

    def version(self, name: str, number: int) -> Version:
        for v in self.history(name):
            if v.version == number:
                return v
        raise KeyError(f"{name} has no version {number}")
