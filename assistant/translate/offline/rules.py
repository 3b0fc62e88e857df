"""Rewrite rules of the build stage: small passes over the items of a whole request, run in order before it
is split into clauses (the way sqlglot's optimizer runs its RULES). Each takes the items and the builder and
returns the items to read on; most re-read an item in place (`Item.become`) or claim words that belong to
another item."""

from __future__ import annotations

from typing import Callable

from grammar import ast as A

from .context import Builder
from .items import NUMBERS, PEOPLE, Item, Kind
from .lexicon import consent_subject
from .rules_amounts import (count_alternatives, count_restated, counted_in_total, crm_field_names, not_the_total,
                            ordinal_counts, paid_for_what, spent_on_it, spent_on_one, superlative_ranks)
from .rules_people import field_equals, property_nouns, pronoun_subjects, residence, said_of_people

Rule = Callable[[list[Item], Builder], list[Item]]


def resolve_alternatives(items: list[Item], b: Builder) -> list[Item]:
    """A word that is both an event and a trait value ('trial'): the value when it reads as one
    ('on the trial plan', 'trial users')."""
    for i, it in enumerate(items):
        values = [a for a in it.get("alternatives", []) if a.kind == Kind.VALUE]
        if it.kind != Kind.EVENT or not values:
            continue
        prev = items[i - 1] if i else None
        nxt = items[i + 1] if i + 1 < len(items) else None
        alt = values[0]
        as_value = (prev is not None and prev.kind == Kind.STOP and prev.words.lower() in ("on", "in")) or (
            nxt is not None and ((nxt.kind == Kind.TRAIT and nxt["trait"] == alt["field"])
                                 or (nxt.kind == Kind.STOP and nxt.words.lower() in PEOPLE)
                                 or (nxt.kind == Kind.CONJ and nxt["op"] == "or")))
        if as_value:
            it.become(Kind.VALUE, dict(alt.args))
    return items


_RELATIVE = {"who", "that", "which", "whom"}


def windows_before_who(items: list[Item], b: Builder) -> list[Item]:
    """'new signups from this week who haven't opened the app': a window between who people are and 'who' is
    said of them, not of the verb after 'who'. Read while 'who' is there."""
    for k in range(1, len(items) - 1):
        it, nxt = items[k], items[k + 1]
        if it.kind != Kind.WINDOW or nxt.kind != Kind.STOP or nxt.words.lower() not in _RELATIVE:
            continue
        prev = next((x for x in reversed(items[:k]) if x.kind != Kind.STOP), None)
        if prev is not None and prev.kind in (Kind.SEGMENT, Kind.TEMPLATE, Kind.CONCEPT, Kind.TRAIT):
            it.args["of_before"] = True
    return items
_MEASURED = (Kind.RANK, Kind.AGG, Kind.SHARE, Kind.MOST, Kind.COUNT_OF)


def relative_clauses(items: list[Item], b: Builder) -> list[Item]:
    """'top 5% by spend who opened an email this week', 'customers with over $500 lifetime spend that haven't
    purchased in 3 months': a relative clause after a measure states a condition of its own. Read as 'and', so
    its verb, its negation and its window stay its own instead of being taken by the measure before it."""
    start = 0
    for i, it in enumerate(items):
        if it.kind == Kind.CONJ:
            start = i + 1
            continue
        if it.kind != Kind.STOP or it.words.lower() not in _RELATIVE:
            continue
        end = next((k for k in range(i + 1, len(items)) if items[k].kind == Kind.CONJ), len(items))
        measured = any(x.kind in _MEASURED or (x.kind == Kind.CONCEPT and x.get("measure")) for x in items[start:i])
        if measured and any(x.kind == Kind.EVENT for x in items[i + 1:end]):
            it.become(Kind.CONJ, {"op": "and"})
            start = i + 1
    return items


def mark_silent(items: list[Item], b: Builder) -> list[Item]:
    """Stop words and 'ever' say nothing: used. A number before a word for people counts people ('the 200
    contacts who ...'), not events."""
    for i, it in enumerate(items):
        if it.kind in (Kind.STOP, Kind.EVER):
            it.used = True
        if it.kind == Kind.NUM and i + 1 < len(items) and items[i + 1].kind == Kind.STOP and \
                items[i + 1]["text"] in PEOPLE:
            it.args["people"] = True
    return items


def dangling_before(items: list[Item], b: Builder) -> list[Item]:
    """'bought before, ...', 'ordered twice before and ...': a 'before' with no date or event after it (the
    clause ends) says only that it happened at some time, like 'ever'. Read while stop words are still
    there: 'before that' has an object."""
    for i, it in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (it.kind == Kind.UNKNOWN and it.words.lower() == "before" and
                (nxt is None or nxt.kind == Kind.CONJ) and
                any(x.kind in (Kind.EVENT, Kind.COUNT, Kind.CONCEPT) for x in items[max(0, i - 3):i])):
            it.become(Kind.EVER, {})
    return items


_PRONOUNS = {"it", "them", "one", "ones", "those", "that"}
_PARTICLES = {"through", "on", "in", "at", "out", "back", "up", "into"}


def pronoun_objects(items: list[Item], b: Builder) -> list[Item]:
    """'got the Weekly Newsletter but didn't open it': a pronoun object names what the event before it was done
    to, so the second event takes the first one's property values (those it has: a campaign, a url). Read while
    the pronoun (a stop word) is still there."""
    out = list(items)
    for i, it in enumerate(items[:-1]):
        # "didn't open it", "haven't opened a single one of them": the pronoun among the small words after the verb
        after = []
        for x in items[i + 1:i + 6]:  # "clicked through on any of them": a verb's particle too
            if x.kind not in (Kind.STOP, Kind.NUM) and x.words.lower() not in _PARTICLES:
                break
            after.append(x)
        nxt = next((x for x in after if x.words.lower() in _PRONOUNS), None)
        if nxt is None and i + 2 < len(items) and items[i + 1].words.lower() == "none":  # "opened none of them"
            nxt = next((x for x in items[i + 2:i + 4] if x.words.lower() in _PRONOUNS), None)
        if it.kind != Kind.EVENT or nxt is None:
            continue
        _named_before(it, items[:i], b)
        props = {p for e in it["events"] for p in b.catalog.event_properties(e)}
        before = [x for x in items[:i] if x.kind == Kind.EVENT and not x.get("noun")]  # the verb, not its noun
        if not before:
            continue
        start = items.index(before[-1])
        values = [x for x in items[start + 1:i] if x.kind == Kind.VALUE and not x["trait"] and x["field"] in props]
        values += [x for k in range(start + 1, i - 1) if items[k].kind == Kind.PROP and items[k]["prop"] in props
                   and items[k + 1].kind == Kind.CMP for x in items[k:k + 2]]  # "priced over 200"
        # the window of what 'it' was ('got 10 emails this month but opened none of them'), unless one is said
        rest = items[i + 1:]
        own = any(x.kind == Kind.WINDOW for x in rest[:next((k for k, x in enumerate(rest) if x.kind == Kind.CONJ),
                                                           len(rest))])
        # (only when both events act on the same kind of thing: they share a property)
        shared = props & {p for e in before[-1]["events"] for p in b.catalog.event_properties(e)}
        never = i and items[i - 1].kind == Kind.NEG and items[i - 1].words.lower() == "never"  # at any time
        windows = [] if own or not shared or never else [x for x in items[start + 1:i] if x.kind == Kind.WINDOW][-1:]
        if values or windows:
            at = out.index(it) + 1
            out[at:at] = [v.copy(args={**v.args, "pronoun": True}) for v in values + windows]
            if nxt.kind == Kind.NUM:
                nxt.become(Kind.STOP, {"text": nxt.words})
    return out


def _named_before(verb: Item, before: list[Item], b: Builder) -> None:
    """'lapsed app users - used to open it': a bare verb whose object is a pronoun does it to the thing named
    before, which may be an event's noun or a concept's ('app users': did app_opened)."""
    choices = verb.get("verb_events") or []
    if len(choices) < 2:
        return
    for x in reversed(before):
        concept = b.catalog.concepts[x["name"]].node if x.kind == Kind.CONCEPT else None
        named = x["events"] if x.kind == Kind.EVENT else [n.name for n in A.walk(concept) if isinstance(n, A.EventRef)]
        hit = [e for e in named if e in choices]
        if len(hit) == 1:
            verb.args["events"] = hit
            return


def shortened_names(items: list[Item], b: Builder) -> list[Item]:
    """'the Weekly Newsletter ... the newsletter': a value said again by part of its name is that value, not
    another field's value of that word (the newsletter form)."""
    for i, it in enumerate(items):
        if it.kind != Kind.VALUE or it["trait"]:
            continue
        words = set(it.words.lower().split())
        for y in items[:i]:
            if y.kind == Kind.VALUE and not y["trait"] and y["value"] != it["value"] and \
                    words < set(y.words.lower().split()):
                it.become(Kind.VALUE, dict(y.args))
                break
    return items


def first_time_after(items: list[Item], b: Builder) -> list[Item]:
    """'started a trial for the first time last week': 'for the first time' after its verb says which occurrence,
    as 'first' before it would; it moves before the verb, where the occurrence recogniser reads it."""
    out = list(items)
    for it in items:
        if it.kind != Kind.WHICH or "time" not in it.words.lower():
            continue
        at = out.index(it)
        verb = next((j for j in range(at - 1, -1, -1) if out[j].kind == Kind.EVENT), None)
        if verb is not None and not any(x.kind in (Kind.CONJ, Kind.NEG) for x in out[verb:at]):
            out.insert(verb, out.pop(at))
    return out


def negative_objects(items: list[Item], b: Builder) -> list[Item]:
    """'bought nothing in the last 5 months': a negative object negates the verb before it, as 'did not buy'
    would. With no verb before it ('..., and nothing since May') it stays for the clause's ellipsis."""
    out = list(items)
    concord: list[Item] = []
    for i in range(1, len(out)):
        it = out[i]
        if it.kind != Kind.NEG or not (it.get("object") or it.words.lower() == "none" or (
                it.words.lower() == "no" and out[i - 1].kind == Kind.EVENT and b.neg_before(out, i - 1))):
            continue  # "never opened no email": a 'no' after a negated verb is said of its object
        j = i - 1
        while j > 0 and out[j].get("pronoun"):  # what a pronoun carried over sits between the verb and 'none'
            j -= 1
        if out[j].kind == Kind.EVENT and not out[j].used:
            if b.neg_before(out, j) is not None:
                # "never added nothing to the cart": one negation said twice (as many languages say it), not two
                it.used = True
                concord.append(it)
                b.assume(f"'{it.words}' after a negation read as the same negation: not anything")
                continue
            out.insert(j, out.pop(i))
    return [x for x in out if all(x is not c for c in concord)]  # gone: 'added ... to the cart' meet again


def not_even_once(items: list[Item], b: Builder) -> list[Item]:
    """"haven't opened the app once", 'never once clicked': 'once' under a negation is 'even once', so the
    negation is 'never', not 'not exactly once'."""
    for i, it in enumerate(items):
        if it.kind != Kind.COUNT or it.used or it.words.lower() not in ("once", "one time", "a single time") or \
                it["count"] != A.Count(op="exactly", n=1):
            continue
        verb = next((j for j in range(i - 1, -1, -1) if items[j].kind in (Kind.EVENT, Kind.CONJ, Kind.NEG)), None)
        directly = verb is not None and items[verb].kind == Kind.NEG  # "never once clicked"
        if directly or verb is not None and items[verb].kind == Kind.EVENT and b.neg_before(items, verb) is not None:
            it.used = True
            b.assume(f"'{it.words}' under a negation read as 'even once': never")
    return items


def trailing_bounds(items: list[Item], b: Builder) -> list[Item]:
    """'6 orders or more', '2 visits or fewer': 'or more' after the counted noun bounds the number before it."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        it = items[i]
        four = items[i:i + 4]
        if (len(four) == 4 and it.kind == Kind.NUM and (four[1].kind == Kind.EVENT or _noun_events(four[1]))
                and four[2].kind == Kind.CONJ
                and four[2]["op"] == "or" and four[3].words.lower() in ("more", "fewer", "less")):
            it.become(Kind.CMP, {**it.args, "op": ">=" if four[3].words.lower() == "more" else "<="})
            four[2].used = four[3].used = True
            out += four[:2]
            i += 4
            continue
        out.append(it)
        i += 1
    return out


def event_is_null(items: list[Item], b: Builder) -> list[Item]:
    """'subscription_started IS NULL', 'Last Email Open Date is empty': an event said to be missing never
    happened; said to be set, it did."""
    for i in range(len(items) - 1):
        it, nxt = items[i], items[i + 1]
        if it.kind == Kind.EVENT and nxt.kind == Kind.IS_SET:
            if nxt["negated"]:
                nxt.become(Kind.NEG, {})
                items[i], items[i + 1] = nxt, it
            else:
                nxt.used = True
    return items


def within_of_that(items: list[Item], b: Builder) -> list[Item]:
    """'downloaded content and within 7 days of that submitted the form': 'of that' is the step said before, so
    the within is a sequence step's (not anchored on the verb after it). Read while 'that' is there."""
    for k, (it, nxt) in enumerate(zip(items, items[1:])):
        after = items[k + 2] if k + 2 < len(items) else None  # "of that view": a determiner, the view is named
        if it.kind == Kind.WITHIN and it.get("anchor_next") and nxt.kind == Kind.STOP and \
                nxt.words.lower() in ("that", "it", "this", "then", "those", "these", "them") and \
                not (after is not None and after.kind == Kind.EVENT and _is_noun(after) and
                     nxt.words.lower() in ("that", "this", "those", "these")):
            it.args.pop("anchor_next")
            it.args["step"] = True
    return items


def _is_noun(it: Item) -> bool:
    """An event's word used as a thing ('that view', 'that order'), not as a verb ('that they submitted')."""
    return bool(it.get("noun")) or not it.words.lower().split()[0].endswith(("ed", "ing"))


def listed_segments(items: list[Item], b: Builder) -> list[Item]:
    """'regular buyers, one-time buyers': saved segments listed with a comma alone may be audiences put together
    (either) or narrowed by each other (both): asked."""
    names = (Kind.SEGMENT, Kind.TEMPLATE)
    for prev, it, nxt in zip(items, items[1:], items[2:]):
        if prev.kind in names and it.kind == Kind.CONJ and it["op"] == "," and nxt.kind in names:
            b.guess(nxt, "in both of them, or in either of them?")
    return items


def drop_used(items: list[Item], b: Builder) -> list[Item]:
    """Only unused items read on."""
    return [it for it in items if not it.used]


def merge_value_lists(items: list[Item], b: Builder) -> list[Item]:
    """'Germany or Austria', 'shoes, apparel or home' -> one value item holding a list ('brazil + india' too:
    a plus between two values of one field lists them)."""
    for prev, it, nxt in zip(items, items[1:], items[2:]):
        if it.kind == Kind.UNKNOWN and it.words == "+" and prev.kind == nxt.kind == Kind.VALUE and \
                prev["field"] == nxt["field"]:
            it.become(Kind.CONJ, {"op": "or"})
    # "in Germany France and Spain": two values of one trait with nothing between them are listed too
    listed: list[Item] = []
    for it in items:
        prev = listed[-1] if listed else None
        if prev is not None and prev.kind == it.kind == Kind.VALUE and prev["trait"] and it["trait"] and \
                prev["field"] == it["field"] and not b.request[prev.end:it.start].strip():
            listed.append(Item(Kind.CONJ, it.pos, ",", {"op": ","}, start=prev.end, end=prev.end))
        listed.append(it)
    items = listed
    out: list[Item] = []
    i = 0
    while i < len(items):
        it = items[i]
        if it.kind == Kind.VALUE:
            values = [it["value"]]
            j = i
            ops = []
            while True:
                # "Spain, France, or Italy": a serial comma before the last connective joins the same list
                serial = (j + 3 < len(items) and items[j + 1].kind == Kind.CONJ and items[j + 1]["op"] == ","
                          and items[j + 2].kind == Kind.CONJ and items[j + 2]["op"] in ("or", "and"))
                k = j + 2 if serial else j + 1
                if not (k + 1 < len(items) and items[k].kind == Kind.CONJ and items[k]["op"] in ("or", ",", "and")
                        and items[k + 1].kind == Kind.VALUE and items[k + 1]["field"] == it["field"]):
                    break
                ops.append(items[k]["op"])
                if items[k + 1]["value"] not in values:
                    values.append(items[k + 1]["value"])
                if serial:
                    items[j + 1].used = True
                j = k + 1
            if "and" in ops and not it["trait"] and "or" not in ops:
                out.append(it)  # "bought shoes and apparel": two conditions
                i += 1
                continue
            if "and" in ops and "or" not in ops and b.said_both(it):
                # "on both the pro and the team plan": said of one contact, which no one is
                b.guess(it, f"either of them? (a contact has one {it['field']}, so no one has both)")
            elif "and" in ops and "or" not in ops:
                b.assume(f"'{' and '.join(str(v) for v in values)}' read as either of them "
                            f"(a contact has one {it['field']})")
            for k in range(i + 1, j + 1):
                items[k].used = True
            if len(values) > 1:
                it.args["value"] = values
                it.end = items[j].end
            out.append(it)
            i = j + 1
            continue
        out.append(it)
        i += 1
    return out


def share_consent(items: list[Item], b: Builder) -> list[Item]:
    """'email or SMS consent', 'opted in to email and sms': a bare subject joined to a consent phrase
    by and/or is the consent of that subject too."""
    subjects = {consent_subject(t): t for t, spec in b.catalog.traits.items()
                if spec.type == "boolean" and consent_subject(t)}
    for i in range(len(items) - 2):
        trio = items[i:i + 3]
        if trio[1].kind != Kind.CONJ or trio[1]["op"] not in ("and", "or"):
            continue
        for bare, consent in ((trio[0], trio[2]), (trio[2], trio[0])):
            trait = subjects.get(bare.words.lower())
            if consent.kind == Kind.CONSENT and trait and bare.kind != Kind.CONSENT and trait != consent["trait"]:
                bare.become(Kind.CONSENT, {"trait": trait, "value": consent["value"]})
    return items


def elided_concepts(items: list[Item], b: Builder) -> list[Item]:
    """'email or SMS subscribers': a bare subject joined to a consent concept by and/or is that subject's
    consent. What follows the pair may describe both or only the last, which the clauses cannot tell: a guess."""
    subjects = {consent_subject(t): t for t, spec in b.catalog.traits.items()
                if spec.type == "boolean" and consent_subject(t)}
    for i in range(len(items) - 2):
        bare, conj, concept = items[i:i + 3]
        node = b.catalog.concepts[concept["name"]].node if concept.kind == Kind.CONCEPT else None
        trait = subjects.get(bare.words.lower())
        if (conj.kind != Kind.CONJ or conj["op"] not in ("and", "or") or trait is None
                or not isinstance(node, A.TraitCondition) or node.trait not in subjects.values() or node.trait == trait):
            continue
        bare.become(Kind.CONSENT, {"trait": trait, "value": node.value})
        if any(it.kind != Kind.STOP for it in items[i + 3:]):
            b.guess(concept, f"does what follows apply to both '{bare.words}' and '{concept.words}'?")
    return items


def measured_properties(items: list[Item], b: Builder) -> list[Item]:
    """'average price', 'different features': after an aggregate word a word is the property measured
    (not a value that shares it). '3 or more product categories': a number before a plural text
    property counts its distinct values."""
    for prev, it in zip(items, items[1:]):
        prop = next((a for a in it.get("alternatives", []) if a.kind == Kind.PROP), None)
        if prev.kind == Kind.AGG and it.kind == Kind.VALUE and prop is not None:
            it.become(Kind.PROP, dict(prop.args))
        elif (prev.kind in NUMBERS and it.kind == Kind.PROP and it.words.lower().endswith("s")
              and b.catalog.properties[it["prop"]].type == "string"):
            it.become(Kind.AGG, {"func": "count_distinct", "prop": it["prop"]})
    return items


def retarget_verbs(items: list[Item], b: Builder) -> list[Item]:
    """'looked at the pricing page': a verb whose event has no property for the value that follows it means
    the event of the same action that has one (product_viewed -> page_viewed: both 'viewed', only one has
    a url), or else the one event that has it ('opened dashboards': a feature is feature_used's)."""
    for it, nxt in zip(items, items[1:]):
        if it.kind != Kind.EVENT or it.used or len(it["events"]) != 1 or nxt.kind != Kind.VALUE or nxt["trait"]:
            continue
        event = it["events"][0]
        verb = event.split("_")[-1]
        if nxt["field"] in b.catalog.event_properties(event) or any(
                e.split("_")[-1] == verb for e in _noun_events(nxt)):  # 'opened a push': absorb_nouns reads it
            continue
        kin = [e for e in b.catalog.events if e != event and e.split("_")[-1] == verb
               and nxt["field"] in b.catalog.event_properties(e)]
        owners = b.events_with(nxt["field"])
        if len(kin) == 1:
            it.args["events"] = kin
        elif not kin and len(owners) == 1:
            # "never opened dashboards": only feature_used has a feature, whatever verb says how it was used
            it.args["events"] = owners
            b.assume(f"'{it.words} {nxt.words}' read as {owners[0]}: {nxt.words} is a {nxt['field']} only it has")
    return items


def verbs_of_properties(items: list[Item], b: Builder) -> list[Item]:
    """'never used a discount on any order', 'got a discount': a verb whose event cannot have the property
    named right after it is the event that can ('used' is feature_used, but a discount is an order's): the
    verb says how, the property's event what. An event named after the property is that event (absorbed)."""
    for it, nxt in zip(items, items[1:]):
        if it.kind != Kind.EVENT or it.used or it.get("noun") or nxt.kind != Kind.PROP or \
                any(nxt["prop"] in b.catalog.event_properties(e) for e in it["events"]):
            continue
        owners = b.events_with(nxt["prop"])
        if len(owners) == 1:
            it.args.setdefault("candidates", it["events"])
            it.args["events"] = owners
    return items


def absorb_nouns(items: list[Item], b: Builder) -> list[Item]:
    """'opened ... emails', 'added ... to the cart', 'started a subscription': a noun naming the event
    of the verb before it belongs to that verb (and narrows it: 'viewed products' -> product_viewed).
    A number right before the noun is the count ('opened at most 2 emails')."""
    verb: Item | None = None
    for i, it in enumerate(items):
        if it.get("pronoun"):
            continue  # what a pronoun carried ('added any of that to cart') stands between the verb and its noun
        if it.kind in (Kind.CONJ, Kind.THEN, Kind.NEG, Kind.WINDOW, Kind.WITHIN, Kind.WHICH, Kind.USED_TO, Kind.STOPPED,
                       Kind.RESTARTED, Kind.REGULAR, Kind.COUNT, Kind.RANK, Kind.AGG, Kind.SHARE):
            verb = None  # "buyers where most of their orders ...": the noun after a share is the share's
            continue
        nouns = _noun_events(it)
        if it.kind == Kind.EVENT and verb is not None and set(it["events"]) <= set(verb["events"]):
            nouns = it["events"]  # "added ... to the cart": the same event named twice
        prev = items[i - 1] if i else None
        after_value = (prev is not None and prev.kind == Kind.VALUE and not prev["trait"] and verb is not None
                       and any(prev["field"] in b.catalog.event_properties(e) for e in verb["events"]))
        # a value the verb's event can take is that value ("viewed shoes in the app"), not the noun of one
        own_value = it.kind == Kind.VALUE and verb is not None and not it["trait"] and any(
            it["field"] in b.catalog.event_properties(e) for e in verb["events"])
        if verb is not None and nouns and after_value and not own_value:
            it.used = True  # "home products", "the Black Friday email": the noun of a value
            _counts_the_noun(items, i)
            continue
        # "opened ... push notifications": the noun may name another event of the same verb
        of_verb = verb.get("verb_events") or verb["events"] if verb is not None else []
        if verb is not None and nouns and (set(nouns) & set(of_verb)):
            verb.args.setdefault("candidates", verb["events"])
            verb.args["events"] = [e for e in of_verb if e in nouns]
            it.used = True
            _counts_the_noun(items, i)
            continue
        if it.kind == Kind.EVENT and not it.get("noun"):
            verb = it
    return items


def _counts_the_noun(items: list[Item], i: int) -> None:
    """'3+ orders', 'more than two home orders': a number before an absorbed noun (past its values) counts it."""
    k = i - 1
    while k > 0 and items[k].kind == Kind.VALUE and not items[k]["trait"]:
        k -= 1
    if items[k].kind in NUMBERS and not items[k].used and not items[k].get("pronoun"):  # not a carried price
        items[k].args["count_for_noun"] = True


def anchored_events(items: list[Item], b: Builder) -> list[Item]:
    """'within 30 days after their trial started': a within said before one event becomes a window anchored on
    that event (the person's first one); a bare verb naming several events stays open."""
    for a, w, e in zip(items, items[1:], items[2:]):
        if a.kind == Kind.WITHIN and a.get("anchor_next") and w.kind == Kind.WHICH and w["which"] == "first" \
                and e.kind == Kind.EVENT:
            w.used = True  # "within 30 days of their first app open": an anchor is the person's first one already
    items = [it for it in items if not (it.kind == Kind.WHICH and it.used)]
    for i, it in enumerate(items[:-1]):
        nxt = items[i + 1]
        if it.kind != Kind.WITHIN or not it.get("anchor_next") or nxt.kind != Kind.EVENT or nxt.used:
            continue
        obj = items[i + 2] if i + 2 < len(items) else None
        if len(nxt["events"]) > 1 and obj is not None and obj.kind == Kind.EVENT and not obj.used and \
                set(obj["events"]) < set(nxt["events"]):
            # "within 2 weeks of starting their trial": the verb's object says which of its events
            nxt.args["events"] = [e for e in nxt["events"] if e in obj["events"]]
            nxt.words, nxt.end, obj.used = f"{nxt.words} {obj.words}", max(nxt.end, obj.end), True
        # the steps said before the within's own verb (the last verb before it), each a verb with its nouns
        verbs: list[int] = []  # "added it to the cart": the cart names the adding again, one step
        for k in range(i):
            if items[k].kind == Kind.EVENT and not items[k].get("noun") and not (
                    verbs and set(items[k]["events"]) <= set(items[verbs[-1]]["events"])):
                verbs.append(k)
        said = [[x for x in items[k:verbs[n + 1]] if x.kind == Kind.EVENT] for n, k in enumerate(verbs[:-1])]
        said = [set().union(*(set(x["events"]) for x in step)) for step in said]
        if said and not set(nxt["events"]) & said[-1] and any(set(nxt["events"]) & step for step in said):
            # "received the email. Not the ones who opened it, and not who bought within 3 days of receiving it":
            # the anchor is an event said earlier, not the step just before: which one is open
            b.guess(it, f"within {it['duration'].amount} {it['duration'].unit}s of which '{nxt.words}'?")
            nxt.used = True
            continue
        if said and set(nxt["events"]) & said[-1]:
            # "added to cart and didn't order within a day of adding": the anchor is the step said before, so
            # the within is a sequence step's
            it.args.pop("anchor_next")
            it.args["step"] = True  # clauses.split glues its clause to the one before: a sequence
            nxt.used = True
            continue
        if len(nxt["events"]) != 1:
            b.guess(it, f"within {it['duration'].amount} {it['duration'].unit}s of which '{nxt.words}'?")
            continue
        d = it["duration"]
        it.become(Kind.WINDOW, {"window": A.Anchored(amount=d.amount, unit=d.unit, anchor=nxt["events"][0])})
        it.words = f"{it.words} {nxt.words}"
        it.end = max(it.end, nxt.end)
        nxt.used = True
    return items


def elided_verbs(items: list[Item], b: Builder) -> list[Item]:
    """'started a trial or a subscription': the verb is said once for both objects, so a noun joined to the
    verb's object by or/and names the event of that verb too (subscription_started, not the plan trait)."""
    for i, it in enumerate(items[:-2]):
        conj, obj = items[i + 1], items[i + 2]
        if it.kind != Kind.EVENT or it.get("noun") or conj.kind != Kind.CONJ or conj["op"] not in ("or", "and") \
                or obj.used or obj.kind == Kind.EVENT:
            continue
        verbs = {e.split("_")[-1] for e in it.get("candidates", it["events"])}
        nouns = [e for e in _noun_events(obj) if e.split("_")[-1] in verbs and e not in it["events"]]
        if len(nouns) == 1:
            obj.become(Kind.EVENT, {"events": nouns})
    return items


def _noun_events(it: Item) -> list[str]:
    if it.kind == Kind.EVENT and it.get("noun"):
        return it["events"]
    if it.kind in (Kind.TRAIT, Kind.PROP, Kind.VALUE):
        return [e for a in it.get("alternatives", []) if a.kind == Kind.EVENT for e in a["events"]]
    return []


RULES: tuple[Rule, ...] = (
    resolve_alternatives,  # first, while stop words are there: 'on the trial plan' is a value by its 'on'
    relative_clauses,      # 'top 5% by spend who opened ...': while 'who' is there, before rules read neighbours
    windows_before_who,    # 'new signups from this week who ...': likewise
    residence,             # 'live in Austin': while 'in' is still there
    shortened_names,       # 'the Weekly Newsletter ... the newsletter': one value, before a pronoun carries it
    pronoun_objects,       # "didn't open it": while the pronoun is still there
    spent_on_it,           # "spent over $100 on it": also while the pronoun is there
    spent_on_one,          # "spent over $60 on a single order": while 'a single' is there
    field_equals,          # 'Email Opt In = false': while 'is' and the field's own words are there
    pronoun_subjects,      # 'and they are not ...': while 'they' is there
    said_of_people,        # 'every customer who ...': while the word for people is there
    property_nouns,        # 'exports features': after the values are known, before anything reads the noun
    not_the_total,         # '(one order, not their total)': while the stop words that end it are there
    counted_in_total,      # '5+ orders in total': before anything reads the total
    crm_field_names,       # 'Total Orders >= 3': likewise
    within_of_that,        # 'within 7 days of that': while 'that' is there
    dangling_before,       # before mark_silent: 'before that' has an object, 'bought before, ...' has none
    mark_silent,           # before drop_used: 'the 200 contacts who' needs the stop word it then drops
    superlative_ranks,     # 'the 20 people with the highest ...': after mark_silent says the 20 are people
    drop_used,             # from here on neighbours are words that mean something ('France or the Netherlands')
    event_is_null,         # 'subscription_started IS NULL': the event and what is said of it are neighbours now
    ordinal_counts,        # 'a second order': the ordinal right before its event
    negative_objects,      # 'bought nothing': the negation goes before its verb, where every recogniser looks
    not_even_once,         # "haven't opened it once": after negative_objects put each negation before its verb
    trailing_bounds,       # '6 orders or more': before anything reads the number
    count_alternatives,    # 'once or twice': before the split reads its 'or'
    count_restated,        # 'many times (three or more)': before anything reads the number
    first_time_after,      # 'started a trial for the first time': 'first' before its verb
    paid_for_what,         # 'never paid full price': before anything reads 'paid' as a total
    anchored_events,       # 'within 30 days after their trial started': the event is the window's anchor
    listed_segments,       # 'regular buyers, one-time buyers': while the comma between them is there
    merge_value_lists,     # 'Germany or Austria' is one item before any rule reads items around a connective
    share_consent,         # reads 'email or SMS consent' trios: needs the connectives, which split consumes
    elided_concepts,       # the same for 'email or SMS subscribers'
    measured_properties,   # before absorb_nouns, which would take 'price' (also an event's noun) from the verb
    retarget_verbs,        # 'looked at the pricing page': the viewing of a page, before nouns are absorbed
    verbs_of_properties,   # 'used a discount': the event whose property it is, before its noun is absorbed
    absorb_nouns,          # needs the final kind of every word around a verb ('opened ... emails')
    elided_verbs,          # after absorb_nouns: 'started a trial or a subscription' shares the verb
    drop_used,             # absorbed nouns and merged list values leave before the split into clauses
)
