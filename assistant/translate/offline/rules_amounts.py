"""Rewrite rules about how much (see rules.py, which runs them in order): counts said as words or ordinals,
alternatives ('once or twice'), totals that count or are denied, and money spent on one order or on what."""

from __future__ import annotations

from grammar import ast as A

from .context import Builder
from .items import Item, Kind


_ORDINALS = {"second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5}


def ordinal_counts(items: list[Item], b: Builder) -> list[Item]:
    """'placed a second order', 'no third purchase yet': an ordinal before an event is a count of at least that
    many (negated: fewer)."""
    for it, nxt in zip(items, items[1:]):
        n = _ORDINALS.get(it.words.lower())
        if it.kind == Kind.UNKNOWN and n and nxt.kind == Kind.EVENT:
            it.become(Kind.COUNT, {"count": A.Count(op="at_least", n=n)})
    return items


def counted_in_total(items: list[Item], b: Builder) -> list[Item]:
    """'5+ orders in total': a total after a counted noun is the count's, over all time, not an amount."""
    words = [x for x in items if x.kind != Kind.STOP]
    for num, noun, agg in zip(words, words[1:], words[2:]):
        if num.kind in (Kind.CMP, Kind.NUM) and noun.kind == Kind.EVENT and noun.words.lower().endswith("s") and \
                agg.kind == Kind.AGG and agg.get("func") == "total" and not agg.get("spend") and \
                agg.words.lower() != "total":
            agg.used = True
    return items


def crm_field_names(items: list[Item], b: Builder) -> list[Item]:
    """'Total Orders >= 3', 'Order Count between 2 and 4', 'Last Purchase Date older than 1 year': a CRM field
    named after an event. 'Total' before a plural event noun, or 'Count' after the event, is the number of them;
    'Date' after the first or last one is its time."""
    words = [x for x in items if x.kind != Kind.STOP]
    for prev, it, nxt in zip([None, *words], words, [*words[1:], None]):
        if it.kind == Kind.AGG and it.get("func") == "total" and not it.get("spend") and nxt is not None and \
                nxt.kind == Kind.EVENT and nxt.words.lower().endswith("s"):
            it.become(Kind.COUNT_OF, {})
        if it.kind == Kind.UNKNOWN and it.words.lower() in ("date", "dt", "timestamp", "time") and \
                prev is not None and prev.kind == Kind.EVENT and any(
                    x.kind == Kind.WHICH for x in words[max(0, words.index(prev) - 2):words.index(prev)]):
            it.used = True
    for i in range(1, len(items)):  # 'Order Count between 2 and 4': the number of orders
        if items[i].kind == Kind.UNKNOWN and items[i].words.lower() in ("count", "number") and \
                items[i - 1].kind == Kind.EVENT:
            items[i].become(Kind.COUNT_OF, {})
            items[i - 1], items[i] = items[i], items[i - 1]
    return items


def not_the_total(items: list[Item], b: Builder) -> list[Item]:
    """'an order of more than 500 (one order, not their total)': a total said only to be denied, with nothing
    after it, says that the amount is each event's own, which the property comparison already is."""
    words = [x for x in items if x.kind != Kind.STOP]
    for i in range(len(words) - 1):
        neg, agg = words[i], words[i + 1]
        rest = words[i + 2:]
        if (neg.kind == Kind.NEG and agg.kind == Kind.AGG and agg.get("func") == "total" and not agg.get("spend")
                and (not rest or rest[0].kind == Kind.CONJ) and any(
                    x.kind == Kind.CMP for x in words[:i])):
            neg.used = agg.used = True
            b.assume(f"'{neg.words} {agg.words}' read as: each one on its own, not added up")
    return items


def spent_on_it(items: list[Item], b: Builder) -> list[Item]:
    """'ordered on Monday and spent over $100 on it': money spent 'on it' is the amount of that one event, not a
    total over all of them; which one is meant stays an open point. Read while the pronoun is still there."""
    for i, it in enumerate(items):
        if it.kind != Kind.AGG or not it.get("spend"):
            continue
        tail = [x.words.lower() for x in items[i + 1:i + 5]]
        if any(a == "on" and c in ("it", "them", "that", "those") for a, c in zip(tail, tail[1:])):
            b.guess(it, "the total of all of them, or the amount of the one said before?")
    return items


def paid_for_what(items: list[Item], b: Builder) -> list[Item]:
    """'never paid full price', 'paid with the app': a word of spending followed by what was bought or how
    (a value of the purchase event) and no amount is the purchase itself, not a total."""
    purchase = b.purchase_event()
    if purchase is None:
        return items
    props = b.catalog.event_properties(purchase)
    for k, (it, nxt) in enumerate(zip(items, items[1:])):
        ranked = any(x.kind == Kind.RANK for x in items[max(0, k - 2):k])  # "top 10% by spend on shoes": a measure
        if it.kind == Kind.AGG and it.get("spend") and it.words.lower() in ("paid", "spent", "spend", "pay") and \
                not ranked and nxt.kind == Kind.VALUE and not nxt.get("trait") and nxt.get("field") in props:
            it.become(Kind.EVENT, {"events": [purchase]})
    return items


def spent_on_one(items: list[Item], b: Builder) -> list[Item]:
    """'never spent more than $60 on a single order', 'spent over 200 in one order': money spent on one event is
    that event's amount, not a total. Read while the small words ('a single', 'one') are there."""
    purchase = b.purchase_event()
    for i, it in enumerate(items):
        if it.kind != Kind.AGG or not it.get("spend") or purchase is None:
            continue
        rest = items[i + 1:i + 7]
        if not rest or rest[0].kind != Kind.CMP:
            continue
        small = []
        for x in rest[1:]:
            if x.kind == Kind.EVENT and purchase in x.get("events", []):
                if {w.words.lower() for w in small} & {"single", "one", "each", "any", "individual"}:
                    it.become(Kind.EVENT, {"events": [purchase]})
                    x.used = True
                    for w in small:
                        w.used = True
                break
            if x.kind == Kind.VALUE and not x.get("trait"):
                continue  # "on a single flower order": what was bought stays the order's
            if x.kind not in (Kind.STOP, Kind.UNKNOWN, Kind.NUM):
                break
            small.append(x)
    return items


def count_restated(items: list[Item], b: Builder) -> list[Item]:
    """'many times (three or more)', 'a few orders (2+)': a number in parentheses right after a count says
    the count exactly."""
    for it, nxt in zip(items, items[1:]):
        if it.kind == Kind.COUNT and nxt.kind == Kind.CMP and "(" in b.request[it.end:nxt.start] and \
                float(nxt["value"]).is_integer() and nxt["op"] in (">=", ">", "="):
            n = int(nxt["value"]) + (1 if nxt["op"] == ">" else 0)
            it.args["count"] = A.Count(op="exactly" if nxt["op"] == "=" else "at_least", n=n)
            it.args.pop("note", None)
            nxt.used = True
    return items


_HIGHEST = {"highest", "largest", "biggest", "greatest", "most"}
_LOWEST = {"lowest", "smallest", "least"}


def superlative_ranks(items: list[Item], b: Builder) -> list[Item]:
    """'the 20 people with the highest single order': a number of people and a superlative measure are a
    ranking (top 20 by the largest order), not a comparison with 20."""
    for i, it in enumerate(items):
        if it.kind != Kind.NUM or not it.get("people") or not float(it["value"]).is_integer():
            continue
        for nxt in items[i + 1:i + 6]:
            word = nxt.words.lower()
            if nxt.kind == Kind.AGG and word in _HIGHEST | _LOWEST:
                it.become(Kind.RANK, {"direction": "top" if word in _HIGHEST else "bottom",
                                      "amount": int(it["value"]), "percent": False})
                break
            if nxt.kind not in (Kind.STOP, Kind.UNKNOWN):
                break
    return items


def count_alternatives(items: list[Item], b: Builder) -> list[Item]:
    """'once or twice', '2 or 3 times': two exact counts joined by 'or' are one count between them."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        trio = items[i:i + 3]
        if len(trio) == 3 and trio[1].kind == Kind.CONJ and trio[1]["op"] == "or" and trio[2].kind == Kind.COUNT:
            low, high = _exact(trio[0]), _exact(trio[2])
            if low is not None and high is not None and low < high:
                trio[0].become(Kind.COUNT, {"count": A.Count(op="between", n=low, m=high)})
                trio[0].words, trio[0].end = f"{trio[0].words} or {trio[2].words}", trio[2].end
                trio[1].used = trio[2].used = True
                out.append(trio[0])
                i += 3
                continue
        out.append(items[i])
        i += 1
    return out


def _exact(it: Item) -> int | None:
    """The n of an exact count ('twice', '3 times') or of a bare number before one ('2 or 3 times')."""
    if it.kind == Kind.COUNT and it["count"] is not None and it["count"].op == "exactly":
        return it["count"].n
    if it.kind == Kind.COUNT and it["count"] is None:
        return 1  # 'once' (at least once) in 'once or twice'
    if it.kind == Kind.NUM and float(it["value"]).is_integer():
        return int(it["value"])
    return None
