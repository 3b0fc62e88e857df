"""Boolean algebra on the AST: negate a condition the way a person writes it, conjoin with flattening, and
the normal form the evals compare translations by.

Conditions (And / Or / Not) and event filters (FilterAnd / FilterOr / FilterNot) keep two node shapes: they
are two discriminated unions in the builder JSON (a filter may only hold property conditions, a condition
never does), and merging them would change the JSON Schema a UI codes against. Both shapes have the same
fields (`conditions`, `condition`), so every helper here takes either; `GROUPS` says which is which.
"""

from __future__ import annotations

import json
from typing import Any

from grammar import ast as A
from grammar.units import largest_unit, seconds

# group class -> (its dual, the negation of its family); the negation class -> its family's (and, or)
GROUPS: dict[type, tuple[type, type]] = {
    A.And: (A.Or, A.Not), A.Or: (A.And, A.Not),
    A.FilterAnd: (A.FilterOr, A.FilterNot), A.FilterOr: (A.FilterAnd, A.FilterNot),
}
NEGATIONS: dict[type, tuple[type, type]] = {A.Not: (A.And, A.Or), A.FilterNot: (A.FilterAnd, A.FilterOr)}

# Value operators a person negates by rewriting the operator ("!=" for "=", "not in" for "in").
_FLIP = {"=": "!=", "!=": "=", "in": "not_in", "not_in": "in", "is_set": "is_not_set", "is_not_set": "is_set",
         "contains": "not_contains", "not_contains": "contains"}


def negate(node: Any) -> Any:
    """Not(node), written the way a person would: != for =, not in for in, false for true; not not X is X.
    Works on conditions and on filters (FilterNot). Note `country != "US"` leaves out people with no country,
    where `not country = "US"` keeps them: the person's reading, not the exact complement."""
    if isinstance(node, tuple(NEGATIONS)):
        return node.condition
    if isinstance(node, (A.TraitCondition, A.PropertyCondition)):
        if isinstance(node.value, bool) and node.op == "=":
            return node.model_copy(update={"value": not node.value})
        if node.op in _FLIP:
            return node.model_copy(update={"op": _FLIP[node.op]})
    return (A.FilterNot if isinstance(node, A.PropertyCondition) or _is_filter(node) else A.Not)(condition=node)


def _is_filter(node: Any) -> bool:
    return isinstance(node, (A.FilterAnd, A.FilterOr, A.FilterNot, A.PropertyCondition))


def conjoin(cls: type, parts: list[Any]) -> Any:
    """cls(parts) with nested groups of the same class spliced in; a single part is itself. `cls` is And,
    Or, FilterAnd or FilterOr."""
    flat: list[Any] = []
    for p in parts:
        flat.extend(p.conditions if isinstance(p, cls) else [p])
    return flat[0] if len(flat) == 1 else cls(conditions=flat)


# ---- normal form (canonical match in the evals) -------------------------------------------------------

def _sort_key(node: A.Node) -> str:
    return json.dumps(node.model_dump(mode="json"), sort_keys=True)


def _flatten(node):
    """and/or: nested groups of the same kind spliced in, duplicates dropped, children in a fixed order."""
    children: list = []
    for child in node.conditions:
        children.extend(child.conditions if isinstance(child, type(node)) else [child])
    unique = {_sort_key(c): c for c in children}
    ordered = [unique[k] for k in sorted(unique)]
    return ordered[0] if len(ordered) == 1 else type(node)(conditions=ordered)


def _values(node):
    if node.op not in A.LIST_OPS:
        return node
    values = sorted({json.dumps(v): v for v in node.value}.items())
    if len(values) == 1:
        return node.model_copy(update={"op": "=" if node.op == "in" else "!=", "value": values[0][1]})
    return node.model_copy(update={"value": [v for _, v in values]})


def _amount(node):
    (amount,), unit = largest_unit([node.amount], node.unit)
    return node.model_copy(update={"amount": amount, "unit": unit})


def _between_ago(node: A.BetweenAgo):
    (low, high), unit = largest_unit([node.low, node.high], node.unit)
    return node.model_copy(update={"low": low, "high": high, "unit": unit})


def _did(node: A.Did):
    count = node.count
    if count and count.op == "at_least" and count.n == 1:  # did X at least 1 time == did X
        count = None
    elif count and count.op == "between" and count.n == count.m:
        count = A.Count(op="exactly", n=count.n)
    return node.model_copy(update={"count": count})


def _not(node):
    inner = node.condition
    return inner.condition if isinstance(inner, type(node)) else node


# One rule per node class, applied bottom-up (sqlglot's optimizer style: small typed rewrites).
_RULES = {
    A.And: _flatten, A.Or: _flatten, A.FilterAnd: _flatten, A.FilterOr: _flatten,
    A.Not: _not, A.FilterNot: _not,
    A.TraitCondition: _values, A.PropertyCondition: _values,
    A.InLast: _amount, A.InNext: _amount, A.MoreThanAgo: _amount, A.Duration: _amount, A.Anniversary: _amount,
    A.BetweenAgo: _between_ago,
    A.Did: _did,
}


def normalise(node: Any) -> Any:
    """The AST with and/or flattened and sorted, double negations dropped, value lists sorted (a one-item
    list becomes =/!=), durations in their largest whole unit and 'at least 1 time' dropped. Bottom up."""
    return A.transform(node, lambda n: _RULES[type(n)](n) if type(n) in _RULES else n)


def contradiction(node: A.Condition, segments: dict[str, A.Condition] | None = None
                  ) -> tuple[A.Condition, A.Condition] | None:
    """Two and-ed conditions no one can meet together (the saved `segments` it is in are looked into): 'did not
    E' (with no count) and one that needs an E it covers ('never ordered' and 'total amount of orders > 500';
    'no order in the last 30 days' and 'ordered in the last 30 days'), or one date in two windows that do not
    meet ('signed up in the last 7 days' and 'more than a year ago'). Such a segment selects nobody, whatever
    the data: a person would ask, not build it."""
    parts = _and_parts(node, segments or {})
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            if _disjoint_times(a, b) or _disjoint_times(b, a):
                return a, b
    for never in parts:
        if not (isinstance(never, A.Not) and isinstance(never.condition, A.Did) and never.condition.count is None):
            continue
        gone = never.condition
        for other in parts:
            for ref, window in needs(other):
                covered = gone.event.where is None or gone.event.where == ref.where or (
                    isinstance(ref.where, A.FilterAnd) and gone.event.where in ref.where.conditions)
                if ref.name == gone.event.name and covered and (gone.window is None or gone.window == window):
                    return never, other
    return None


def _and_parts(node: A.Condition, segments: dict[str, A.Condition], seen: frozenset = frozenset()
               ) -> list[A.Condition]:
    if isinstance(node, A.SegmentRef) and node.name in segments and node.name not in seen:
        return _and_parts(segments[node.name], segments, seen | {node.name})
    return [p for c in node.conditions for p in _and_parts(c, segments, seen)] if isinstance(node, A.And) else [node]


def _disjoint_times(a: A.Condition, b: A.Condition) -> bool:
    """The same date trait in the last N units and more than M units ago, M at least N."""
    if not (isinstance(a, A.TraitTime) and isinstance(b, A.TraitTime) and a.trait == b.trait):
        return False
    recent, old = a.window, b.window
    return isinstance(recent, A.InLast) and isinstance(old, A.MoreThanAgo) and \
        seconds(old.amount, old.unit) >= seconds(recent.amount, recent.unit)


def needs(node: A.Condition) -> list[tuple[A.EventRef, Any]]:
    """The events (and the window) a condition needs at least one of."""
    if isinstance(node, A.Did):
        count = node.count
        return [(node.event, node.window)] if count is None or count.op != "at_most" and count.n >= 1 else []
    if isinstance(node, A.Aggregate):
        # an average, minimum or maximum of no events is no number: never a member; a total or distinct
        # count needs one when it must exceed zero
        needs = node.func in ("average", "min", "max") or (
            node.op in (">", ">=") and (node.value > 0 or node.op == ">" and node.value == 0))
        return [(node.event, node.window)] if needs else []
    if isinstance(node, (A.Occurrence, A.Share)):
        return [(node.event, node.window)]
    if isinstance(node, A.Sequence):
        return [(node.event, node.window)] + [(s.event, None) for s in node.steps if not s.negated]
    if isinstance(node, A.Regular):
        return [(node.event, None)] if node.min_periods >= 1 else []
    if isinstance(node, (A.Stopped, A.Restarted)):
        return [(node.event, None)]
    return []
