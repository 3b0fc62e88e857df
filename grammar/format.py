"""Format stage: AST -> canonical DSL text. `parse(format(ast)) == ast` for every valid AST."""

from __future__ import annotations

import json

from grammar import ast as A
from grammar import calendar
from grammar.units import plural

_OP_WORDS = {"contains": "contains", "not_contains": "not contains", "starts_with": "starts with",
             "ends_with": "ends with"}
_AGG_WORDS = {"total": "total", "average": "average", "min": "min", "max": "max"}


def value_text(v: A.Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        text = f"{v:.{A.DECIMALS}f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    return str(v)


def _value_cond(name: str, node: A.TraitCondition | A.PropertyCondition) -> str:
    op = node.op
    if op == "is_set":
        return f"{name} is set"
    if op == "is_not_set":
        return f"{name} is not set"
    if op in ("in", "not_in"):
        items = ", ".join(value_text(v) for v in node.value)  # type: ignore[union-attr]
        return f"{name} {'not in' if op == 'not_in' else 'in'} [{items}]"
    if op in _OP_WORDS:
        return f"{name} {_OP_WORDS[op]} {value_text(node.value)}"  # type: ignore[arg-type]
    return f"{name} {op} {value_text(node.value)}"  # type: ignore[arg-type]


# One formatter per window kind.
_WINDOWS = {
    "in_last": lambda w: f"in last {plural(w.amount, w.unit)}",
    "in_next": lambda w: f"in next {plural(w.amount, w.unit)}",
    "more_than_ago": lambda w: f"more than {plural(w.amount, w.unit)} ago",
    "between_ago": lambda w: f"between {w.low} and {plural(w.high, w.unit)} ago",
    "before": lambda w: f"before {w.at}",
    "after": lambda w: f"after {w.at}",
    "between_dates": lambda w: f"between {w.start} and {w.end}",
    "on_date": lambda w: f"on {w.day}",
    "calendar": lambda w: _calendar_text(w),
    "named": lambda w: _named_text(w),
    "anchored": lambda w: f"within {plural(w.amount, w.unit)} after {w.anchor}",
}

_DAYS = {"this": "today", "previous": "yesterday"}


def _calendar_text(w: A.CalendarPeriod) -> str:
    if w.period == "day":
        return _DAYS[w.which]
    return f"{'on' if w.period == 'weekend' else 'in'} {w.which} {w.period}"


def _named_text(w: A.NamedPeriod) -> str:
    on = "in" if w.name in calendar.MONTHS or w.name == "holiday_season" else "on"
    year = "" if w.year is None else f" of {w.year if isinstance(w.year, int) else w.year + ' year'}"
    return f"{on} {w.name.replace('_', ' ')}{year}"


def window_text(w: A.Window) -> str:
    formatter = _WINDOWS.get(getattr(w, "kind", None))
    if formatter is None:
        raise TypeError(f"not a window: {w!r}")
    return formatter(w)


def _group(conditions: list, joiner: str, text_of, nested: bool) -> str:
    """and/or groups of conditions or filters: parenthesised inside another group or a not."""
    text = joiner.join(text_of(c, nested=True) for c in conditions)
    return f"({text})" if nested else text


# One formatter per filter kind; `nested` parenthesises a group inside another group or a not.
_FILTERS = {
    "property": lambda f, nested: _value_cond(f.property, f),
    "filter_not": lambda f, nested: f"not {_filter(f.condition, nested=True)}",
    "filter_and": lambda f, nested: _group(f.conditions, " and ", _filter, nested),
    "filter_or": lambda f, nested: _group(f.conditions, " or ", _filter, nested),
}


def _filter(f: A.Filter, nested: bool = False) -> str:
    return _FILTERS[f.kind](f, nested)


def event_text(e: A.EventRef) -> str:
    return e.name if e.where is None else f"{e.name} where ({_filter(e.where)})"


def count_text(c: A.Count) -> str:
    times = "time" if (c.m if c.op == "between" else c.n) == 1 else "times"
    if c.op == "between":
        return f"between {c.n} and {c.m} {times}"
    return {"at_least": "at least", "at_most": "at most", "exactly": "exactly"}[c.op] + f" {c.n} {times}"


def _tail(*parts: str | None) -> str:
    return "".join(f" {p}" for p in parts if p)


def _did(node: A.Did, negated: bool) -> str:
    head = "did not" if negated else "did"
    return (f"{head} {event_text(node.event)}"
            + _tail(count_text(node.count) if node.count else None, window_text(node.window) if node.window else None))


def measure_text(m: A.Measure) -> str:
    w = _tail(window_text(m.window) if m.window else None)
    if m.func == "count":
        return f"count of {event_text(m.event)}{w}"
    if m.func == "count_distinct":
        return f"count distinct {m.property} of {event_text(m.event)}{w}"
    return f"{_AGG_WORDS[m.func]} {m.property} of {event_text(m.event)}{w}"


def _not(node: A.Not, nested: bool) -> str:
    inner = node.condition
    if isinstance(inner, A.Did):
        return _did(inner, negated=True)
    if isinstance(inner, A.SegmentRef):
        return f"not in segment {value_text(inner.name)}"
    return f"not {format_condition(inner, nested=True)}"


def _sequence(node: A.Sequence) -> str:
    text = f"did {event_text(node.event)}" + _tail(window_text(node.window) if node.window else None)
    for step in node.steps:
        text += f" then did {'not ' if step.negated else ''}{event_text(step.event)}"
        if step.within:
            text += f" within {plural(step.within.amount, step.within.unit)}"
    return text


def _aggregate(node: A.Aggregate) -> str:
    m = A.Measure(func=node.func, property=node.property, event=node.event, window=node.window)
    return f"{measure_text(m)} {node.op} {value_text(node.value)}"


# One formatter per condition kind (the `kind` of the builder JSON); each takes (node, nested).
_CONDITIONS = {
    "and": lambda n, nested: _group(n.conditions, " and ", format_condition, nested),
    "or": lambda n, nested: _group(n.conditions, " or ", format_condition, nested),
    "not": _not,
    "trait": lambda n, nested: _value_cond(n.trait, n),
    "trait_time": lambda n, nested: f"{n.trait} {window_text(n.window)}",
    "anniversary": lambda n, nested: f"{n.trait} anniversary in {n.direction} {plural(n.amount, n.unit)}",
    "did": lambda n, nested: _did(n, negated=False),
    "sequence": lambda n, nested: _sequence(n),
    "aggregate": lambda n, nested: _aggregate(n),
    "share": lambda n, nested: (f"share of {event_text(n.event)}" + _tail(window_text(n.window) if n.window else None)
                                + f" {n.op} {value_text(n.value)}%"),
    "occurrence": lambda n, nested: f"{n.which} {event_text(n.event)} {window_text(n.window)}",
    "regular": lambda n, nested: (f"did {event_text(n.event)} in at least {n.min_periods} of last "
                                  f"{plural(n.periods, n.unit)}"),
    "stopped": lambda n, nested: f"stopped {event_text(n.event)} for {plural(n.duration.amount, n.duration.unit)}",
    "restarted": lambda n, nested: (f"restarted {event_text(n.event)} after {plural(n.gap.amount, n.gap.unit)}"
                                    + _tail(window_text(n.window) if n.window else None)),
    "rank": lambda n, nested: f"{n.direction} {n.amount}{'%' if n.percent else ''} by {measure_text(n.measure)}",
    "segment": lambda n, nested: f"in segment {value_text(n.name)}",
}


def format_condition(node: A.Condition, nested: bool = False) -> str:
    """Canonical text of one condition; `nested` parenthesises and/or inside another and/or or a not."""
    formatter = _CONDITIONS.get(getattr(node, "kind", None))
    if formatter is None:
        raise TypeError(f"not a condition: {node!r}")
    return formatter(node, nested)


def format_segment(node: A.Condition) -> str:
    return format_condition(node)
