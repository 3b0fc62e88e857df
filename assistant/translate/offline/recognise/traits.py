"""Traits and values: 'in Germany', 'on the trial plan', 'opted in to email', 'signed up this week',
'birthday in the next 7 days', 'email is set'; and property values with no event ('people who like shoes')."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar import ast as A

from ..context import NotUnderstood
from ..edit import filter_and
from ..items import Item, Kind
from ..text import VAGUE_WORDS
from .events import filters
from .windows import window_near, window_of

if TYPE_CHECKING:
    from ..context import Builder


def traits(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Consent phrases, trait values and traits (with what follows them), each negated by a 'not' before it."""
    out = []
    for it in b.free(items, (Kind.CONSENT, Kind.TRAIT, Kind.VALUE)):
        if it.used or (it.kind == Kind.VALUE and not it["trait"]):
            continue
        idx = items.index(it)
        node = _trait(b, it, items, idx)
        if node is None:
            continue
        out.append((it.pos, b.negated_if_preceded(node, items, idx)))
    return out


def _trait(b: Builder, it: Item, items: list[Item], idx: int) -> A.Condition | None:
    """One trait condition: a consent, a value ('trial plan'), or a trait with its window, value, presence,
    text match or comparison; a bare trait is 'is set' (true for a yes/no trait)."""
    if it.kind == Kind.CONSENT:
        b.use(it)
        return A.TraitCondition(trait=it["trait"], op="=", value=it["value"])
    if it.kind == Kind.VALUE:
        b.use(it)
        for t in items[idx + 1:idx + 2]:  # "trial plan": the trait word itself
            if t.kind == Kind.TRAIT and t["trait"] == it["field"]:
                b.use(t)
        v = it["value"]
        return A.TraitCondition(trait=it["field"], op="in" if isinstance(v, list) else "=", value=v)
    name = it["trait"]
    spec = b.catalog.traits[name]
    rest = []
    for x in items[idx + 1:]:
        if x.kind in (Kind.EVENT, Kind.TRAIT, Kind.CONSENT, Kind.SEGMENT, Kind.TEMPLATE, Kind.RANK) or (
                x.kind == Kind.VALUE and not (x["trait"] and x["field"] == name)):
            break
        rest.append(x)
    rest = [x for x in rest if not x.used]
    b.use(it)
    if spec.type in ("date", "timestamp"):
        w = next((x for x in rest if x.kind == Kind.WINDOW), None) or window_near(b, items, idx)
        if w is None:
            return A.TraitCondition(trait=name, op="is_set") if _presence(b, rest) is not False else \
                A.TraitCondition(trait=name, op="is_not_set")
        window = window_of(b, w)
        if "birth" in it.words.lower() or "anniversar" in it.words.lower():
            if w.get("bare") and isinstance(window, A.InLast):
                window = A.InNext(amount=window.amount, unit=window.unit)
            if isinstance(window, (A.InLast, A.InNext)):
                return A.Anniversary(trait=name, direction="last" if isinstance(window, A.InLast) else "next",
                                     amount=window.amount, unit=window.unit)
            if window == A.CalendarPeriod(which="this", period="day"):  # "birthday today": its day this year
                return A.Anniversary(trait=name, direction="next", amount=1, unit="day")
            if isinstance(window, (A.CalendarPeriod, A.NamedPeriod)):
                # "birthdays this month", "birthday in December": a day of every year, which the language says
                # only as the next or last N days; read as a date (born then), and asked
                b.guess(w, "born then, or their birthday then (say 'birthday in the next 30 days')?")
        return A.TraitTime(trait=name, window=window)
    for x in rest:
        if x.kind == Kind.VALUE:
            b.use(x)
            v = x["value"]
            return A.TraitCondition(trait=name, op="in" if isinstance(v, list) else "=", value=v)
        if x.kind == Kind.IS_SET:
            b.use(x)
            return A.TraitCondition(trait=name, op="is_not_set" if x["negated"] else "is_set")
        if x.kind == Kind.TEXT:
            b.use(x)
            return A.TraitCondition(trait=name, op=x["op"], value=str(x["value"]))
        if x.kind == Kind.EQUALS and spec.type == "string":
            b.use(x)
            return A.TraitCondition(trait=name, op="=", value=str(x["value"]))
        if x.kind == Kind.CMP and spec.type == "number":
            b.use(x)
            return A.TraitCondition(trait=name, op=x["op"], value=x["value"])
    if spec.type == "boolean":
        return A.TraitCondition(trait=name, op="=", value=True)
    before = items[idx - 1] if idx else None
    if before is not None and before.kind == Kind.UNKNOWN and before["text"] in VAGUE_WORDS:
        # "the right plan" names no value: ask which rather than read it as "plan is set"
        known = f" ({', '.join(map(str, spec.values))})" if spec.values else ""
        raise NotUnderstood(f"Which {name} is the '{before.words}' one{known}?")
    # a bare trait word ('emailing', 'subscription') may be no condition at all: read as "is set" and asked
    # about, unless a negation says presence ('without an email address')
    b.assume(f"'{it.words}' read as {name} is set")
    if b.neg_before(items, idx) is None:
        b.guess(it, f"a condition on {name} (is set), or part of something else")
    return A.TraitCondition(trait=name, op="is_set")


def _presence(b: Builder, rest: list[Item]) -> bool | None:
    """'is set' (True) / 'is missing' (False) among the words after a trait, or None."""
    for x in rest:
        if x.kind == Kind.IS_SET:
            b.use(x)
            return not x["negated"]
    return None


# A value of a property this many events or fewer carry has a natural event to read it with ('shoes': the
# purchase); past it, the event is a guess.
_FEW_EVENTS = 3


def property_values(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """Property values with no event ('people who like shoes'): the purchase event if it has the
    property, else the first event that does; said as an assumption."""
    out = []
    for it in b.free(items, Kind.VALUE):
        if it.used or it["trait"]:
            continue
        events = b.events_with(it["field"])
        if not events:
            continue
        event = b.purchase_event(events) if b.purchase_event() in events else events[0]
        idx = items.index(it)
        v = it["value"]
        b.use(it)
        cond = A.PropertyCondition(property=it["field"], op="in" if isinstance(v, list) else "=", value=v)
        extra = filters(b, event, items, idx, before=False)
        where = filter_and([cond] + ([extra.where] if extra.where else []))
        b.assume(f"'{it.words}' read as {event} where {it['field']} is {v}")
        if len(events) > _FEW_EVENTS:  # a property most events carry ('app', 'email'): the event is a guess
            b.guess(it, f"which event: {', '.join(events[:4])}, ...")
        window = window_of(b, window_near(b, items, idx))
        node = A.Did(event=A.EventRef(name=event, where=where), window=window)
        out.append((it.pos, b.negated_if_preceded(node, items, idx)))
    return out


def tenure(b: Builder, items: list[Item]) -> list[tuple[int, A.Condition]]:
    """'been with us for at least 30 days': a duration no event took as its window is how long people have been
    contacts, read on the catalog's creation time ('more than 30 days ago')."""
    created = b.catalog.contacts.created_at
    if created is None or created not in b.catalog.traits:
        return []
    out = []
    for it in b.free(items, Kind.FOR):
        if it.get("tenure"):
            b.use(it)
            d = it["duration"]
            b.assume(f"'{it.words}' read as {created} more than {d.amount} {d.unit}s ago")
            out.append((it.pos, A.TraitTime(trait=created, window=A.MoreThanAgo(amount=d.amount, unit=d.unit))))
    return out
