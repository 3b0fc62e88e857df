"""AST helpers and edits of the offline translator: negating and joining conditions the way a person would
write them, and the typed edits a chat refinement makes to the current segment."""

from __future__ import annotations

from typing import Any, Callable

from grammar import ast as A
from grammar.algebra import conjoin, negate  # noqa: F401 (the offline package's names for them)


def filter_and(parts: list[A.Filter]) -> A.Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else A.FilterAnd(conditions=parts)


# ---- edits of the current segment (chat refinements) ---------------------------------------------------

def _transform(node: Any, fn: Callable[[A.Node], A.Node]) -> Any:
    """Rebuild `node` bottom-up: every child node (condition, conditions, event, where, steps, window,
    count, within, measure ...) is transformed first, then `fn` gets the node with its new children.
    To be replaced by grammar's transform once it lands."""
    if isinstance(node, list):
        return [_transform(n, fn) for n in node]
    if not isinstance(node, A.Node):
        return node
    update = {}
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, A.Node) or (isinstance(value, list) and any(isinstance(v, A.Node) for v in value)):
            new = _transform(value, fn)
            if new != value:
                update[name] = new
    return fn(_with(node, **update) if update else node)


def _with(node: A.Node, **changes: Any) -> A.Node:
    """A copy of `node` with some fields changed, validated (model_copy is not, and the new values come
    from the user's words: a number too large for the language fails here)."""
    return type(node)(**{**{name: getattr(node, name) for name in type(node).model_fields}, **changes})


def parts_of(node: A.Condition) -> list[A.Condition]:
    """The top-level conditions of a segment: the parts of an 'and', else the segment itself."""
    return list(node.conditions) if isinstance(node, A.And) else [node]


_AMOUNT_WINDOWS = (A.InLast, A.InNext, A.MoreThanAgo)


def rewindow(node: A.Condition, window: A.Node) -> A.Condition | None:
    """A window said on its own ('but less than 120 days ago') for the current segment: a bound on the other
    side of an open window makes it a range ('more than 60 days ago' + 'in the last 120 days' = between 60
    and 120 days ago); otherwise the did-conditions without a window get it. None when neither applies."""
    hits = 0

    def edit(n: A.Node) -> A.Node:
        nonlocal hits
        old = getattr(n, "window", None)
        if isinstance(old, _AMOUNT_WINDOWS) and isinstance(window, _AMOUNT_WINDOWS) and old.unit == window.unit:
            bounds = {w.kind: w.amount for w in (old, window)}
            if 0 < bounds.get("more_than_ago", 0) < bounds.get("in_last", 0):
                hits += 1
                return _with(n, window=A.BetweenAgo(low=bounds["more_than_ago"], high=bounds["in_last"],
                                                    unit=window.unit))
        return n

    ranged = _transform(node, edit)
    return ranged if hits else add_window(node, window)


def add_window(node: A.Condition, window: A.Node) -> A.Condition | None:
    """Every top-level did / did not condition without a window gets `window`; None when there is none."""
    hits = 0

    def windowed(p: A.Condition, negated: bool = False) -> A.Condition:
        nonlocal hits
        if isinstance(p, A.Not) and not negated:  # "did not": one level, as people write it
            return _with(p, condition=windowed(p.condition, negated=True))
        if isinstance(p, A.Did) and p.window is None:
            hits += 1
            return _with(p, window=window)
        return p

    parts = [windowed(p) for p in parts_of(node)]
    if not hits:
        return None
    return _with(node, conditions=parts) if isinstance(node, A.And) else parts[0]


def has_count(node: A.Condition) -> bool:
    """Whether the segment holds a number other than a window's: a count, an aggregate or a rank."""
    return any(isinstance(n, (A.Count, A.Aggregate, A.Rank)) for n in A.walk(node))


def replace_amounts(node: A.Condition, old: int | None, new: int, unit: str | None) -> A.Condition | None:
    """'make it 60 days', 'make that 5', 'change 30 to 45': window amounts (or, given no unit, counts and
    thresholds) set to `new`; with `old`, only amounts equal to it. None when nothing matched."""
    hits = 0
    # an unnamed amount ("make it 120 days") is the window's; a sequence's "within" only when there is none
    durations = old is not None or not any(isinstance(n, _AMOUNT_WINDOWS) for n in A.walk(node))
    counted = has_count(node)

    def edit(n: A.Node) -> A.Node:
        nonlocal hits
        if isinstance(n, _AMOUNT_WINDOWS) or (durations and isinstance(n, A.Duration)):
            if (old is None or n.amount == old) and (unit is not None or old is not None or not counted):
                hits += 1
                return _with(n, amount=new, **({"unit": unit} if unit else {}))
        elif isinstance(n, A.Count) and unit is None:
            if old is None or n.n == old:
                hits += 1
                return _with(n, n=new)
        elif isinstance(n, A.Aggregate) and unit is None and (old is None or n.value == old):
            hits += 1
            return _with(n, value=new)
        elif isinstance(n, A.Rank) and unit is None and (old is None or n.amount == old):
            hits += 1
            return _with(n, amount=new)
        return n

    changed = _transform(node, edit)
    if hits:
        return changed
    if unit is not None and old is None:  # "make it the last 90 days" on a definition with no window
        return add_window(node, A.InLast(amount=new, unit=unit))
    return None


def drop_filters(node: A.Condition, props: set[str]) -> A.Condition | None:
    """'remove the amount filter': the segment without the property conditions on `props` in its event
    filters (a filter itself or a part of an 'and' of filters); None when there were none."""
    hits = 0

    def dropped(f: A.Filter) -> bool:
        return isinstance(f, A.PropertyCondition) and f.property in props

    def edit(n: A.Node) -> A.Node:
        nonlocal hits
        if not isinstance(n, A.EventRef) or n.where is None:
            return n
        if isinstance(n.where, A.FilterAnd):
            left = [f for f in n.where.conditions if not dropped(f)]
            hits += len(n.where.conditions) - len(left)
            if len(left) == len(n.where.conditions):
                return n
            return _with(n, where=filter_and(left))
        if dropped(n.where):
            hits += 1
            return _with(n, where=None)
        return n

    changed = _transform(node, edit)
    return changed if hits else None


def drop_values(node: A.Condition, drop: set[tuple[str, object]]) -> A.Condition | None:
    """'drop Canada': the values named taken out of the top-level trait lists (a list left empty goes);
    None when none was there or nothing would be left."""
    out = []
    changed = False
    for p in parts_of(node):
        if isinstance(p, A.TraitCondition) and p.op in ("in", "=") and isinstance(p.value, (list, str)):
            values = p.value if isinstance(p.value, list) else [p.value]
            left = [v for v in values if (p.trait, v) not in drop]
            if len(left) != len(values):
                changed = True
                if not left:
                    continue
                p = A.TraitCondition(trait=p.trait, op="=" if len(left) == 1 else "in",
                                     value=left[0] if len(left) == 1 else left)
        out.append(p)
    if not changed or not out:
        return None
    return conjoin(A.And, out)


def names(node: A.Node) -> set[str]:
    """The trait, property and segment names a condition mentions."""
    out = set()
    for n in A.walk(node):
        for attr in ("trait", "property", "name"):
            v = getattr(n, attr, None)
            if isinstance(v, str):
                out.add(v)
    return out


def narrow(base: A.Condition, node: A.Condition) -> A.Condition:
    """AND a condition; a value for a trait already listed ('and France too') widens that list."""
    if isinstance(node, A.TraitCondition) and node.op in ("=", "in"):
        parts = parts_of(base)
        for i, p in enumerate(parts):
            if isinstance(p, A.TraitCondition) and p.trait == node.trait and p.op in ("=", "in"):
                old = p.value if isinstance(p.value, list) else [p.value]
                new = node.value if isinstance(node.value, list) else [node.value]
                parts[i] = A.TraitCondition(trait=p.trait, op="in", value=old + [v for v in new if v not in old])
                return conjoin(A.And, parts)
    return conjoin(A.And, [base, node])


def drop_unknown_values(node: A.Condition,
                        known: Callable[[str, bool], list[str] | None]) -> tuple[A.Condition, list[str]]:
    """Values outside a closed list (a country the data does not have) are dropped, each with a warning: no
    contact can match them. `known(field, is_trait)` is the closed list of a field, or None."""
    dropped: list[str] = []

    def edit(n: A.Node) -> A.Node:
        if not isinstance(n, (A.TraitCondition, A.PropertyCondition)) or n.op not in ("=", "in", "!=", "not_in"):
            return n
        field = n.trait if isinstance(n, A.TraitCondition) else n.property
        allowed = known(field, isinstance(n, A.TraitCondition))
        if allowed is None:
            return n
        values = n.value if isinstance(n.value, list) else [n.value]
        bad = [v for v in values if str(v) not in allowed]
        dropped.extend(f"no {field} value {v!r} in this data (known: {', '.join(allowed)}); left out" for v in bad)
        good = [v for v in values if str(v) in allowed]
        if not (bad and good):
            return n  # all unknown: kept, and the check says so
        if n.op in ("in", "not_in") and len(good) > 1:
            return _with(n, value=good)
        return _with(n, value=good[0], op={"in": "=", "not_in": "!="}.get(n.op, n.op))

    changed = _transform(node, edit)
    return (changed, dropped) if dropped else (node, [])
