"""Items: what the lexer makes of a run of tokens (an event, a trait value, a window, a count, a connective
...), and what the rules and recognisers of build.py read. An item knows its kind, its arguments, the
user's words and where they are in the request, and whether a recogniser has used it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(str, Enum):
    """What an item stands for. A str, so a kind still equals its name as text ("event")."""

    # catalog phrases
    EVENT = "event"              # events: [names] (several for a bare verb), noun: the event's noun alone
    TRAIT = "trait"              # trait: name
    PROP = "prop"                # prop: an event property name
    VALUE = "value"              # field, trait (bool: a trait's or a property's value), value (one or a list)
    CONSENT = "consent"          # trait, value: "opted in to email"
    SEGMENT = "segment"          # name of a saved segment
    TEMPLATE = "template"        # name of a shipped template
    CONCEPT = "concept"          # name, measure (bool): a concept of the catalog ("paying", "lifetime value")
    # the fixed phrasing table
    WINDOW = "window"            # window (a window node, or None with calendar), note, bare
    SAME_WINDOW = "same_window"  # "in that time": the window said before
    WITHIN = "within"            # duration: "within 3 days" (a sequence step, or a window)
    FOR = "for"                  # duration: "for 30 days"
    GAP = "gap"                  # duration: "after a gap of 60 days"
    GAP_NOT = "gap_not"          # "after not ..."
    EVER = "ever"                # "ever": says nothing
    ONLY = "only"                # "only (ever) bought shoes": nothing else of that event (else it says nothing)
    ALL_OF = "all_of"            # "..., both in the last 2 weeks": the window after it is every condition's
    COUNT = "count"              # count: "3+ times" (None for "at least once")
    CMP = "cmp"                  # op, value: "more than 50"
    RANGE = "range"              # low, high: "between 2 and 5"
    NUM = "num"                  # value: a bare number (people: before a word for people)
    TEXT = "text"                # op, value: "containing pricing"
    IS_SET = "is_set"            # negated: "is set", "is missing"
    EQUALS = "equals"            # value: "named 'X'"
    NEG = "neg"                  # past, without, then: "not", "didn't", "without"
    CONJ = "conj"                # op: and | but | or | , | except
    THEN = "then"                # "then", "followed by"
    THEN_TAIL = "then_tail"      # "since", "after that" closing a sequence
    WHICH = "which"              # which: first | last
    REGULAR = "regular"          # k, n, unit: "in at least 3 of the last 4 months"
    USED_TO = "used_to"
    STOPPED = "stopped"
    RESTARTED = "restarted"
    RANK = "rank"                # direction, amount, percent
    MOST = "most"                # "the most"
    AGG = "agg"                  # func, spend, prop
    COUNT_OF = "count_of"        # "number of"
    SHARE = "share"              # op, value (a percentage): "most of", "more than half of"
    SEGMENT_NAME = "segment_name"  # name: "in segment 'X'"
    # words no phrase claims
    STOP = "stop"                # text: a stop word
    STR = "str"                  # text: quoted text
    UNKNOWN = "unknown"          # text: anything else (reported back unless used)

    # Enum hashes by member name; hash as the text so a kind and its text are one key in sets and dicts.
    __hash__ = str.__hash__


# Kinds that are the subject of a clause (a condition is about one of them).
HEADS = frozenset({Kind.EVENT, Kind.TRAIT, Kind.VALUE, Kind.CONSENT, Kind.SEGMENT, Kind.TEMPLATE,
                   Kind.SEGMENT_NAME, Kind.RANK, Kind.AGG, Kind.CONCEPT, Kind.SHARE})
NUMBERS = (Kind.CMP, Kind.NUM, Kind.RANGE)

PEOPLE = {"people", "customers", "users", "contacts", "members", "accounts", "clients", "shoppers", "buyers"}


@dataclass
class Item:
    kind: Kind
    pos: int                         # index of its first token: conditions are ordered by it, as written
    words: str                       # the user's words, for messages
    args: dict[str, Any] = field(default_factory=dict)
    used: bool = False
    start: int = 0                   # character span in the original request covering its tokens
    end: int = 0

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)

    def become(self, kind: Kind, args: dict[str, Any]) -> None:
        """Read this item as another kind from now on (a word that is both a value and an event, ...)."""
        self.kind, self.args = kind, args

    def copy(self, kind: Kind | None = None, args: dict[str, Any] | None = None) -> "Item":
        """The same words read again, unused (an ellipsis, a window shared by an or-list, 'in that time')."""
        return Item(kind or self.kind, self.pos, self.words, dict(self.args) if args is None else args,
                    start=self.start, end=self.end)
