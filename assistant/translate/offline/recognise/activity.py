"""Patterns of activity: regular ('in at least 3 of the last 4 months'), stopped ('used to open the app but
stopped') and restarted ('came back after a gap of 60 days')."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A

from ..items import Item, Kind
from .events import event_for, filters, pick_event
from .windows import window_of

if TYPE_CHECKING:
    from ..context import Builder


def regular(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'ordered in at least 3 of the last 4 months', 'every week for the last 6 weeks'."""
    out = []
    for it in b.free(items, Kind.REGULAR):
        ev, j = event_for(items, items.index(it))
        if ev is None:
            continue
        b.use(it)
        event = pick_event(b, ev, items)
        ref = filters(b, event, items, j)
        out.append((ev.pos, A.Regular(event=ref, min_periods=it["k"], periods=it["n"], unit=it["unit"])))
    return out


def stopped(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'used to open the app but stopped', 'no longer buys': did it before, not for a duration (30 days
    when none is said)."""
    markers = b.free(items, (Kind.USED_TO, Kind.STOPPED))
    if not markers:
        return []
    ev, j = event_for(items, items.index(markers[0]))
    if ev is None:
        return []
    for m in markers:
        b.use(m)
    event = pick_event(b, ev, items)
    for other in b.free(items, Kind.EVENT):  # "used to open emails but have not opened one"
        if event in other["events"]:
            b.use(other)
    for neg in b.free(items, Kind.NEG):
        b.use(neg)
    dur = next(iter(b.free(items, (Kind.FOR, Kind.WINDOW))), None)
    if dur is not None and dur.kind == Kind.WINDOW and not isinstance(dur["window"], (A.InLast, A.MoreThanAgo)):
        dur = None
    if dur is None:
        duration = A.Duration(amount=30, unit="day")
        b.assume(f"'{markers[0].words}' with no duration read as stopped for 30 days")
    else:
        b.use(dur)
        w = dur["duration"] if dur.kind == Kind.FOR else dur["window"]
        duration = A.Duration(amount=w.amount, unit=w.unit)
    return [(ev.pos, A.Stopped(event=filters(b, event, items, j), duration=duration))]


def restarted(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'came back to the app after a gap of 60 days': an occurrence after a gap, in an optional window."""
    markers = b.free(items, Kind.RESTARTED)
    gaps = b.free(items, (Kind.GAP, Kind.GAP_NOT))
    if not markers or not (gaps or b.free(items, Kind.FOR)):
        return []
    ev, j = event_for(items, items.index(markers[0]))
    if ev is None:
        return []
    at = items.index(markers[0])
    before = next((k for k in range(at - 1, -1, -1) if items[k].kind == Kind.EVENT and not items[k].used), None)
    if before is not None and j > at and set(items[before]["events"]) & set(ev.get("verb_events", ev["events"])):
        ev, j = items[before], before  # "opened the app again after 30 days without opening it": the app
    for m in markers + gaps:
        b.use(m)
    event = pick_event(b, ev, items)
    for other in b.free(items, Kind.EVENT):
        if event in other.get("verb_events", other["events"]):  # the same thing said again
            b.use(other)
    gap = next((g for g in gaps if g.kind == Kind.GAP), None) or next(iter(b.free(items, Kind.FOR)), None)
    if gap is None:
        return []
    b.use(gap)
    window = next(iter(b.free(items, Kind.WINDOW)), None)
    node = A.Restarted(event=filters(b, event, items, j), gap=gap["duration"], window=window_of(b, window))
    return [(ev.pos, node)]
