"""Rewrite rules about who people are (see rules.py, which runs them in order): CRM filters written as field,
sign and value, places that name a city, words for people before 'every' / 'all' or a negation, and a
property's own name after its values."""

from __future__ import annotations

import difflib
import functools

from .context import Builder
from .items import PEOPLE, Item, Kind
from .text import COUNTRIES


_TRUE = {"true", "yes", "y", "1", "subscribed", "opted-in", "on", "granted"}


_FALSE = {"false", "no", "n", "0", "unsubscribed", "opted-out", "off", "none", "denied"}


_EQUALS = {"=", "==", ":", "is", "equals"}


_FIELD_WORDS = {"type", "status", "field", "flag", "value", "c", "__c", "name", "tier", "code"}


def field_equals(items: list[Item], b: Builder) -> list[Item]:
    """'Email Opt In = false', 'plan = team', 'Country__c != US': a field, a sign and a value, as CRM filters
    are written. The sign between a field and one of its values is read (and '!=' negates); a yes/no after a
    consent sets it. A field's own type words ('Plan Type', 'SMS Status') say nothing more."""
    for i, it in enumerate(items):
        if it.kind not in (Kind.CONSENT, Kind.TRAIT):
            continue
        j = i + 1
        while j < len(items) and items[j].kind in (Kind.UNKNOWN, Kind.STOP) and \
                items[j].words.lower().strip("_") in _FIELD_WORDS:
            j += 1
        last = j + 1 >= len(items) or items[j + 1].kind == Kind.CONJ  # "..., SMS consent no, ...": a bare 'no'
        if it.kind == Kind.CONSENT and j < len(items) and (items[j].kind == Kind.UNKNOWN or items[j].kind == Kind.NEG
                                                           and last) and \
                items[j].words.lower() in _TRUE | _FALSE:  # 'Email Opt In: FALSE' (the colon is no token)
            it.args["value"] = (items[j].words.lower() in _TRUE) == it["value"]
            for k in range(i + 1, j + 1):
                items[k].used = True
            continue
        if j + 1 >= len(items) or items[j].words.lower() not in _EQUALS | {"!=", "<>"}:
            continue
        sign, value = items[j], items[j + 1]
        if it.kind == Kind.TRAIT:  # "Plan != trial": the value of this field, not the event 'trial'
            alt = next((a for a in value.get("alternatives") or []
                        if a.kind == Kind.VALUE and a.get("field") == it["trait"]), None)
            if alt is not None:
                value.become(Kind.VALUE, dict(alt.args))
        spec = b.catalog.traits.get(it["trait"]) if it.kind == Kind.TRAIT else None
        if spec is not None and spec.type == "string" and not spec.closed and sign.words == "=":
            # 'City = Toronto or Vancouver': a field whose values the catalog does not list takes the words said
            for k in range(j + 1, len(items), 2):
                if items[k].kind != Kind.UNKNOWN or not items[k].words[:1].isupper():
                    break
                items[k].become(Kind.VALUE, {"field": it["trait"], "trait": True, "value": items[k].words})
                if not (k + 2 < len(items) and items[k + 1].kind == Kind.CONJ and items[k + 1]["op"] in ("or", ",")):
                    break
            value = items[j + 1]
        negated = sign.words in ("!=", "<>")
        word = value.words.lower()
        if it.kind == Kind.CONSENT and (word in _TRUE | _FALSE or value.kind == Kind.NEG and word == "no"):
            it.args["value"] = (word in _TRUE) != negated if it["value"] else (word not in _TRUE) != negated
            value.used = True
        elif it.kind == Kind.TRAIT and value.kind == Kind.VALUE and value.get("field") == it["trait"]:
            if negated:
                for k in range(i + 1, j):
                    items[k].used = True
                sign.become(Kind.NEG, {})
                items[j], items[i] = items[i], sign  # 'country != US' reads as 'not country US'
                continue
        else:
            continue
        sign.used = True
        for k in range(i + 1, j):
            items[k].used = True
    return items


def property_nouns(items: list[Item], b: Builder) -> list[Item]:
    """'the reports and exports features', 'the shoes category': a property's own name after its values names
    what they are (not the page '/features')."""
    for prev, it in zip(items, items[1:]):
        if prev.kind == Kind.VALUE and not prev.get("trait") and it.kind in (Kind.VALUE, Kind.PROP, Kind.UNKNOWN):
            spec = b.catalog.properties.get(prev["field"])
            names = {prev["field"].replace("_", " "), *(s.lower() for s in (spec.synonyms if spec else []))}
            word = it.words.lower()
            if word in names or word.rstrip("s") in names or word[:-2] in names and word.endswith("es"):
                it.used = True
    return items


def said_of_people(items: list[Item], b: Builder) -> list[Item]:
    """'every customer who bought shoes', 'all users in Spain': 'every' / 'all' before a word for people is
    said of the people, and says nothing (not 'every order was ...'). Read while the words for people are there."""
    for k, (it, nxt) in enumerate(zip(items, items[1:])):
        if nxt.words.lower() == "of" and k + 2 < len(items) and items[k + 2].kind == Kind.EVENT:
            continue  # "all of the orders were discounted": said of the orders
        if it.kind == Kind.ONLY and it.get("each") and (
                nxt.kind in (Kind.STOP, Kind.UNKNOWN, Kind.CONCEPT, Kind.SEGMENT, Kind.TEMPLATE, Kind.VALUE)
                and nxt.words.lower().rstrip("s") in {p.rstrip("s") for p in _PEOPLE_HERE} | {"who", "of"}
                or nxt.kind in (Kind.CONCEPT, Kind.SEGMENT, Kind.TEMPLATE) or nxt.kind == Kind.VALUE and nxt.get("trait")):
            it.used = True
    return items


def pronoun_subjects(items: list[Item], b: Builder) -> list[Item]:
    """'..., and they are not unsubscribed': a negation said of 'they' speaks of everyone in the segment again
    (an exclusion before it has ended; see clauses.combine)."""
    for it, nxt in zip(items, items[1:]):
        if it.kind == Kind.STOP and it.words.lower() in ("they", "these", "those", "all") and nxt.kind == Kind.NEG:
            nxt.args["subject"] = True
    return items


_RESIDE = {"live", "lives", "living", "based", "located", "resident", "residents", "reside", "resides", "residing"}


def residence(items: list[Item], b: Builder) -> list[Item]:
    """'live in Austin', 'based in Germany': the verb of residence says only where; a capitalised name after it
    that no catalog value claims is a city when the catalog has a city trait (said as an assumption)."""
    city = next((t for t, spec in b.catalog.traits.items() if spec.type == "string" and
                 ({"city", "town"} & {t, *(s.lower() for s in spec.synonyms)})), None)
    for i, it in enumerate(items[:-2]):
        people = it.kind in (Kind.STOP, Kind.UNKNOWN) and it.words.lower() in _PEOPLE_HERE  # "ppl in London"
        if not (it.kind == Kind.UNKNOWN and it.words.lower() in _RESIDE or people) or \
                items[i + 1].words.lower() != "in":
            continue
        name = items[i + 2]
        if people and (name.kind != Kind.UNKNOWN or not name.words[:1].isupper()):
            continue
        if name.kind in (Kind.VALUE, Kind.TRAIT) and name.get("trait", True):
            it.become(Kind.STOP, {"text": it.words})
            continue
        run = []
        for x in items[i + 2:i + 5]:  # "Salt Lake City": a capitalised word of the name may be a catalog word
            if x.kind not in (Kind.UNKNOWN, Kind.TRAIT) or not x.words[:1].isupper() or \
                    not x.words.replace(".", "").isalpha() or (x.kind == Kind.TRAIT and not run):
                break
            run.append(x)
        if city is None or not run or _country_like(" ".join(x.words for x in run)):
            continue  # "in Brasil", "in Nigeria": a country the catalog does not list stays open, not a city
        value = " ".join(x.words for x in run)
        it.become(Kind.STOP, {"text": it.words})
        run[0].become(Kind.VALUE, {"field": city, "trait": True, "value": value})
        run[0].words, run[0].end = value, run[-1].end
        for x in run[1:]:
            x.become(Kind.STOP, {"text": x.words})
        k = i + 2 + len(run)
        while k + 1 < len(items) and items[k].kind == Kind.CONJ and items[k]["op"] in ("or", ",") and \
                items[k + 1].kind == Kind.UNKNOWN and items[k + 1].words[:1].isupper() and \
                items[k + 1].words.isalpha():  # "London or Manchester": more names of the same kind
            items[k + 1].become(Kind.VALUE, {"field": city, "trait": True, "value": items[k + 1].words})
            value += f", {items[k + 1].words}"
            k += 2
        if people:  # "ppl in London": may be a city, a state or a region (no verb of residence): asked
            b.guess(run[0], f"a {city}? (the catalog lists no {city} names)")
        else:
            b.assume(f"'{value}' read as a {city}")
    return items


@functools.lru_cache(maxsize=1)
def _country_names() -> list[str]:
    """Country names (the `holidays` package's registry of countries, plus the phrasing table's names)."""
    from holidays import registry

    return sorted({k.replace("_", " ") for k in registry.COUNTRIES} | {n for ns in COUNTRIES.values() for n in ns})


def _country_like(name: str) -> bool:
    """A country's name, or a typo of one ('Brasil', 'Columbia'): a letter changed, added or left out."""
    name = name.lower()
    return any(abs(len(c) - len(name)) <= 1 and difflib.SequenceMatcher(None, name, c).ratio() >= 0.8
               for c in difflib.get_close_matches(name, _country_names(), n=3, cutoff=0.8))


# Words for people before where they are: "ppl in London or Manchester", "anyone in Lyon".
_PEOPLE_HERE = PEOPLE | {"ppl", "folks", "everyone", "anyone", "everybody", "anybody", "persons", "those", "subscribers"}
