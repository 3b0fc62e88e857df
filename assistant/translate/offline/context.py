"""What every rule and recogniser of the build stage shares: the catalog, the saved segments and templates,
the as-of instant, the assumptions said so far, and small helpers to claim items and find subjects."""

from __future__ import annotations

import re

from datetime import datetime

from grammar import ast as A
from grammar.catalog import Catalog

from .edit import negate
from .items import HEADS, Item, Kind
from .lexicon import PURCHASE_WORDS


class NotUnderstood(Exception):
    """Raised with a clarifying question when a request cannot be read without guessing."""


class Builder:
    """The state of one reading: what is known (catalog, segments, templates, as-of) and what was assumed."""

    def __init__(self, catalog: Catalog, segments: dict[str, A.Condition], templates: dict[str, A.Condition],
                 as_of: datetime, request: str = ""):
        self.catalog = catalog
        self.as_of = as_of
        self.segments = segments
        self.templates = templates
        self.assumptions: list[str] = []
        self.guesses: list[tuple[Item, str]] = []  # readings that may change who is in: open points, not assumptions
        self.last_window: A.Node | None = None  # for 'in that time'
        self.last_done: tuple[str, A.Node] | None = None  # the last event said with a window: 'every order' after it
        self.said_events: set[str] = set()  # events named unambiguously so far: a bare verb later may mean one
        self.request = request  # the user's words, which item spans point into

    def said_both(self, item: Item) -> bool:
        """Whether 'both' was said right before an item ('both the pro and the team plan')."""
        return bool(re.search(r"\bboth\s+(?:the\s+|of\s+the\s+)?$", self.request[:item.start], re.I))

    def use(self, item: Item | None) -> Item | None:
        """Claim an item (its note, e.g. how a vague word was read, becomes an assumption)."""
        if item is not None:
            item.used = True
            if item.get("note"):
                self.assume(item["note"])
            if item.get("guess"):
                self.guess(item, item["guess"])
        return item

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def guess(self, item: Item, reason: str) -> None:
        """A reading with no good default (the event behind a bare 'app'): the answer says it is open."""
        if all((i.start, i.end) != (item.start, item.end) for i, _ in self.guesses):
            self.guesses.append((item, reason))

    def free(self, items: list[Item], kind: Kind | tuple[Kind, ...]) -> list[Item]:
        """The unused items of a kind (or kinds)."""
        kinds = (kind,) if isinstance(kind, str) else kind
        return [it for it in items if it.kind in kinds and not it.used]

    def neg_before(self, items: list[Item], idx: int) -> Item | None:
        """An unused negation before items[idx] with no other subject between them."""
        for j in range(idx - 1, -1, -1):
            it = items[j]
            if it.used:
                continue
            if it.kind == Kind.NEG:
                return it
            if it.kind in HEADS:
                return None
        return None

    def negated_if_preceded(self, node: A.Condition, items: list[Item], idx: int) -> A.Condition:
        """'not X', "aren't X": an unused negation before items[idx] negates its condition (and is used)."""
        neg = self.neg_before(items, idx)
        if neg is None:
            return node
        self.use(neg)
        return negate(node)

    # ---- the catalog ------------------------------------------------------------------------------------
    def purchase_event(self, candidates: list[str] | None = None) -> str | None:
        """The catalog's purchase event (named or described with buy/order/purchase words)."""
        pool = candidates or list(self.catalog.events)
        for name in pool:
            spec = self.catalog.events[name]
            words = set(name.split("_")) | {w for s in spec.synonyms for w in s.lower().split()}
            if words & PURCHASE_WORDS:
                return name
        return pool[0] if pool else None

    def number_property(self, event: str) -> str | None:
        for prop in self.catalog.event_properties(event):
            if self.catalog.properties[prop].type == "number":
                return prop
        return None

    def events_with(self, prop: str) -> list[str]:
        return [e for e, spec in self.catalog.events.items() if prop in spec.properties]
