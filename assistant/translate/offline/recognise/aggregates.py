"""Aggregates: 'spent more than 500 in the last year', 'average order value above 80', '3+ distinct
categories', and measure concepts of the catalog: 'lifetime value over 500'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A

from ..items import NUMBERS, Item, Kind
from .concepts import measure_concept
from .events import filters, pick_event
from .windows import window_of

if TYPE_CHECKING:
    from ..context import Builder


def aggregate(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """An aggregate word with the nearest number: 'spent more than 500', 'average order value above 80',
    '3+ distinct categories'; a range makes two bounds."""
    out = _concept_measures(b, items)
    for agg in b.free(items, Kind.AGG):
        idx = items.index(agg)
        cmps = [it for it in items if it.kind in NUMBERS and not it.used]
        if not cmps:
            continue
        cmp = min(cmps, key=lambda c: abs(items.index(c) - idx))
        measurable = ("string", "number") if agg["func"] == "count_distinct" else ("number",)
        prop_item = next((it for it in items[idx + 1:idx + 3] if it.kind == Kind.PROP and not it.used
                          and b.catalog.properties[it["prop"]].type in measurable), None)
        ev_item = next((it for it in items if it.kind == Kind.EVENT and not it.used), None)
        if (agg["func"] == "total" and not agg.get("spend") and prop_item is None and not agg.get("prop")
                and ev_item is not None and items.index(cmp) == items.index(ev_item) - 1):
            b.use(agg)  # "three or more orders in total": the number counts the orders; 'in total' adds nothing
            continue
        event = pick_event(b, ev_item, items) if ev_item else None
        prop = prop_item["prop"] if prop_item else agg.get("prop")
        if event is None:
            event = b.purchase_event(b.events_with(prop) if prop else None)
        if prop is None:
            prop = b.number_property(event)
        if prop is None or prop not in b.catalog.event_properties(event):
            continue
        b.use(agg)
        b.use(prop_item)
        b.use(cmp)
        if agg.get("spend") and not prop_item:
            b.assume(f"'{agg.words}' read as the {agg['func']} {prop} of {event}")
        for dup in b.free(items, Kind.AGG):
            if dup["func"] == agg["func"]:
                b.use(dup)  # "spent ... in total"
        if ev_item:
            ref = filters(b, event, items, items.index(ev_item))
        else:
            ref = filters(b, event, items, idx, before=False)
        window = window_of(b, next(iter(b.free(items, Kind.WINDOW)), None))
        out += _compared(agg.pos, dict(func=agg["func"], property=prop, event=ref, window=window), cmp)
    return out


def _concept_measures(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """A measure concept with the nearest number: 'lifetime value over 500', 'ltv > 2k'."""
    out = []
    for it in b.free(items, Kind.CONCEPT):
        cmps = [c for c in items if c.kind in NUMBERS and not c.used]
        if not it["measure"] or not cmps:
            continue
        idx = items.index(it)
        cmp = b.use(min(cmps, key=lambda c: abs(items.index(c) - idx)))
        m = measure_concept(b, it)
        window = m.window or window_of(b, next(iter(b.free(items, Kind.WINDOW)), None))
        out += _compared(it.pos, dict(func=m.func, property=m.property, event=m.event, window=window), cmp)
    return out


def _compared(pos: int, base: dict, cmp: Item) -> list[tuple[int, A.Condition]]:
    """The aggregate compared as the number phrase says; a range makes two bounds."""
    if cmp.kind == Kind.RANGE:
        return [(pos, A.Aggregate(**base, op=">=", value=cmp["low"])),
                (pos, A.Aggregate(**base, op="<=", value=cmp["high"]))]
    return [(pos, A.Aggregate(**base, op=cmp.get("op", ">="), value=cmp["value"]))]


def share(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'most of their orders were discounted', 'less than half of their orders were shoes': the events that have
    the value, as a share of all of a person's events of that name."""
    out = []
    for it in b.free(items, Kind.SHARE):
        idx = items.index(it)
        ev = next((x for x in items[idx + 1:idx + 2] if x.kind == Kind.EVENT), None)  # maybe a verb's noun
        if ev is None:
            continue
        event = pick_event(b, ev, items)
        ref = filters(b, event, items, items.index(ev), before=False)
        if ref.where is None:  # 'most of their orders' and nothing said about them: no share
            ev.used = False
            continue
        b.use(it)
        window = window_of(b, next(iter(b.free(items, Kind.WINDOW)), None))
        out.append((it.pos, A.Share(event=ref, window=window, op=it["op"], value=it["value"])))
    return out
