"""Format stage: AST -> canonical DSL text. `parse(format(ast)) == ast` for every valid AST."""

from __future__ import annotations

import json

from grammar import ast as A
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


def window_text(w: A.Window) -> str:
    if isinstance(w, A.InLast):
        return f"in last {plural(w.amount, w.unit)}"
    if isinstance(w, A.InNext):
        return f"in next {plural(w.amount, w.unit)}"
    if isinstance(w, A.MoreThanAgo):
        return f"more than {plural(w.amount, w.unit)} ago"
    if isinstance(w, A.BetweenAgo):
        return f"between {w.low} and {plural(w.high, w.unit)} ago"
    if isinstance(w, A.Before):
        return f"before {w.at}"
    if isinstance(w, A.After):
        return f"after {w.at}"
    if isinstance(w, A.BetweenDates):
        return f"between {w.start} and {w.end}"
    if isinstance(w, A.OnDate):
        return f"on {w.day}"
    raise TypeError(f"not a window: {w!r}")


def _filter(f: A.Filter, nested: bool = False) -> str:
    if isinstance(f, A.PropertyCondition):
        return _value_cond(f.property, f)
    if isinstance(f, A.FilterNot):
        return f"not {_filter(f.condition, nested=True)}"
    joiner = " and " if isinstance(f, A.FilterAnd) else " or "
    text = joiner.join(_filter(c, nested=True) for c in f.conditions)
    return f"({text})" if nested else text


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


def format_condition(node: A.Condition, nested: bool = False) -> str:
    """Canonical text of one condition; `nested` parenthesises and/or inside another and/or or a not."""
    if isinstance(node, (A.And, A.Or)):
        joiner = " and " if isinstance(node, A.And) else " or "
        text = joiner.join(format_condition(c, nested=True) for c in node.conditions)
        return f"({text})" if nested else text
    if isinstance(node, A.Not):
        inner = node.condition
        if isinstance(inner, A.Did):
            return _did(inner, negated=True)
        if isinstance(inner, A.SegmentRef):
            return f"not in segment {value_text(inner.name)}"
        return f"not {format_condition(inner, nested=True)}"
    if isinstance(node, A.TraitCondition):
        return _value_cond(node.trait, node)
    if isinstance(node, A.TraitTime):
        return f"{node.trait} {window_text(node.window)}"
    if isinstance(node, A.Anniversary):
        return f"{node.trait} anniversary in {node.direction} {plural(node.amount, node.unit)}"
    if isinstance(node, A.Did):
        return _did(node, negated=False)
    if isinstance(node, A.Sequence):
        text = f"did {event_text(node.event)}" + _tail(window_text(node.window) if node.window else None)
        for step in node.steps:
            text += f" then did {'not ' if step.negated else ''}{event_text(step.event)}"
            if step.within:
                text += f" within {plural(step.within.amount, step.within.unit)}"
        return text
    if isinstance(node, A.Aggregate):
        m = A.Measure(func=node.func, property=node.property, event=node.event, window=node.window)
        return f"{measure_text(m)} {node.op} {value_text(node.value)}"
    if isinstance(node, A.Share):
        return (f"share of {event_text(node.event)}" + _tail(window_text(node.window) if node.window else None)
                + f" {node.op} {value_text(node.value)}%")
    if isinstance(node, A.Occurrence):
        return f"{node.which} {event_text(node.event)} {window_text(node.window)}"
    if isinstance(node, A.Regular):
        return (f"did {event_text(node.event)} in at least {node.min_periods} of last "
                f"{plural(node.periods, node.unit)}")
    if isinstance(node, A.Stopped):
        return f"stopped {event_text(node.event)} for {plural(node.duration.amount, node.duration.unit)}"
    if isinstance(node, A.Restarted):
        return (f"restarted {event_text(node.event)} after {plural(node.gap.amount, node.gap.unit)}"
                + _tail(window_text(node.window) if node.window else None))
    if isinstance(node, A.Rank):
        return f"{node.direction} {node.amount}{'%' if node.percent else ''} by {measure_text(node.measure)}"
    if isinstance(node, A.SegmentRef):
        return f"in segment {value_text(node.name)}"
    raise TypeError(f"not a condition: {node!r}")


def format_segment(node: A.Condition) -> str:
    return format_condition(node)
