"""Ranks: 'top 10% by lifetime value', 'the 100 biggest spenders', 'the 200 people who opened the app the
most', and the per-contact measure they rank by."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from grammar import ast as A

from ..context import NotUnderstood
from ..items import Item, Kind
from .concepts import measure_concept
from .events import filters, pick_event
from .windows import window_of

if TYPE_CHECKING:
    from ..context import Builder


def measure_after(b: Builder, items: list[Item], start: int) -> A.Measure | None:
    """A per-contact measure from the items after `start`: a measure concept, 'number of orders',
    'app opens in the last 30 days', 'distinct product categories'."""
    rest = [it for it in items[start:] if not it.used]
    concept = next((it for it in rest[:3] if it.kind == Kind.CONCEPT and it["measure"]), None)
    if concept is not None:
        return measure_concept(b, concept)
    agg = next((it for it in rest[:3] if it.kind == Kind.AGG), None)
    event_item = next((it for it in rest[:4] if it.kind == Kind.EVENT), None)
    prop_item = next((it for it in rest[:4] if it.kind == Kind.PROP), None)
    event = pick_event(b, event_item, items) if event_item else None
    if agg is not None:
        b.use(agg)
        func = agg["func"]
        if prop_item is not None:
            b.use(prop_item)
        prop = prop_item["prop"] if prop_item else None
        if event is None:
            event = b.purchase_event(b.events_with(prop) if prop else None)
        if prop is None:
            prop = b.number_property(event) if func != "count_distinct" else None
        if prop is None:
            return None
        if agg.get("spend") and not prop_item:
            b.assume(f"'{agg.words}' read as the {func} {prop} of {event}")
        # "electronics spend", "spend on shoes": the values said with the measure are of what it sums
        at = items.index(agg)
        ref = filters(b, event, items, at) if event_item is None else A.EventRef(name=event)
        return A.Measure(func=func, property=prop, event=ref)
    if event is not None:
        for c in b.free(items, Kind.COUNT_OF):
            b.use(c)
        return A.Measure(func="count", event=filters(b, event, items, items.index(event_item), before=False))
    if prop_item is not None and b.catalog.properties[prop_item["prop"]].type == "number":
        b.use(prop_item)
        event = b.purchase_event(b.events_with(prop_item["prop"]))
        b.assume(f"'{prop_item.words}' read as the total {prop_item['prop']} of {event}")
        return A.Measure(func="total", property=prop_item["prop"], event=A.EventRef(name=event))
    return None


def rank(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """A rank phrase (or 'the N people who ... the most') with its measure; lifetime value when none is said."""
    out = []
    for it in b.free(items, Kind.RANK) + people_most(b, items):
        b.use(it)
        idx = items.index(it)
        measure = measure_after(b, items, idx + 1) or measure_before(b, items, idx)
        if measure is None:
            event = b.purchase_event()
            prop = b.number_property(event)
            if prop is None:
                raise NotUnderstood(f"'{it.words}' by what? For example by the number of {event} events.")
            measure = A.Measure(func="total", property=prop, event=A.EventRef(name=event))
            # no measure said: lifetime value is a reading, not what was asked ("top 10%" of what?)
            b.guess(it, f"ranked by what? (read as lifetime value: total {prop} of {event})")
        window = _window_of_measure(items, idx)
        if window is not None:
            measure = measure.model_copy(update={"window": window_of(b, window)})
        for most in b.free(items, Kind.MOST):
            b.use(most)
        _ranked_among(b, items, idx)
        amount = int(it.args.get("amount", it.get("value")))  # a rank phrase, or 'the 200 people ... the most'
        out.append((it.pos, A.Rank(direction=it.get("direction", "top"), amount=amount,
                                   percent=it.get("percent", False), measure=measure)))
    return out


def _ranked_among(b: Builder, items: list[Item], idx: int) -> None:
    """'top 10% of German customers by spend', 'the top 50 spenders in France': who people are, said inside the
    ranked noun, may be whom the ranking is among, which the language cannot say (it ranks everyone, then keeps
    those of the rest of the segment): asked. Said after 'who' ('top 10% by LTV who have email consent') it is
    a condition of its own."""
    rank = items[idx]
    for x in items[idx + 1:]:
        if x.kind in (Kind.EVENT, Kind.CONJ, Kind.NEG, Kind.WINDOW):
            return
        if x.kind in (Kind.CONCEPT, Kind.SEGMENT, Kind.TEMPLATE) or x.kind == Kind.VALUE and x.get("trait"):
            if not re.search(r"\b(?:who|whose|that|which|with|and|but)\b", b.request[rank.end:x.start], re.I) and \
                    not (x.kind == Kind.CONCEPT and x.get("measure")):
                b.guess(x, "ranked among everyone and then kept if so (what the ranking does), or ranked only among "
                           "them?")
            return


def measure_before(b: Builder, items: list[Item], idx: int) -> A.Measure | None:
    """'LTV top 5%', 'revenue top 100': a measure said right before the rank."""
    before = [it for it in items[max(0, idx - 2):idx] if not it.used]
    if any(it.kind == Kind.CONCEPT and it["measure"] or it.kind == Kind.AGG for it in before):
        first = items.index(before[0])
        return measure_after(b, items[:idx], first)
    return None


def _window_of_measure(items: list[Item], idx: int) -> Item | None:
    """The window of the rank's measure: after it, before anything the rank does not measure ('top 5% by spend
    who did not order in 60 days': the 60 days are the order's)."""
    for w in items[idx + 1:]:
        if w.kind in (Kind.NEG, Kind.TRAIT, Kind.CONSENT, Kind.SEGMENT, Kind.TEMPLATE, Kind.CONJ) or (
                w.kind == Kind.EVENT and not w.used) or (w.kind == Kind.VALUE and w["trait"]):
            return None
        if w.kind == Kind.WINDOW and not w.used:
            return w
    return None


def people_most(b: Builder, items: list[Item]) -> list[Item]:
    """'the 200 contacts who used features the most': a whole number before a word for people, with
    'most' later on, is a top-N rank."""
    if not b.free(items, Kind.MOST):
        return []
    return [it for it in items if it.kind == Kind.NUM and not it.used and it.get("people")
            and float(it["value"]).is_integer()]
