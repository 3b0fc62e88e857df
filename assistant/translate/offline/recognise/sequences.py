"""Order in time: sequences ('added to cart, then no order within 1 day') and first / last occurrences
('last order more than 60 days ago')."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A

from ..context import NotUnderstood
from ..items import Item, Kind
from .events import filters, pick_event
from .windows import window_near, window_of

if TYPE_CHECKING:
    from ..context import Builder


def occurrence(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'last order more than 60 days ago', 'first purchase in the last 30 days': first / last with a window."""
    out = []
    for it in b.free(items, Kind.WHICH):
        idx = items.index(it)
        ev = next((x for x in items[idx + 1:idx + 4] if x.kind == Kind.EVENT and not x.used), None)
        if ev is None:
            continue
        j = items.index(ev)
        window = window_near(b, items, j)
        if window is None:
            tail = items[j + 1:]
            if it["which"] == "first" and b.neg_before(items, idx) is not None and not any(
                    x.kind in (Kind.VALUE, Kind.PROP, Kind.CMP, Kind.RANGE, Kind.TEXT) for x in tail):
                b.use(it)  # "haven't made their first purchase": never did, the did recogniser reads it
            continue
        b.use(it)
        event = pick_event(b, ev, items)
        ref = filters(b, event, items, j)
        out.append((it.pos, A.Occurrence(which=it["which"], event=ref, window=window_of(b, window))))
    return out


def sequence(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Two or more events joined by 'then' / 'and didn't' / 'without': the first event (with its window) then
    each later one as a step, negated when a 'not' comes between, with its 'within'."""
    events = [it for it in items if it.kind == Kind.EVENT and not it.used]
    links = [it for it in items if not it.used and (it.kind in (Kind.THEN, Kind.THEN_TAIL) or (
        it.kind == Kind.NEG and (it.get("then") or it.get("without"))) or (it.kind == Kind.WITHIN and it.get("step")))]
    if len(events) < 2 or not links:
        return []
    first = events[0]
    if any(it.kind == Kind.NEG and not it.used for it in items[:items.index(first)]):
        return []
    idx = items.index(first)
    event = pick_event(b, first, items)
    head_window = None
    steps: list[A.SequenceStep] = []
    # the first event's window sits between it and the first link
    for it in items[idx + 1:]:
        if it in links or it.kind == Kind.EVENT:
            break
        if it.kind == Kind.WINDOW and not it.used:
            head_window = window_of(b, it)
    ref = filters(b, event, items, idx)
    for ev in events[1:]:
        j = items.index(ev)
        between = items[idx + 1:j]
        negated = any(it.kind == Kind.NEG and not it.used for it in between)
        for it in between:
            if it.kind in (Kind.THEN, Kind.NEG) and not it.used:
                b.use(it)
        name = pick_event(b, ev, items)
        within_item = next((it for it in items[j + 1:] if it.kind == Kind.EVENT), None)
        stop = items.index(within_item) if within_item else len(items)
        within = next((it for it in items[j + 1:stop] if it.kind == Kind.WITHIN and not it.used), None) or next(
            (it for it in between if it.kind == Kind.WITHIN and it.get("step") and not it.used), None)  # said first
        for tail in items[j + 1:stop]:
            if tail.kind == Kind.THEN_TAIL:
                b.use(tail)
        steps.append(A.SequenceStep(negated=negated, event=filters(b, name, items, j, before=False),
                                    within=b.use(within)["duration"] if within else None))
        idx = j
    for it in links:
        b.use(it)
    if any(s.negated for s in steps[:-1]):
        raise NotUnderstood("A 'did not' step can only be the last step of a sequence. Could you rephrase?")
    return [(first.pos, A.Sequence(event=ref, window=head_window, steps=steps))]
