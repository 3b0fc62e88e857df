"""Compiled SQL, remembered: a builder recompiles the same definition as a user clicks through dialects and
back, and compiling (sqlglot) is most of what /v1/compile costs. The key is everything the SQL depends on:
the canonical DSL (so spacing and DSL-vs-builder-JSON do not matter), the dialect, the as-of instant and the
store revision (a saved segment that is referenced may have changed); the catalog is fixed per process.
Bounded (least recently used goes first); hits and misses are counted so the benchmark can report them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import DIALECTS, compile_segment
from grammar.parser import parse

Key = tuple[str, str, datetime, int]


class CompileCache:
    def __init__(self, catalog: Catalog, maxsize: int = 2048):
        self.catalog, self.maxsize = catalog, maxsize
        self._items: OrderedDict[Key, str] = OrderedDict()
        self._lock = threading.Lock()  # held for dict operations only, never while compiling
        self.hits = self.misses = 0

    def sql(self, canonical: str, node: A.Condition, dialect: str, as_of: datetime, revision: int,
            segments: Mapping[str, A.Condition]) -> tuple[str, bool]:
        """The SQL of `node` (whose canonical DSL is `canonical`), and whether it came from the cache."""
        key = (canonical, dialect, as_of, revision)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found, True
            self.misses += 1
        sql = compile_segment(node, self.catalog, dialect, as_of, segments)
        if self.maxsize > 0:
            with self._lock:
                self._items[key] = sql
                if len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        return sql, False

    def warm(self, dsl: str = "did order_completed at least 2 times in last 30 days and country = \"DE\"") -> None:
        """Compile once in every dialect, uncached: sqlglot builds each dialect's tables on first use, which
        made a fresh worker's first burst of requests several times slower than the next."""
        node = parse(dsl)
        for dialect in DIALECTS:
            compile_segment(node, self.catalog, dialect, datetime(2026, 1, 1), {})
