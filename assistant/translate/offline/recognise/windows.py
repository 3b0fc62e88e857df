"""Windows: which window phrase belongs to a subject, and reading one into a window node (calendar periods
of the as-of date, durations as windows, 'in that time' as the window said before)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A
from grammar.format import window_text as format_window

from ..items import HEADS, Item, Kind

if TYPE_CHECKING:
    from ..context import Builder


def window_near(b: Builder, items: list[Item], idx: int, kinds=(Kind.WINDOW,)) -> Item | None:
    """The window after items[idx] up to the next subject, else the one just before it."""
    for it in items[idx + 1:]:
        if it.kind in (Kind.EVENT, Kind.RANK, Kind.SEGMENT, Kind.TEMPLATE) or (it.kind in (Kind.TRAIT, Kind.CONSENT)):
            break
        if it.kind in kinds and not it.used:
            return it
        if it.kind == Kind.SAME_WINDOW and not it.used and b.last_window is not None:
            it.used = True
            return it.copy(Kind.WINDOW, {"window": b.last_window})
    for it in reversed(items[:idx]):
        if it.kind in HEADS and not (it.kind == Kind.VALUE and not it["trait"]):
            break
        if it.kind in kinds and not it.used:
            return it
    return None


def window_of(b: Builder, item: Item | None) -> A.Node | None:
    """The window node an item stands for (and claims): a window, a calendar period or a duration."""
    if item is None:
        return None
    b.use(item)
    if item.kind in (Kind.WITHIN, Kind.FOR):
        d = item["duration"]
        window = A.InLast(amount=d.amount, unit=d.unit)
    elif item.get("calendar"):
        window = calendar(b, item["calendar"], item.words)
    else:
        window = item["window"]
    b.last_window = window
    return window


def calendar(b: Builder, which: str, words: str) -> A.Node:
    """'this year' / 'this month' / 'last year' as calendar periods of the as-of date."""
    year, month = b.as_of.year, b.as_of.month
    if which == "this_year":
        window: A.Node = A.After(at=f"{year}-01-01")
    elif which == "this_month":
        window = A.After(at=f"{year}-{month:02d}-01")
    else:
        window = A.BetweenDates(start=f"{year - 1}-01-01", end=f"{year - 1}-12-31")
    b.assume(f"'{words}' read as {format_window(window)}")
    return window
