"""What each grammar rule builds: the AST node of one reduction of `segment.lark`, from its children (the
values of its sub-rules, and the text of its named tokens) and the text it covers. grammar/parser.py calls
these as it parses."""

from __future__ import annotations

import json
import typing

from grammar import ast as A
from grammar.units import UNIT_WORDS

# the window nodes (the grammar's children are exactly these classes: `type(x) in` is isinstance without
# pydantic's ABC machinery)
_WINDOWS = frozenset(typing.get_args(typing.get_args(A.Window)[0]))
VALUE_OPS = {"contains": "contains", "not_contains": "not_contains", "starts": "starts_with", "ends": "ends_with",
             "set": "is_set", "not_set": "is_not_set", "in": "in", "not_in": "not_in"}


def span(box: tuple[int, int, int, int]) -> A.Span:
    return A.Span(line=box[0], column=box[1], end_line=box[2], end_column=box[3])


def _box(box: tuple[int, int, int, int]) -> dict:
    """A node's span as its validator takes it (pydantic makes the Span without a Python constructor call)."""
    return {"line": box[0], "column": box[1], "end_line": box[2], "end_column": box[3]}


def _make(cls: type[A.Node], fields: dict) -> A.Node:
    """cls(**fields): the same validation and the same errors, without pydantic's keyword-argument __init__."""
    return cls.__pydantic_validator__.validate_python(fields)


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


_STRINGS = json.JSONDecoder(strict=False)  # json.loads(tok, strict=False) makes a new decoder each call


def _text(tok: str) -> str:
    return _STRINGS.decode(tok)


class AstBuilder:
    """Grammar rules -> AST nodes, called as the parser reduces each rule. Each method is one grammar
    alternative (its `-> alias`); `meta` is the rule's (line, column, end line, end column)."""

    # -- structure
    def start(self, meta, c):
        return c[0]

    def or_expr(self, meta, c):
        return _make(A.Or, {"conditions": c, "span": _box(meta)})

    def and_expr(self, meta, c):
        return _make(A.And, {"conditions": c, "span": _box(meta)})

    def negation(self, meta, c):
        return _make(A.Not, {"condition": c[0], "span": _box(meta)})

    def filter_or(self, meta, c):
        return _make(A.FilterOr, {"conditions": c, "span": _box(meta)})

    def filter_and(self, meta, c):
        return _make(A.FilterAnd, {"conditions": c, "span": _box(meta)})

    def filter_negation(self, meta, c):
        return _make(A.FilterNot, {"condition": c[0], "span": _box(meta)})

    # -- atoms
    def field(self, meta, c):
        return c[0]  # the NAME's text

    def string(self, meta, c):
        return _text(c[0])

    def number(self, meta, c):
        return _number(c[0])

    def true(self, meta, c):
        return True

    def false(self, meta, c):
        return False

    def _keyword(self, meta, c):
        return str(c[0]).lower()  # keywords are read in any case

    cmp = agg = first_last = rank_dir = direction = times = percent = which = period = month = _keyword

    def unit(self, meta, c):
        return UNIT_WORDS[str(c[0]).lower()]

    # -- value conditions (traits and properties share their shapes)
    def _value_cond(self, meta, c, op, is_trait):
        name = c[0]
        rest = c[1:]
        if op == "compare":
            op, value = rest[0], rest[1]
        elif op in ("in", "not_in"):
            value = list(rest)
        elif op in ("set", "not_set"):
            value = None
        else:
            value = _text(rest[0])
        op = VALUE_OPS.get(op, op)
        if is_trait:
            return _make(A.TraitCondition, {"trait": str(name), "op": op, "value": value, "span": _box(meta)})
        return _make(A.PropertyCondition, {"property": str(name), "op": op, "value": value, "span": _box(meta)})

    def _make(op, is_trait):
        def method(self, meta, c):
            return self._value_cond(meta, c, op, is_trait)
        return method

    trait_compare = _make("compare", True)
    trait_in = _make("in", True)
    trait_not_in = _make("not_in", True)
    trait_contains = _make("contains", True)
    trait_not_contains = _make("not_contains", True)
    trait_starts = _make("starts", True)
    trait_ends = _make("ends", True)
    trait_set = _make("set", True)
    trait_not_set = _make("not_set", True)
    prop_compare = _make("compare", False)
    prop_in = _make("in", False)
    prop_not_in = _make("not_in", False)
    prop_contains = _make("contains", False)
    prop_not_contains = _make("not_contains", False)
    prop_starts = _make("starts", False)
    prop_ends = _make("ends", False)
    prop_set = _make("set", False)
    prop_not_set = _make("not_set", False)
    del _make

    def trait_time(self, meta, c):
        return _make(A.TraitTime, {"trait": str(c[0]), "window": c[1], "span": _box(meta)})

    def trait_anniversary(self, meta, c):
        return _make(A.Anniversary, {"trait": str(c[0]), "direction": c[1], "amount": int(c[2]),
                                     "unit": c[3], "span": _box(meta)})

    # -- windows and counts
    def in_last(self, meta, c):
        cls = A.InLast if c[0] == "last" else A.InNext
        return _make(cls, {"amount": int(c[1]), "unit": c[2], "span": _box(meta)})

    def more_than_ago(self, meta, c):
        return _make(A.MoreThanAgo, {"amount": int(c[0]), "unit": c[1], "span": _box(meta)})

    def between_ago(self, meta, c):
        return _make(A.BetweenAgo, {"low": int(c[0]), "high": int(c[1]), "unit": c[2], "span": _box(meta)})

    def before(self, meta, c):
        return _make(A.Before, {"at": str(c[0]), "span": _box(meta)})

    def after(self, meta, c):
        return _make(A.After, {"at": str(c[0]), "span": _box(meta)})

    def between_dates(self, meta, c):
        return _make(A.BetweenDates, {"start": str(c[0]), "end": str(c[1]), "span": _box(meta)})

    def on_date(self, meta, c):
        return _make(A.OnDate, {"day": str(c[0]), "span": _box(meta)})

    def today(self, meta, c):
        return _make(A.CalendarPeriod, {"which": "this", "period": "day", "span": _box(meta)})

    def yesterday(self, meta, c):
        return _make(A.CalendarPeriod, {"which": "previous", "period": "day", "span": _box(meta)})

    def calendar_period(self, meta, c):
        return _make(A.CalendarPeriod, {"which": c[0], "period": c[1], "span": _box(meta)})

    def weekend(self, meta, c):
        return _make(A.CalendarPeriod, {"which": c[0], "period": "weekend", "span": _box(meta)})

    def named(self, meta, c):
        return _make(A.NamedPeriod, {"name": c[0], "year": c[1] if len(c) > 1 else None, "span": _box(meta)})

    def holiday_season(self, meta, c):
        return self.named(meta, ["holiday_season", *c])

    def holiday(self, meta, c):
        return "_".join(str(t).lower() for t in c)  # black friday -> black_friday

    def this_year(self, meta, c):
        return "this"

    def last_year(self, meta, c):
        return "last"

    def year_number(self, meta, c):
        return int(c[0])

    def anchor(self, meta, c):
        return str(c[0])

    def anchored(self, meta, c):
        return _make(A.Anchored, {"amount": int(c[0]), "unit": c[1], "anchor": str(c[2]), "span": _box(meta)})

    def within(self, meta, c):
        return _make(A.Duration, {"amount": int(c[0]), "unit": c[1], "span": _box(meta)})

    def at_least(self, meta, c):
        return _make(A.Count, {"op": "at_least", "n": int(c[0]), "span": _box(meta)})

    def at_most(self, meta, c):
        return _make(A.Count, {"op": "at_most", "n": int(c[0]), "span": _box(meta)})

    def exactly(self, meta, c):
        return _make(A.Count, {"op": "exactly", "n": int(c[0]), "span": _box(meta)})

    def count_between(self, meta, c):
        return _make(A.Count, {"op": "between", "n": int(c[0]), "m": int(c[1]), "span": _box(meta)})

    # -- behaviour
    def event(self, meta, c):
        return _make(A.EventRef, {"name": str(c[0]), "where": c[1] if len(c) > 1 else None, "span": _box(meta)})

    @staticmethod
    def _parts(c):
        """Split optional trailing children of a did-like rule into (count, window)."""
        count = next((x for x in c if type(x) is A.Count), None)
        window = next((x for x in c if type(x) in _WINDOWS), None)
        return count, window

    def did(self, meta, c):
        count, window = self._parts(c[1:])
        return _make(A.Did, {"event": c[0], "count": count, "window": window, "span": _box(meta)})

    def did_not(self, meta, c):
        return _make(A.Not, {"condition": self.did(meta, c), "span": _box(meta)})

    def sequence(self, meta, c):
        steps = [x for x in c[1:] if type(x) is A.SequenceStep]
        window = next((x for x in c[1:] if type(x) is not A.SequenceStep), None)
        return _make(A.Sequence, {"event": c[0], "window": window, "steps": steps, "span": _box(meta)})

    def then_did(self, meta, c, negated=False):
        return _make(A.SequenceStep, {"negated": negated, "event": c[0],
                                      "within": c[1] if len(c) > 1 else None, "span": _box(meta)})

    def then_did_not(self, meta, c):
        return self.then_did(meta, c, negated=True)

    def aggregate(self, meta, c):
        func, prop, event, *rest = c
        window = rest[0] if len(rest) == 3 else None
        return _make(A.Aggregate, {"func": func, "property": str(prop), "event": event, "window": window,
                                   "op": rest[-2], "value": rest[-1], "span": _box(meta)})

    def aggregate_distinct(self, meta, c):
        return self.aggregate(meta, ["count_distinct", *c])

    def share(self, meta, c):
        return _make(A.Share, {"event": c[0], "window": c[1] if len(c) == 4 else None, "op": c[-2],
                               "value": c[-1], "span": _box(meta)})

    def occurrence(self, meta, c):
        return _make(A.Occurrence, {"which": c[0], "event": c[1], "window": c[2], "span": _box(meta)})

    def regular(self, meta, c):
        return _make(A.Regular, {"event": c[0], "min_periods": int(c[1]), "periods": int(c[2]),
                                 "unit": c[3], "span": _box(meta)})

    def stopped(self, meta, c):
        return _make(A.Stopped, {"event": c[0], "duration": _make(A.Duration, {"amount": int(c[1]), "unit": c[2]}),
                                 "span": _box(meta)})

    def restarted(self, meta, c):
        return _make(A.Restarted, {"event": c[0], "gap": _make(A.Duration, {"amount": int(c[1]), "unit": c[2]}),
                                   "window": c[3] if len(c) > 3 else None, "span": _box(meta)})

    def rank(self, meta, c):
        percent = len(c) == 4
        return _make(A.Rank, {"direction": c[0], "amount": int(c[1]), "percent": percent,
                              "measure": c[-1], "span": _box(meta)})

    def measure_agg(self, meta, c):
        return _make(A.Measure, {"func": c[0], "property": str(c[1]), "event": c[2],
                                 "window": c[3] if len(c) > 3 else None, "span": _box(meta)})

    def measure_distinct(self, meta, c):
        return self.measure_agg(meta, ["count_distinct", *c])

    def measure_count(self, meta, c):
        return _make(A.Measure, {"func": "count", "event": c[0],
                                 "window": c[1] if len(c) > 1 else None, "span": _box(meta)})

    def segment_ref(self, meta, c):
        return _make(A.SegmentRef, {"name": _text(c[0]), "span": _box(meta)})
