"""Check stage: an AST against the catalog. Unknown names (with "did you mean"), wrong types, impossible
windows, cheap contradictions, unknown or cyclic segment references. Nothing reaches SQL unchecked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import get_args

from grammar import ast as A
from grammar import calendar
from grammar.units import seconds
from grammar.catalog import Catalog
from grammar.errors import Diagnostic, SegmentError
from grammar.format import format_condition, value_text, window_text
from grammar.parser import parse

_TYPE_WORDS = {"string": "text", "number": "a number", "boolean": "true or false", "timestamp": "a date-time",
               "date": "a date"}
_NUMERIC_AGGS = ("total", "average", "min", "max")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)

# the numbers of units a window kind holds (`in last N days`: amount; `between N and M days ago`: low, high)
_LENGTHS = {cls: [k for k in ("amount", "low", "high") if k in cls.model_fields]
            for cls in get_args(get_args(A.Window)[0]) if "unit" in cls.model_fields}

MAX_WINDOW_YEARS = 1000
MAX_WINDOW_SECONDS = seconds(MAX_WINDOW_YEARS, "year")


class _Checker:
    def __init__(self, catalog: Catalog, segments: Mapping[str, A.Condition] | None, as_of: datetime | None = None):
        self.catalog = catalog
        self.as_of = as_of
        self.segments = segments or {}
        self.out: list[Diagnostic] = []
        self.refs: list[A.SegmentRef] = []  # every segment reference met, in walk order

    def error(self, node: A.Node | None, code: str, message: str, suggestion: str | None = None) -> None:
        self.out.append(Diagnostic.at(node.span if node else None, code, message, suggestion))

    def warn(self, node: A.Node | None, code: str, message: str) -> None:
        self.out.append(Diagnostic.at(node.span if node else None, code, message, severity="warning"))

    # -- values typed by the catalog
    def value_condition(self, node: A.TraitCondition | A.PropertyCondition, name: str, spec, what: str) -> None:
        op, values = node.op, node.value if isinstance(node.value, list) else [node.value]
        kind = spec.type
        if op in A.PRESENCE_OPS:
            return
        if kind in ("timestamp", "date"):
            self.error(node, "type", f"{what} {name} is {_TYPE_WORDS[kind]}: use a time window, like "
                       f"'{name} in last 7 days' or '{name} before 2026-01-01'")
            return
        if op in A.TEXT_OPS and kind != "string":
            self.error(node, "type", f"'{op.replace('_', ' ')}' needs text, but {what} {name} is {_TYPE_WORDS[kind]}")
            return
        if op in (">", ">=", "<", "<=") and kind != "number":
            self.error(node, "type", f"'{op}' compares numbers, but {what} {name} is {_TYPE_WORDS[kind]}")
            return
        for v in values:
            ok = {"string": isinstance(v, str), "number": _is_number(v), "boolean": isinstance(v, bool)}[kind]
            if not ok:
                self.error(node, "type", f"{what} {name} is {_TYPE_WORDS[kind]}, not {value_text(v)}")
                return
        if kind == "string" and spec.closed and op not in A.TEXT_OPS:
            known = [str(x) for x in spec.values]
            for v in values:
                if v not in known:
                    lowered = {k.lower(): k for k in known}
                    guess = lowered.get(str(v).lower()) or self.catalog.suggest(str(v), known)
                    self.error(node, "value", f"{value_text(v)} is not a known value of {what} {name} "
                               f"(known: {', '.join(known)})", value_text(guess) if guess else None)
        for v in values:
            if isinstance(v, str) and "\x00" in v:  # PostgreSQL refuses the query text; no engine stores it
                self.error(node, "value", f"{value_text(v)} holds a NUL character, which no stored text can hold")

    def name(self, node: A.Node, name: str, table: dict, what: str, choices: list[str] | None = None) -> bool:
        if name in table and (choices is None or name in choices):
            return True
        choices = list(table) if choices is None else choices
        guess = self.catalog.suggest(name, choices)
        if name in table:  # exists, but not on this event
            self.error(node, "unknown", f"{name} is not a property of this event (it has: "
                       f"{', '.join(choices) or 'no properties'})", guess)
        else:
            self.error(node, "unknown", f"unknown {what} {name!r}", guess)
        return False

    # -- windows
    def window(self, w: A.Window | None, future_ok: bool = False) -> None:
        if w is None:
            return
        kind, unit = type(w), getattr(w, "unit", None)  # windows of units: their bound must stay on the calendar
        longest = 0 if unit is None else seconds(max(getattr(w, k) for k in _LENGTHS[kind]), unit)  # amounts are >= 0
        if longest > MAX_WINDOW_SECONDS:  # its bound would fall outside the calendar; no data is that old
            self.error(w, "window", f"'{window_text(w)}' is longer than {MAX_WINDOW_YEARS} years: leave the window "
                       "out for all of history")
        # the window classes have no subclasses: `type(w) is` is isinstance without pydantic's ABC machinery
        elif kind is A.InNext and not future_ok:
            self.error(w, "window", "events cannot happen in the future: use 'in last ...'")
        elif kind is A.BetweenAgo and w.low > w.high:
            self.error(w, "window", f"between {w.low} and {w.high} {w.unit}s ago is empty: put the smaller number "
                       f"first (between {w.high} and {w.low} {w.unit}s ago)")
        elif kind is A.BetweenDates and A.parse_when(w.start) > A.parse_when(w.end):
            self.error(w, "window", f"between {w.start} and {w.end} is empty: the start is after the end")
        elif (kind is A.InLast or kind is A.InNext) and w.amount == 0:
            self.warn(w, "window", "a window of 0 length matches nothing")
        elif kind is A.CalendarPeriod or kind is A.NamedPeriod:
            self.calendar_window(w, future_ok)
        elif kind is A.Anchored:
            self.anchored_window(w)

    def anchored_window(self, w: A.Anchored) -> None:
        """within N units after ANCHOR: N of at least 1, ANCHOR a date/time trait or a known event."""
        if w.amount < 1:
            self.error(w, "window", f"'within {w.amount} {w.unit}s after {w.anchor}' is empty: use at least 1")
        if w.anchor in self.catalog.events:
            return
        if w.anchor in self.catalog.traits:
            kind = self.catalog.traits[w.anchor].type
            if kind not in ("timestamp", "date"):
                self.error(w, "type", f"{w.anchor} is {_TYPE_WORDS[kind]}, not a date: 'within ... after' needs a "
                           "date trait or an event")
            return
        guess = self.catalog.suggest(w.anchor, [*self.catalog.events, *(n for n, t in self.catalog.traits.items()
                                                                         if t.type in ("timestamp", "date"))])
        self.error(w, "unknown", f"unknown date trait or event {w.anchor!r}", guess)

    def unanchored(self, node: A.Node, w: A.Window | None, what: str) -> bool:
        """Sequences and restarts compare events with each other: no anchored window there."""
        if isinstance(w, A.Anchored):
            self.error(w, "window", f"'{window_text(w)}' works with did, counts, first / last, aggregates and "
                       f"date traits, not with {what}")
            return False
        return True

    def calendar_window(self, w: A.CalendarPeriod | A.NamedPeriod, future_ok: bool) -> None:
        """A calendar window that starts after the as-of instant holds no events yet."""
        if self.as_of is None or future_ok:
            return
        start, _ = calendar.bounds(w, self.as_of)
        if start > self.as_of:
            self.warn(w, "window", f"'{window_text(w)}' starts on {start.date().isoformat()}, after the as-of "
                      f"instant: no events have happened in it yet")

    # -- events
    def event(self, e: A.EventRef) -> bool:
        if not self.name(e, e.name, self.catalog.events, "event"):
            return False
        if e.where is not None:
            self.filter(e.where, e.name)
        return True

    def filter(self, f: A.Filter, event: str) -> None:
        # every property condition in the filter tree, whatever and / or / not holds it
        for prop in (n for n in A.walk(f) if isinstance(n, A.PropertyCondition)):
            allowed = self.catalog.event_properties(event)
            if self.name(prop, prop.property, self.catalog.properties, "property", allowed):
                self.value_condition(prop, prop.property, self.catalog.properties[prop.property], "property")

    def measure_property(self, node: A.Node, func: str, prop: str | None, e: A.EventRef) -> None:
        if not self.event(e) or prop is None:
            return
        if not self.name(node, prop, self.catalog.properties, "property", self.catalog.event_properties(e.name)):
            return
        kind = self.catalog.properties[prop].type
        if func in _NUMERIC_AGGS and kind != "number":
            self.error(node, "type", f"{func} needs a number, but {prop} is {_TYPE_WORDS[kind]}")

    # -- conditions
    def condition(self, node: A.Condition) -> None:
        method = getattr(self, f"c_{node.kind}")
        method(node)

    def c_and(self, node: A.And) -> None:
        for c in node.conditions:
            self.condition(c)
        self.contradictions(node)

    def c_or(self, node: A.Or) -> None:
        for c in node.conditions:
            self.condition(c)

    def c_not(self, node: A.Not) -> None:
        self.condition(node.condition)

    def c_trait(self, node: A.TraitCondition) -> None:
        if self.name(node, node.trait, self.catalog.traits, "trait"):
            self.value_condition(node, node.trait, self.catalog.traits[node.trait], "trait")

    def _time_trait(self, node, name: str) -> bool:
        if not self.name(node, name, self.catalog.traits, "trait"):
            return False
        kind = self.catalog.traits[name].type
        if kind not in ("timestamp", "date"):
            self.error(node, "type", f"{name} is {_TYPE_WORDS[kind]}, not a date: time windows need a date trait")
            return False
        return True

    def c_trait_time(self, node: A.TraitTime) -> None:
        if self._time_trait(node, node.trait):
            self.window(node.window, future_ok=True)

    def c_anniversary(self, node: A.Anniversary) -> None:
        if not self._time_trait(node, node.trait):
            return
        if node.unit in ("minute", "hour", "year"):
            self.error(node, "window", f"anniversaries are counted in days, weeks or months, not {node.unit}s")
        elif node.amount > {"day": 366, "week": 52, "month": 12}[node.unit]:
            self.error(node, "window", "an anniversary window longer than a year matches every date")

    def c_did(self, node: A.Did) -> None:
        self.event(node.event)
        self.window(node.window)
        if node.count is not None:
            c = node.count
            if c.op == "between" and c.m is not None and c.n > c.m:
                self.error(c, "count", f"between {c.n} and {c.m} times is empty: put the smaller number first")
            elif c.op == "at_least" and c.n == 0:
                self.warn(c, "count", "'at least 0 times' matches everyone")

    def c_sequence(self, node: A.Sequence) -> None:
        self.event(node.event)
        if self.unanchored(node, node.window, "sequences"):
            self.window(node.window)
        for i, step in enumerate(node.steps):
            self.event(step.event)
            if step.negated and i != len(node.steps) - 1:
                self.error(step, "sequence", "a 'then did not' step must be the last step of a sequence")

    def c_aggregate(self, node: A.Aggregate) -> None:
        self.measure_property(node, node.func, node.property, node.event)
        self.window(node.window)

    def c_share(self, node: A.Share) -> None:
        self.event(node.event)
        self.window(node.window)
        if node.event.where is None:
            self.warn(node, "share", "a share without a 'where' filter is always 100%")
        if not 0 <= node.value <= 100:
            self.error(node, "share", f"a share is a percentage from 0 to 100, not {value_text(node.value)}")

    def c_occurrence(self, node: A.Occurrence) -> None:
        self.event(node.event)
        self.window(node.window)

    def c_regular(self, node: A.Regular) -> None:
        self.event(node.event)
        if node.periods < 1 or node.min_periods < 1:
            self.error(node, "count", "'in at least K of last N' needs K and N of at least 1")
        elif node.min_periods > node.periods:
            self.error(node, "count", f"at least {node.min_periods} of the last {node.periods} {node.unit}s is impossible")

    def c_stopped(self, node: A.Stopped) -> None:
        self.event(node.event)
        if node.duration.amount < 1:
            self.error(node, "window", "'stopped ... for' needs a duration of at least 1")

    def c_restarted(self, node: A.Restarted) -> None:
        self.event(node.event)
        if self.unanchored(node, node.window, "restarts"):
            self.window(node.window)
        if node.gap.amount < 1:
            self.error(node, "window", "'restarted ... after' needs a gap of at least 1")

    def c_rank(self, node: A.Rank) -> None:
        m = node.measure
        self.measure_property(node, m.func, m.property, m.event)
        self.window(m.window)
        if node.amount < 1 or (node.percent and node.amount > 100):
            self.error(node, "rank", "a rank takes 1 to 100 percent, or a count of at least 1")

    def c_segment(self, node: A.SegmentRef) -> None:
        self.refs.append(node)
        if node.name not in self.segments:
            guess = self.catalog.suggest(node.name, list(self.segments))
            self.error(node, "unknown", f"unknown segment {node.name!r}", value_text(guess) if guess else None)

    # -- contradictions that are cheap to see: x = a and x = b; X and not X
    def contradictions(self, node: A.And) -> None:
        allowed: dict[str, tuple[set, A.TraitCondition]] = {}  # trait -> the values = / in leave, said where
        # equal canonical texts are equal trees, so only a sibling of a negated condition's kind and event can be
        # its negation: only those are written out and compared
        negated = {_kind_key(c.condition) for c in node.conditions if type(c) is A.Not}
        texts = {format_condition(c) for c in node.conditions if type(c) is not A.Not and _kind_key(c) in negated}
        for c in node.conditions:
            if type(c) is A.TraitCondition and c.op in ("=", "in"):  # x = a and x in [b, c]: no one
                values = set(c.value) if isinstance(c.value, list) else {c.value}
                before, prev = allowed.get(c.trait, (values, c))
                if not before & values:
                    self.error(c, "contradiction", f"{c.trait} cannot be both {_values_text(prev.value)} and "
                               f"{_values_text(c.value)}: use 'or' or '{c.trait} in [...]'")
                allowed[c.trait] = (before & values or values, prev)
            if texts and type(c) is A.Not and format_condition(c.condition) in texts:
                self.error(c, "contradiction", f"'{format_condition(c.condition)}' and its negation can never both hold")


def _values_text(v: A.Scalar | list[A.Scalar]) -> str:
    return "[" + ", ".join(value_text(x) for x in v) + "]" if isinstance(v, list) else value_text(v)


def _kind_key(node: A.Condition) -> tuple:
    """Equal for equal conditions: their class and, where they read one, their event's name."""
    event = node.__dict__.get("event")  # a field's value (getattr of a missing one goes through pydantic's __getattr__)
    return type(node), event.name if event is not None else None


def _cycles(segments: Mapping[str, A.Condition], start: str) -> list[str] | None:
    """The first reference path from `start` back to itself, if any."""
    def refs(name: str) -> list[str]:
        node = segments.get(name)
        return [n.name for n in A.walk(node) if isinstance(n, A.SegmentRef)] if node is not None else []

    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for ref in refs(name):
            if ref == start:
                return path + [ref]
            if ref not in seen:
                seen.add(ref)
                stack.append((ref, path + [ref]))
    return None


def check(node: A.Condition, catalog: Catalog, segments: Mapping[str, A.Condition] | None = None,
          name: str | None = None, as_of: datetime | None = None) -> list[Diagnostic]:
    """Every problem with `node` (errors and warnings). `name` is the segment's own name, for cycle checks;
    `as_of`, when given, also flags calendar windows that lie after it."""
    checker = _Checker(catalog, segments, as_of)
    checker.condition(node)
    segments = dict(segments or {})
    if name is not None:
        segments[name] = node
    reported: set[str] = set()
    for ref in checker.refs:  # references are conditions, so the checker met each one, in walk order
        if ref.name in segments and ref.name not in reported:
            path = _cycles(segments, ref.name)
            if path:
                reported.add(ref.name)
                checker.error(ref, "cycle", "segment references form a cycle: " + " -> ".join(path))
    return checker.out


def validate(text: str, catalog: Catalog, segments: Mapping[str, A.Condition] | None = None,
             name: str | None = None) -> tuple[A.Condition, list[Diagnostic]]:
    """Parse and check; raises SegmentError on any error, returns the AST and its warnings otherwise."""
    node = parse(text)
    diagnostics = check(node, catalog, segments, name)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise SegmentError(errors, text)
    return node, diagnostics
