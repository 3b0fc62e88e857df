"""did / did not EVENT, with a count ('3+ orders', 'exactly once', 'between 2 and 5 times') and a window."""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

from grammar import ast as A
from grammar.algebra import negate

from ..items import NUMBERS, PEOPLE, Item, Kind
from .events import filters, pick_event
from .windows import window_near, window_of

if TYPE_CHECKING:
    from ..context import Builder


def did(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Every unused event: did / did not EVENT with its filters, count and window."""
    out = []
    for ev in list(b.free(items, Kind.EVENT)):
        if ev.used:
            continue
        idx = items.index(ev)
        event = pick_event(b, ev, items)
        neg = b.neg_before(items, idx)
        count = count_for(b, items, idx)
        window_item = window_near(b, items, idx, kinds=(Kind.WINDOW, Kind.WITHIN, Kind.FOR))
        ref = filters(b, event, items, idx)
        zero = count is not None and count.n == 0 and count.op in ("exactly", "at_most")  # "opened zero times"
        window = window_of(b, window_item)
        node: A.Condition = A.Did(event=ref, count=None if zero else count, window=window)
        only = _only(b, items, idx)
        if only is not None and ref.where is not None and not neg and not zero:
            # "only ever bought electronics": electronics, and nothing else
            b.use(only)
            only.args["exclusive"] = True  # read: an 'every' that restates it is no open question (clauses)
            if window is None and b.last_done is not None and b.last_done[0] == ref.name:
                # "ordered 3+ times this year and every single order was over 40": the orders said before
                window = b.last_done[1]
                node = node.model_copy(update={"window": window})
            other = A.EventRef(name=ref.name, where=negate(ref.where))
            node = A.And(conditions=[node, A.Not(condition=A.Did(event=other, window=window))])
        elif zero and not neg:
            node = A.Not(condition=node)
        elif neg and zero:
            b.use(neg)
            if re.search(r"\((?:[^()]*\W)?(?:zero|0|none)\b[^()]*\)", b.request, re.I):
                node = A.Not(condition=node)  # "never ordered (zero orders)": the zero says the negation again
            # else "never opened the app zero times": not zero times, so at least once
        elif neg:
            b.use(neg)
            node = A.Not(condition=node)
        if isinstance(node, A.Not) and _since(window_item):
            # "haven't bought since Labor Day" is said of lapsed buyers and of people who never bought alike
            # (real requests use both): read as written, and the read-back says who that includes
            b.assume(f"'not {ref.name} since' includes people who never did {ref.name} (say 'did it before, but not "
                     "since' for those who did)")
        if window is not None and ref.where is None and not neg:
            b.last_done = (ref.name, window)
        out.append((ev.pos, node))
    return out


_COUNTING = {"counting", "count", "counted", "including", "considering", "include", "consider"}
_SUBJECT = {"who", "that", "which", "whose", *PEOPLE}


def _only(b: Builder, items: list[Item], idx: int) -> Item | None:
    """An unused 'only' right before the event ('only ever bought', 'who only buy') or right after it, before
    what it was done to ('bought only shoes')."""
    for j in range(idx - 1, -1, -1):
        if items[j].kind == Kind.ONLY and not items[j].used:
            # "counting only orders over $10": what is counted, not what else people did; "in Germany only who
            # bought": said of the place
            between = b.request[items[j - 1].end:items[j].start] if j else ""
            said_of_before = j and (items[j - 1].words.lower() in _COUNTING or (items[j - 1].kind in (
                Kind.TRAIT, Kind.CONSENT, Kind.CONCEPT, Kind.SEGMENT) or items[j - 1].get("trait")) and not
                re.search(r"\b(?:who|that|which|whose)\b", between, re.I))
            return None if said_of_before else items[j]
        if items[j].kind not in (Kind.EVER, Kind.STOP) or items[j].words.lower() in _SUBJECT:
            break  # "every customer who bought shoes": 'every' is said of the people
    # "bought only shoes", "orders were all discounted", "bought this season but only with a discount"
    for nxt in items[idx + 1:idx + 4]:
        if nxt.kind == Kind.ONLY and not nxt.used:
            return nxt
        if nxt.kind not in (Kind.STOP, Kind.WINDOW, Kind.COUNT):
            break
    return None


def _since(window: Item | None) -> bool:
    """A window said with 'since' (a date, a named day, the start of a period), not one counted back from a
    person's own date ('since they signed up' is anchored and has no before)."""
    return window is not None and window.kind == Kind.WINDOW and window.words.lower().startswith("since ") \
        and not window.get("anchor")


def count_for(b: Builder, items: list[Item], idx: int) -> A.Count | None:
    """'3 times' after the event, or '3+' / 'more than 2' / 'between 2 and 5' right before it; 'number of
    orders over 5' / 'Total Orders between 2 and 4': the bound after a counted event."""
    before = items[idx - 1] if idx else None
    if before is not None and before.kind == Kind.COUNT_OF and not before.used:
        for it in items[idx + 1:]:
            if it.kind in (Kind.EVENT, Kind.TRAIT, Kind.CONSENT, Kind.NEG, Kind.CONJ):
                break
            if it.kind in (Kind.CMP, Kind.RANGE, Kind.NUM) and not it.used:
                b.use(before)
                return as_count(b, it)
    for it in items[idx + 1:]:
        if it.kind in (Kind.EVENT, Kind.TRAIT, Kind.CONSENT, Kind.THEN, Kind.NEG):
            break
        if it.kind == Kind.COUNT and not it.used:
            b.use(it)
            return it["count"]
        if it.get("count_for_noun") and not it.used:
            return as_count(b, it)
    nxt = items[idx + 1] if idx + 1 < len(items) else None
    each = before is not None and before.kind == Kind.ONLY and before.get("each")  # "every order was > 20": its amount
    # "orders >= 2", "cart_added > 1": a comparison sign right after what people did counts it (an amount is
    # said with its property or its currency: "amount > 50", "orders > $50")
    if (nxt is not None and not each and nxt.kind == Kind.CMP and not nxt.used and nxt.words[:1] in "<>=" and
            "$" not in nxt.words and float(nxt["value"]).is_integer()):
        return as_count(b, nxt)
    # "received eleven or more": a bound that ends the clause right after an event with no number to compare
    if (nxt is not None and nxt is items[-1] and nxt.kind == Kind.CMP and not nxt.used and
            float(nxt["value"]).is_integer() and not any(b.number_property(e) for e in items[idx].get("events", []))):
        return as_count(b, nxt)
    for it in reversed(items[:idx]):
        if it.used:
            continue
        if it.kind == Kind.COUNT:
            b.use(it)
            return it["count"]
        if it.kind in NUMBERS:
            return as_count(b, it)
        if it.kind not in (Kind.VALUE, Kind.PROP, Kind.NEG, Kind.AGG):
            break
    return None


def as_count(b: Builder, it: Item) -> A.Count | None:
    """A number phrase before an event noun as a count: '3+ orders', 'more than 2 orders'."""
    b.use(it)
    if it.kind == Kind.RANGE:
        return A.Count(op="between", n=int(it["low"]), m=int(it["high"]))
    n = int(it["value"])
    op = it.get("op", "=")
    if op in (">=", ">"):
        n = n + 1 if op == ">" else n
        return A.Count(op="at_least", n=n) if n > 1 else None
    if op in ("<=", "<"):
        return A.Count(op="at_most", n=n - 1 if op == "<" else n)
    return A.Count(op="exactly", n=n)
