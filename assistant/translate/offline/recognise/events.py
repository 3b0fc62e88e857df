"""Events and their property filters: one event for an event item (narrowed by the properties the clause
mentions), the values, comparisons and text matches that filter it, and the event nearest a marker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A

from ..edit import filter_and
from ..items import Item, Kind

if TYPE_CHECKING:
    from ..context import Builder


def pick_event(b: Builder, item: Item, items: list[Item]) -> str:
    """One event for an event item; several candidates are narrowed by the properties the clause
    mentions, else the first is taken and said so."""
    b.use(item)
    candidates = item["events"]
    # "opened push notifications in May but nothing since": a bare verb means the event of it said before
    said = [e for e in item.get("verb_events", candidates) if e in b.said_events]
    named = item.get("candidates") and len(candidates) == 1  # "opens our emails": its noun says which
    if len(said) == 1 and not named and (said[0] not in candidates or len(candidates) > 1):
        b.assume(f"'{item.words}' read as {said[0]}, said before")
        return said[0]
    if len(candidates) == 1:
        b.said_events.add(candidates[0])
        return candidates[0]
    idx = items.index(item)
    props = set()
    for it in items[idx + 1:]:
        if it.kind in (Kind.EVENT, Kind.TRAIT):
            break
        if it.kind == Kind.VALUE and not it["trait"]:
            props.add(it["field"])
        elif it.kind == Kind.PROP:
            props.add(it["prop"])
        elif it.kind == Kind.TEXT:
            props.add("__text__")
    narrowed = [e for e in candidates if {p for p in props if p != "__text__"} <= set(b.catalog.event_properties(e))]
    chosen = (narrowed or candidates)[0]
    if len(narrowed) != 1:
        others = ", ".join(e for e in candidates if e != chosen)
        b.assume(f"'{item.words}' read as {chosen} (could also be {others})")
    return chosen


def filters(b: Builder, event: str, items: list[Item], idx: int, before: bool = True) -> A.EventRef:
    """Property conditions for the event at items[idx]: values, comparisons and text matches after it
    (up to the next subject), and values just before it ('discounted shoes')."""
    props = b.catalog.event_properties(event)
    parts: list[A.Filter] = []
    span = []
    for it in items[idx + 1:]:
        if it.kind in (Kind.EVENT, Kind.TRAIT, Kind.CONSENT, Kind.SEGMENT, Kind.TEMPLATE, Kind.RANK, Kind.AGG, Kind.THEN,
                       Kind.WHICH, Kind.REGULAR, Kind.USED_TO, Kind.STOPPED, Kind.RESTARTED, Kind.NEG):
            break
        span.append(it)
    if before:
        for it in reversed(items[:idx]):
            if it.used or it.kind not in (Kind.VALUE, Kind.PROP):
                break
            span.insert(0, it)
    pending_prop: str | None = None
    for it in span:
        if it.used:
            continue
        if it.kind == Kind.VALUE and not it["trait"] and it["field"] in props:
            b.use(it)
            v = it["value"]
            cond = A.PropertyCondition(property=it["field"], op="in" if isinstance(v, list) else "=", value=v)
            if cond not in parts:  # "the Weekly Newsletter ... the newsletter": one filter
                parts.append(cond)
        elif it.kind == Kind.PROP and it["prop"] in props:
            b.use(it)
            if b.catalog.properties[it["prop"]].type == "boolean":
                parts.append(A.PropertyCondition(property=it["prop"], op="=", value=True))
            else:
                pending_prop = it["prop"]
        elif it.kind in (Kind.CMP, Kind.RANGE) and (pending_prop or b.number_property(event)):
            prop = pending_prop if pending_prop and b.catalog.properties[pending_prop].type == "number" \
                else b.number_property(event)
            if prop is None:
                continue
            b.use(it)
            if it.kind == Kind.RANGE:
                parts += [A.PropertyCondition(property=prop, op=">=", value=it["low"]),
                          A.PropertyCondition(property=prop, op="<=", value=it["high"])]
            else:
                parts.append(A.PropertyCondition(property=prop, op=it["op"], value=it["value"]))
        elif it.kind == Kind.TEXT:
            prop = pending_prop or text_property(b, event, str(it["value"]))
            if prop is None:
                continue
            b.use(it)
            parts.append(A.PropertyCondition(property=prop, op=it["op"], value=it["value"]))
    return A.EventRef(name=event, where=filter_and(parts))


def text_property(b: Builder, event: str, text: str) -> str | None:
    """Which text property 'containing X' is about: one whose sample values contain X, else the first
    open (not closed) text property of the event."""
    props = [p for p in b.catalog.event_properties(event) if b.catalog.properties[p].type == "string"]
    for p in props:
        if any(text.lower() in str(v).lower() for v in b.catalog.properties[p].values):
            return p
    open_props = [p for p in props if not b.catalog.properties[p].closed]
    return (open_props or props or [None])[0]


def event_for(items: list[Item], idx: int) -> tuple[Item | None, int]:
    """The nearest unused event item to items[idx], preferring the one after it. A word read as
    something else but also naming an event ('the app') counts when no plain event is there."""
    def is_event(it: Item) -> bool:
        return it.kind == Kind.EVENT and not it.used

    if not any(is_event(it) for it in items):
        for it in items:
            alt = next((a for a in it.get("alternatives", []) if a.kind == Kind.EVENT), None)
            if alt is not None and not it.used:
                it.become(Kind.EVENT, dict(alt.args))
    after = [j for j in range(idx + 1, len(items)) if is_event(items[j])]
    before = [j for j in range(idx - 1, -1, -1) if is_event(items[j])]
    j = (after or before or [None])[0]
    return (items[j], j) if j is not None else (None, -1)
