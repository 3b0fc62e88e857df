"""Build stage of the offline translator: items -> AST. The request is split into clauses on and / or / but /
except; each clause is read by a row of small recognisers, one per capability, that claim the items they
use. Items nobody claims are reported back, never dropped."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.format import window_text as format_window
from grammar.parser import parse

from .lexicon import PURCHASE_WORDS, Item, consent_subject
from .text import VAGUE_WORDS

HEADS = {"event", "trait", "value", "consent", "segment", "template", "segment_name", "rank", "agg"}
PEOPLE = {"people", "customers", "users", "contacts", "members", "accounts", "clients", "shoppers", "buyers"}


class NotUnderstood(Exception):
    """Raised with a clarifying question when a request cannot be read without guessing."""


def negate(node: A.Condition) -> A.Condition:
    """Not(node), written the way a person would: != for =, not in for in, false for true."""
    if isinstance(node, A.Not):
        return node.condition
    if isinstance(node, A.TraitCondition):
        flip = {"=": "!=", "!=": "=", "in": "not_in", "not_in": "in", "is_set": "is_not_set",
                "is_not_set": "is_set", "contains": "not_contains", "not_contains": "contains"}
        if isinstance(node.value, bool) and node.op == "=":
            return node.model_copy(update={"value": not node.value})
        if node.op in flip:
            return node.model_copy(update={"op": flip[node.op]})
    return A.Not(condition=node)


def conjoin(cls: type, parts: list[A.Condition]) -> A.Condition:
    flat: list[A.Condition] = []
    for p in parts:
        flat.extend(p.conditions if isinstance(p, cls) else [p])
    return flat[0] if len(flat) == 1 else cls(conditions=flat)


def filter_and(parts: list[A.Filter]) -> A.Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else A.FilterAnd(conditions=parts)


class Builder:
    def __init__(self, catalog: Catalog, segments: dict[str, str], templates: dict[str, str],
                 as_of: datetime):
        self.catalog = catalog
        self.as_of = as_of
        self.segments = segments
        self.templates = templates
        self.assumptions: list[str] = []
        self.last_window: A.Node | None = None

    # ---- helpers ---------------------------------------------------------------------------------------
    def use(self, item: Item | None) -> Item | None:
        if item is not None:
            item.used = True
            if item.get("note"):
                self.assume(item["note"])
        return item

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)

    def purchase_event(self, candidates: list[str] | None = None) -> str | None:
        """The catalog's purchase event (named or described with buy/order/purchase words)."""
        pool = candidates or list(self.catalog.events)
        for name in pool:
            spec = self.catalog.events[name]
            words = set(name.split("_")) | {w for s in spec.synonyms for w in s.lower().split()}
            if words & PURCHASE_WORDS:
                return name
        return pool[0] if pool else None

    def number_property(self, event: str) -> str | None:
        for prop in self.catalog.event_properties(event):
            if self.catalog.properties[prop].type == "number":
                return prop
        return None

    def events_with(self, prop: str) -> list[str]:
        return [e for e, spec in self.catalog.events.items() if prop in spec.properties]

    # ---- entry -------------------------------------------------------------------------------------------
    def build(self, items: list[Item]) -> A.Condition | None:
        self._resolve_alternatives(items)
        for i, it in enumerate(items):
            if it.kind in ("stop", "ever"):
                it.used = True
            if it.kind == "num" and i + 1 < len(items) and items[i + 1].kind == "stop" and \
                    items[i + 1]["text"] in PEOPLE:
                it.args["people"] = True  # "the 200 contacts who ...": a number of people, not of events
        live = [it for it in items if not it.used]
        live = self._merge_value_lists(live)
        self._share_consent(live)
        self._measured_properties(live)
        self._absorb_nouns(live)
        live = [it for it in live if not it.used]
        clauses = self._split(live)
        return self._combine(clauses)

    def _absorb_nouns(self, items: list[Item]) -> None:
        """'opened ... emails', 'added ... to the cart', 'started a subscription': a noun naming the event
        of the verb before it belongs to that verb (and narrows it: 'viewed products' -> product_viewed).
        A number right before the noun is the count ('opened at most 2 emails')."""
        verb: Item | None = None
        for i, it in enumerate(items):
            if it.kind in ("conj", "then", "neg", "window", "within", "which", "used_to", "stopped", "restarted",
                           "regular", "count", "rank", "agg"):
                verb = None
                continue
            nouns = self._noun_events(it)
            if it.kind == "event" and verb is not None and set(it["events"]) <= set(verb["events"]):
                nouns = it["events"]  # "added ... to the cart": the same event named twice
            prev = items[i - 1] if i else None
            after_value = (prev is not None and prev.kind == "value" and not prev["trait"] and verb is not None
                           and any(prev["field"] in self.catalog.event_properties(e) for e in verb["events"]))
            if verb is not None and nouns and after_value:
                it.used = True  # "home products", "the Black Friday email": the noun of a value
                continue
            if verb is not None and nouns and (set(nouns) & set(verb["events"])):
                verb.args["events"] = [e for e in verb["events"] if e in nouns]
                it.used = True
                prev = items[i - 1]
                if prev.kind in ("cmp", "num", "range") and not prev.used:
                    prev.args["count_for_noun"] = True
                continue
            if it.kind == "event" and not it.get("noun"):
                verb = it

    def _share_consent(self, items: list[Item]) -> None:
        """'email or SMS consent', 'opted in to email and sms': a bare subject joined to a consent phrase
        by and/or is the consent of that subject too."""
        subjects = {consent_subject(t): t for t, spec in self.catalog.traits.items()
                    if spec.type == "boolean" and consent_subject(t)}
        for i in range(len(items) - 2):
            trio = items[i:i + 3]
            if trio[1].kind != "conj" or trio[1]["op"] not in ("and", "or"):
                continue
            for bare, consent in ((trio[0], trio[2]), (trio[2], trio[0])):
                trait = subjects.get(bare.words.lower())
                if consent.kind == "consent" and trait and bare.kind != "consent" and trait != consent["trait"]:
                    bare.kind, bare.args = "consent", {"trait": trait, "value": consent["value"]}

    def _measured_properties(self, items: list[Item]) -> None:
        """'average price', 'different features': after an aggregate word a word is the property measured
        (not a value that shares it). '3 or more product categories': a number before a plural text
        property counts its distinct values."""
        for prev, it in zip(items, items[1:]):
            prop = next((a for a in it.get("alternatives", []) if a.kind == "prop"), None)
            if prev.kind == "agg" and it.kind == "value" and prop is not None:
                it.kind, it.args = "prop", dict(prop.args)
            elif (prev.kind in ("cmp", "num", "range") and it.kind == "prop" and it.words.lower().endswith("s")
                  and self.catalog.properties[it["prop"]].type == "string"):
                it.kind, it.args = "agg", {"func": "count_distinct", "prop": it["prop"]}

    @staticmethod
    def _noun_events(it: Item) -> list[str]:
        if it.kind == "event" and it.get("noun"):
            return it["events"]
        if it.kind in ("trait", "prop", "value"):
            return [e for a in it.get("alternatives", []) if a.kind == "event" for e in a["events"]]
        return []

    def _resolve_alternatives(self, items: list[Item]) -> None:
        """A word that is both an event and a trait value ('trial'): the value when it reads as one
        ('on the trial plan', 'trial users')."""
        for i, it in enumerate(items):
            values = [a for a in it.get("alternatives", []) if a.kind == "value"]
            if it.kind != "event" or not values:
                continue
            prev = items[i - 1] if i else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            alt = values[0]
            as_value = (prev is not None and prev.kind == "stop" and prev.words.lower() in ("on", "in")) or (
                nxt is not None and ((nxt.kind == "trait" and nxt["trait"] == alt["field"])
                                     or (nxt.kind == "stop" and nxt.words.lower() in PEOPLE)
                                     or (nxt.kind == "conj" and nxt["op"] == "or")))
            if as_value:
                it.kind, it.args = "value", dict(alt.args)

    def _merge_value_lists(self, items: list[Item]) -> list[Item]:
        """'Germany or Austria', 'shoes, apparel or home' -> one value item holding a list."""
        out: list[Item] = []
        i = 0
        while i < len(items):
            it = items[i]
            if it.kind == "value":
                values = [it["value"]]
                j = i
                ops = []
                while (j + 2 < len(items) and items[j + 1].kind == "conj" and items[j + 1]["op"] in ("or", ",", "and")
                       and items[j + 2].kind == "value" and items[j + 2]["field"] == it["field"]):
                    ops.append(items[j + 1]["op"])
                    if items[j + 2]["value"] not in values:
                        values.append(items[j + 2]["value"])
                    j += 2
                if "and" in ops and not it["trait"] and "or" not in ops:
                    out.append(it)  # "bought shoes and apparel": two conditions
                    i += 1
                    continue
                if "and" in ops and "or" not in ops:
                    self.assume(f"'{' and '.join(str(v) for v in values)}' read as either of them "
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

    # ---- clauses ----------------------------------------------------------------------------------------
    def _split(self, items: list[Item]) -> list[tuple[str, list[Item]]]:
        clauses: list[tuple[str, list[Item]]] = [("and", [])]
        for it in items:
            if it.kind == "conj":
                it.used = True
                clauses.append((it["op"], []))
            else:
                clauses[-1][1].append(it)
        clauses = [(op, c) for op, c in clauses if c or op == "except"]
        # glue: "used to X but stopped", "X then Y", "added to cart and didn't buy" are one clause
        out: list[tuple[str, list[Item]]] = []
        for op, clause in clauses:
            if out and self._glue(out[-1][1], op, clause):
                out[-1][1].extend(clause)
            elif out and not any(it.kind in HEADS for it in clause):
                ellipsis = self._ellipsis(out[-1][1], clause, op)
                if ellipsis:
                    out.append((op, ellipsis))  # "bought shoes but not in the last 30 days"
                elif op != "except":
                    out[-1][1].extend(clause)  # a clause with no subject of its own belongs to the one before
                else:
                    out.append((op, clause))
            else:
                out.append((op, clause))
        if out and not out[0][1] and len(out) > 1 and out[1][0] != "except":
            out = out[1:]
        return self._hoist_lead(out)

    @staticmethod
    def _hoist_lead(clauses: list[tuple[str, list[Item]]]) -> list[tuple[str, list[Item]]]:
        """'free plan users who opened the app or used a feature': traits before the first event of an
        or-list of events describe the people of every alternative, so they are AND-ed with the whole list
        (clause op 'lead')."""
        def is_trait(it: Item) -> bool:
            return it.kind in ("trait", "consent") or (it.kind == "value" and it["trait"])

        if len(clauses) < 2 or clauses[1][0] != "or":
            return clauses
        first = clauses[0][1]
        event = next((k for k, it in enumerate(first) if it.kind == "event"), None)
        run = [c for op, c in clauses[1:] if op == "or"]
        if not event or not any(is_trait(it) for it in first[:event]) or any(
                it.kind not in ("trait", "consent", "value", "stop") for it in first[:event]) or any(
                is_trait(it) for c in run for it in c):
            return clauses
        return [("lead", first[:event]), ("and", first[event:])] + clauses[1:]

    @staticmethod
    def _ellipsis(prev: list[Item], clause: list[Item], op: str) -> list[Item] | None:
        """A clause of only a negation (or 'but not') and a window repeats the event (and its values)
        before it: 'bought shoes but not in the last 30 days'."""
        kinds = {it.kind for it in clause}
        events = [it for it in prev if it.kind == "event"]
        negated = "neg" in kinds or op == "except"
        if not negated or "window" not in kinds or kinds - {"neg", "window"} or len(events) != 1:
            return None
        start = prev.index(events[0])
        copied = [events[0]] + [it for it in prev[start + 1:] if it.kind == "value" and not it["trait"]]
        clones = [Item(it.kind, it.start, it.end, it.words, dict(it.args), used=True) for it in copied]
        for c in clones:
            c.used = False
        neg = [it for it in clause if it.kind == "neg"]
        rest = [it for it in clause if it.kind != "neg"]
        return neg + clones + rest

    def _glue(self, prev: list[Item], op: str, clause: list[Item]) -> bool:
        kinds = [it.kind for it in clause]
        if not clause or op == "or" or op == "except":
            return False
        if kinds[0] == "then" or ("then_tail" in kinds and any(it.kind == "event" for it in prev)):
            return True
        if any(it.kind == "used_to" for it in prev) and ("stopped" in kinds or "neg" in kinds):
            return True
        first = clause[0]
        # "added to cart and didn't buy" is a sequence; "viewed pricing twice and didn't buy" is not
        prev_positive_event = any(it.kind == "event" for it in prev) and not any(
            it.kind in ("neg", "count") for it in prev)
        if (first.kind == "neg" and prev_positive_event and kinds.count("event") == 1
                and (first.get("past") or first.get("without") or "then_tail" in kinds or "within" in kinds)
                and "window" not in kinds and "same_window" not in kinds and "count" not in kinds):
            first.args["then"] = True
            return True
        return False

    def _distribute(self, clauses: list[tuple[str, list[Item]]]) -> list[tuple[str, list[Item], bool]]:
        """'did not open or click an email in the last 90 days': the window at the end of an or-run applies
        to every clause of it, and a negation at its start negates the whole run."""
        out = [(op, c, False) for op, c in clauses]
        i = 0
        while i < len(out):
            j = i
            while j + 1 < len(out) and out[j + 1][0] == "or":
                j += 1
            if j > i:
                run = [c for _, c, _ in out[i:j + 1]]
                windows = [w for w in run[-1] if w.kind == "window" and not w.used]
                if windows and all(any(x.kind == "event" for x in c) for c in run):
                    for c in run[:-1]:
                        if not any(x.kind == "window" for x in c):
                            c.append(Item("window", windows[-1].start, windows[-1].end, windows[-1].words,
                                          dict(windows[-1].args), used=False))
                first = run[0]
                if first and first[0].kind == "neg" and not any(x.kind == "neg" for c in run[1:] for x in c):
                    first[0].used = True
                    out[i] = (out[i][0], out[i][1], True)
                    for k in range(i + 1, j + 1):
                        out[k] = (out[k][0], out[k][1], True)
            i = j + 1
        return out

    def _combine(self, clauses: list[tuple[str, list[Item]]]) -> A.Condition | None:
        base: list[tuple[str, A.Condition]] = []
        excluded: list[A.Condition] = []
        in_except = False
        negated_run: list[A.Condition] = []
        leads: list[A.Condition] = []
        for op, clause, negated in self._distribute(clauses):
            if op == "lead":
                leads += [c for c in [self._clause(clause)] if c is not None]
                continue
            if op == "except":
                in_except = True
            cond = self._clause(clause) if clause else None
            if cond is None:
                continue
            if negated:
                negated_run.append(cond)
                continue
            if negated_run:
                base.append(("and", negate(conjoin(A.Or, negated_run))))
                negated_run = []
            if in_except:
                excluded.append(cond)
                continue
            base.append((op, cond))
        if negated_run:
            base.append(("and", negate(conjoin(A.Or, negated_run))))
        if not base and not excluded:
            return None
        terms: list[list[A.Condition]] = [[]]
        for op, cond in base:
            if op == "or" and terms[-1]:
                terms.append([])
            terms[-1].append(cond)
        ors = [conjoin(A.And, t) for t in terms if t]
        parts = leads + ([conjoin(A.Or, ors)] if ors else [])
        parts += [negate(c) for c in excluded]
        return conjoin(A.And, parts)

    # ---- one clause -------------------------------------------------------------------------------------
    def _clause(self, items: list[Item]) -> A.Condition | None:
        """The conditions one clause states, AND-ed. Recognisers run most specific first."""
        conds: list[tuple[int, A.Condition]] = []
        recognisers: list[Callable[[list[Item]], list[tuple[int, A.Condition]]]] = [
            self.r_segment, self.r_rank, self.r_regular, self.r_stopped, self.r_restarted, self.r_aggregate,
            self.r_occurrence, self.r_sequence, self.r_did, self.r_traits, self.r_property_only,
        ]
        for rec in recognisers:
            conds += rec(items)
        if not conds:
            return None
        conds.sort(key=lambda c: c[0])
        result = conjoin(A.And, [c for _, c in conds])
        leftover_neg = [it for it in items if it.kind == "neg" and not it.used]
        if leftover_neg and len(conds) == 1:
            for it in leftover_neg:
                self.use(it)
            result = negate(result)
        return result

    def free(self, items: list[Item], kind: str | tuple[str, ...], start: int = 0, stop: int | None = None) -> list[Item]:
        kinds = (kind,) if isinstance(kind, str) else kind
        return [it for it in items[start:stop] if it.kind in kinds and not it.used]

    def neg_before(self, items: list[Item], idx: int) -> Item | None:
        """An unused negation before items[idx] with no other subject between them."""
        for j in range(idx - 1, -1, -1):
            it = items[j]
            if it.used:
                continue
            if it.kind == "neg":
                return it
            if it.kind in HEADS:
                return None
        return None

    def negated_if_preceded(self, node: A.Condition, items: list[Item], idx: int) -> A.Condition:
        """'not X', "aren't X": an unused negation before items[idx] negates its condition (and is used)."""
        neg = self.neg_before(items, idx)
        if neg is None:
            return node
        self.use(neg)
        return negate(node)

    def window_near(self, items: list[Item], idx: int, kinds=("window",)) -> Item | None:
        """The window after items[idx] up to the next subject, else the one just before it."""
        for it in items[idx + 1:]:
            if it.kind in ("event", "rank", "segment", "template") or (it.kind in ("trait", "consent")):
                break
            if it.kind in kinds and not it.used:
                return it
            if it.kind == "same_window" and not it.used and self.last_window is not None:
                it.used = True
                return Item("window", it.start, it.end, it.words, {"window": self.last_window})
        for it in reversed(items[:idx]):
            if it.kind in HEADS and not (it.kind == "value" and not it["trait"]):
                break
            if it.kind in kinds and not it.used:
                return it
        return None

    def window_of(self, item: Item | None) -> A.Node | None:
        if item is None:
            return None
        self.use(item)
        if item.kind in ("within", "for"):
            d = item["duration"]
            window = A.InLast(amount=d.amount, unit=d.unit)
        elif item.get("calendar"):
            window = self.calendar(item["calendar"], item.words)
        else:
            window = item["window"]
        self.last_window = window
        return window

    # ---- events and their filters ------------------------------------------------------------------------
    def calendar(self, which: str, words: str) -> A.Node:
        """'this year' / 'this month' / 'last year' as calendar periods of the as-of date."""
        year, month = self.as_of.year, self.as_of.month
        if which == "this_year":
            window: A.Node = A.After(at=f"{year}-01-01")
        elif which == "this_month":
            window = A.After(at=f"{year}-{month:02d}-01")
        else:
            window = A.BetweenDates(start=f"{year - 1}-01-01", end=f"{year - 1}-12-31")
        self.assume(f"'{words}' read as {format_window(window)}")
        return window

    def pick_event(self, item: Item, items: list[Item]) -> str:
        """One event for an event item; several candidates are narrowed by the properties the clause
        mentions, else the first is taken and said so."""
        self.use(item)
        candidates = item["events"]
        if len(candidates) == 1:
            return candidates[0]
        idx = items.index(item)
        props = set()
        for it in items[idx + 1:]:
            if it.kind in ("event", "trait"):
                break
            if it.kind == "value" and not it["trait"]:
                props.add(it["field"])
            elif it.kind == "prop":
                props.add(it["prop"])
            elif it.kind == "text":
                props.add("__text__")
        narrowed = [e for e in candidates if {p for p in props if p != "__text__"} <= set(self.catalog.event_properties(e))]
        chosen = (narrowed or candidates)[0]
        if len(narrowed) != 1:
            others = ", ".join(e for e in candidates if e != chosen)
            self.assume(f"'{item.words}' read as {chosen} (could also be {others})")
        return chosen

    def filters(self, event: str, items: list[Item], idx: int, before: bool = True) -> A.EventRef:
        """Property conditions for the event at items[idx]: values, comparisons and text matches after it
        (up to the next subject), and values just before it ('discounted shoes')."""
        props = self.catalog.event_properties(event)
        parts: list[A.Filter] = []
        span = []
        for it in items[idx + 1:]:
            if it.kind in ("event", "trait", "consent", "segment", "template", "rank", "agg", "then", "which",
                           "regular", "used_to", "stopped", "restarted", "neg"):
                break
            span.append(it)
        if before:
            for it in reversed(items[:idx]):
                if it.used or it.kind not in ("value", "prop"):
                    break
                span.insert(0, it)
        pending_prop: str | None = None
        for it in span:
            if it.used:
                continue
            if it.kind == "value" and not it["trait"] and it["field"] in props:
                self.use(it)
                v = it["value"]
                parts.append(A.PropertyCondition(property=it["field"], op="in" if isinstance(v, list) else "=", value=v))
            elif it.kind == "prop" and it["prop"] in props:
                self.use(it)
                if self.catalog.properties[it["prop"]].type == "boolean":
                    parts.append(A.PropertyCondition(property=it["prop"], op="=", value=True))
                else:
                    pending_prop = it["prop"]
            elif it.kind in ("cmp", "range") and (pending_prop or self.number_property(event)):
                prop = pending_prop if pending_prop and self.catalog.properties[pending_prop].type == "number" \
                    else self.number_property(event)
                if prop is None:
                    continue
                self.use(it)
                if it.kind == "range":
                    parts += [A.PropertyCondition(property=prop, op=">=", value=it["low"]),
                              A.PropertyCondition(property=prop, op="<=", value=it["high"])]
                else:
                    parts.append(A.PropertyCondition(property=prop, op=it["op"], value=it["value"]))
            elif it.kind == "text":
                prop = pending_prop or self.text_property(event, str(it["value"]))
                if prop is None:
                    continue
                self.use(it)
                parts.append(A.PropertyCondition(property=prop, op=it["op"], value=it["value"]))
        return A.EventRef(name=event, where=filter_and(parts))

    def text_property(self, event: str, text: str) -> str | None:
        """Which text property 'containing X' is about: one whose sample values contain X, else the first
        open (not closed) text property of the event."""
        props = [p for p in self.catalog.event_properties(event) if self.catalog.properties[p].type == "string"]
        for p in props:
            if any(text.lower() in str(v).lower() for v in self.catalog.properties[p].values):
                return p
        open_props = [p for p in props if not self.catalog.properties[p].closed]
        return (open_props or props or [None])[0]

    # ---- recognisers ----------------------------------------------------------------------------------------
    def r_segment(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for it in self.free(items, ("segment", "template", "segment_name")):
            idx = items.index(it)
            self.use(it)
            if it.kind == "template":
                node = parse(self.templates[it["name"]])
                self.assume(f"'{it.words}' read as the {it['name']} template: {self.templates[it['name']]}")
            else:
                name = it["name"]
                if it.kind == "segment_name" and name not in self.segments:
                    raise NotUnderstood(f"There is no saved segment named {name!r}. "
                                        f"Saved segments: {', '.join(self.segments) or 'none yet'}.")
                node = A.SegmentRef(name=name)
                if it.kind == "segment":
                    self.assume(f"'{it.words}' read as the saved segment {name}")
            out.append((it.start, self.negated_if_preceded(node, items, idx)))
        return out

    def measure(self, items: list[Item], start: int) -> tuple[A.Measure | None, int]:
        """A per-contact measure from the items after `start`: 'lifetime value', 'number of orders',
        'app opens in the last 30 days', 'distinct product categories'."""
        rest = [it for it in items[start:] if not it.used]
        agg = next((it for it in rest[:3] if it.kind == "agg"), None)
        event_item = next((it for it in rest[:4] if it.kind == "event"), None)
        prop_item = next((it for it in rest[:4] if it.kind == "prop"), None)
        event = self.pick_event(event_item, items) if event_item else None
        if agg is not None:
            self.use(agg)
            func = agg["func"]
            if prop_item is not None:
                self.use(prop_item)
            prop = prop_item["prop"] if prop_item else None
            if event is None:
                event = self.purchase_event(self.events_with(prop) if prop else None)
            if prop is None:
                prop = self.number_property(event) if func != "count_distinct" else None
            if prop is None:
                return None, start
            if agg.get("spend") and not prop_item:
                self.assume(f"'{agg.words}' read as the {func} {prop} of {event}")
            last = max(x.end for x in (agg, prop_item, event_item) if x is not None)
            return A.Measure(func=func, property=prop, event=A.EventRef(name=event)), last
        if event is not None:
            for c in self.free(items, "count_of"):
                self.use(c)
            return A.Measure(func="count", event=self.filters(event, items, items.index(event_item), before=False)), event_item.end
        if prop_item is not None and self.catalog.properties[prop_item["prop"]].type == "number":
            self.use(prop_item)
            event = self.purchase_event(self.events_with(prop_item["prop"]))
            self.assume(f"'{prop_item.words}' read as the total {prop_item['prop']} of {event}")
            return A.Measure(func="total", property=prop_item["prop"], event=A.EventRef(name=event)), prop_item.end
        return None, start

    def r_rank(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for it in self.free(items, "rank") + self._people_most(items):
            self.use(it)
            idx = items.index(it)
            measure, _ = self.measure(items, idx + 1)
            if measure is None:
                event = self.purchase_event()
                prop = self.number_property(event)
                if prop is None:
                    raise NotUnderstood(f"'{it.words}' by what? For example by the number of {event} events.")
                measure = A.Measure(func="total", property=prop, event=A.EventRef(name=event))
                self.assume(f"'{it.words}' ranked by lifetime value (total {prop} of {event})")
            window = next((w for w in items[idx + 1:] if w.kind == "window" and not w.used), None)
            if window is not None:
                measure = measure.model_copy(update={"window": self.window_of(window)})
            for most in self.free(items, "most"):
                self.use(most)
            out.append((it.start, A.Rank(direction=it.get("direction", "top"), amount=int(it.args.get("amount", it.get("value"))),
                                         percent=it.get("percent", False), measure=measure)))
        return out

    def _people_most(self, items: list[Item]) -> list[Item]:
        """'the 200 contacts who used features the most': a whole number before a word for people, with
        'most' later on, is a top-N rank."""
        if not self.free(items, "most"):
            return []
        return [it for it in items if it.kind == "num" and not it.used and it.get("people")
                and float(it["value"]).is_integer()]

    def _event_for(self, items: list[Item], idx: int) -> tuple[Item | None, int]:
        """The nearest unused event item to items[idx], preferring the one after it. A word read as
        something else but also naming an event ('the app') counts when no plain event is there."""
        def is_event(it: Item) -> bool:
            return it.kind == "event" and not it.used

        if not any(is_event(it) for it in items):
            for it in items:
                alt = next((a for a in it.get("alternatives", []) if a.kind == "event"), None)
                if alt is not None and not it.used:
                    it.kind, it.args = "event", dict(alt.args)
        after = [j for j in range(idx + 1, len(items)) if is_event(items[j])]
        before = [j for j in range(idx - 1, -1, -1) if is_event(items[j])]
        j = (after or before or [None])[0]
        return (items[j], j) if j is not None else (None, -1)

    def r_regular(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for it in self.free(items, "regular"):
            ev, j = self._event_for(items, items.index(it))
            if ev is None:
                continue
            self.use(it)
            event = self.pick_event(ev, items)
            ref = self.filters(event, items, j)
            out.append((ev.start, A.Regular(event=ref, min_periods=it["k"], periods=it["n"], unit=it["unit"])))
        return out

    def r_stopped(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        markers = self.free(items, ("used_to", "stopped"))
        if not markers:
            return []
        ev, j = self._event_for(items, items.index(markers[0]))
        if ev is None:
            return []
        for m in markers:
            self.use(m)
        event = self.pick_event(ev, items)
        for other in self.free(items, "event"):  # "used to open emails but have not opened one"
            if event in other["events"]:
                self.use(other)
        for neg in self.free(items, "neg"):
            self.use(neg)
        dur = next(iter(self.free(items, ("for", "window"))), None)
        if dur is not None and dur.kind == "window" and not isinstance(dur["window"], (A.InLast, A.MoreThanAgo)):
            dur = None
        if dur is None:
            duration = A.Duration(amount=30, unit="day")
            self.assume(f"'{markers[0].words}' with no duration read as stopped for 30 days")
        else:
            self.use(dur)
            w = dur["duration"] if dur.kind == "for" else dur["window"]
            duration = A.Duration(amount=w.amount, unit=w.unit)
        return [(ev.start, A.Stopped(event=self.filters(event, items, j), duration=duration))]

    def r_restarted(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        markers = self.free(items, "restarted")
        gaps = self.free(items, ("gap", "gap_not"))
        if not markers or not (gaps or self.free(items, "for")):
            return []
        ev, j = self._event_for(items, items.index(markers[0]))
        if ev is None:
            return []
        for m in markers + gaps:
            self.use(m)
        event = self.pick_event(ev, items)
        for other in self.free(items, "event"):
            if event in other["events"]:
                self.use(other)
        gap = next((g for g in gaps if g.kind == "gap"), None) or next(iter(self.free(items, "for")), None)
        if gap is None:
            return []
        self.use(gap)
        window = next(iter(self.free(items, "window")), None)
        node = A.Restarted(event=self.filters(event, items, j), gap=gap["duration"], window=self.window_of(window))
        return [(ev.start, node)]

    def r_aggregate(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for agg in self.free(items, "agg"):
            idx = items.index(agg)
            cmps = [it for it in items if it.kind in ("cmp", "range", "num") and not it.used]
            if not cmps:
                continue
            cmp = min(cmps, key=lambda c: abs(items.index(c) - idx))
            measurable = ("string", "number") if agg["func"] == "count_distinct" else ("number",)
            prop_item = next((it for it in items[idx + 1:idx + 3] if it.kind == "prop" and not it.used
                              and self.catalog.properties[it["prop"]].type in measurable), None)
            ev_item = next((it for it in items if it.kind == "event" and not it.used), None)
            event = self.pick_event(ev_item, items) if ev_item else None
            prop = prop_item["prop"] if prop_item else agg.get("prop")
            if event is None:
                event = self.purchase_event(self.events_with(prop) if prop else None)
            if prop is None:
                prop = self.number_property(event)
            if prop is None or prop not in self.catalog.event_properties(event):
                continue
            self.use(agg)
            self.use(prop_item)
            self.use(cmp)
            if agg.get("spend") and not prop_item:
                self.assume(f"'{agg.words}' read as the {agg['func']} {prop} of {event}")
            for dup in self.free(items, "agg"):
                if dup["func"] == agg["func"]:
                    self.use(dup)  # "spent ... in total"
            if ev_item:
                ref = self.filters(event, items, items.index(ev_item))
            else:
                ref = self.filters(event, items, idx, before=False)
            window = self.window_of(next(iter(self.free(items, "window")), None))
            base = dict(func=agg["func"], property=prop, event=ref, window=window)
            if cmp.kind == "range":
                out += [(agg.start, A.Aggregate(**base, op=">=", value=cmp["low"])),
                        (agg.start, A.Aggregate(**base, op="<=", value=cmp["high"]))]
            else:
                op = cmp.get("op", ">=")
                out.append((agg.start, A.Aggregate(**base, op=op, value=cmp["value"])))
        return out

    def r_occurrence(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for it in self.free(items, "which"):
            idx = items.index(it)
            ev = next((x for x in items[idx + 1:idx + 4] if x.kind == "event" and not x.used), None)
            if ev is None:
                continue
            j = items.index(ev)
            window = self.window_near(items, j)
            if window is None:
                continue
            self.use(it)
            event = self.pick_event(ev, items)
            ref = self.filters(event, items, j)
            out.append((it.start, A.Occurrence(which=it["which"], event=ref, window=self.window_of(window))))
        return out

    def r_sequence(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        events = [it for it in items if it.kind == "event" and not it.used]
        links = [it for it in items if not it.used and (it.kind in ("then", "then_tail") or (
            it.kind == "neg" and (it.get("then") or it.get("without"))))]
        if len(events) < 2 or not links:
            return []
        first = events[0]
        if any(it.kind == "neg" and not it.used for it in items[:items.index(first)]):
            return []
        idx = items.index(first)
        event = self.pick_event(first, items)
        head_window = None
        steps: list[A.SequenceStep] = []
        # the first event's window sits between it and the first link
        for it in items[idx + 1:]:
            if it in links or it.kind == "event":
                break
            if it.kind == "window" and not it.used:
                head_window = self.window_of(it)
        ref = self.filters(event, items, idx)
        for ev in events[1:]:
            j = items.index(ev)
            between = items[idx + 1:j]
            negated = any(it.kind == "neg" and not it.used for it in between)
            for it in between:
                if it.kind in ("then", "neg") and not it.used:
                    self.use(it)
            name = self.pick_event(ev, items)
            within_item = next((it for it in items[j + 1:] if it.kind == "event"), None)
            stop = items.index(within_item) if within_item else len(items)
            within = next((it for it in items[j + 1:stop] if it.kind == "within" and not it.used), None)
            for tail in items[j + 1:stop]:
                if tail.kind == "then_tail":
                    self.use(tail)
            steps.append(A.SequenceStep(negated=negated, event=self.filters(name, items, j, before=False),
                                        within=self.use(within)["duration"] if within else None))
            idx = j
        for it in links:
            self.use(it)
        if any(s.negated for s in steps[:-1]):
            raise NotUnderstood("A 'did not' step can only be the last step of a sequence. Could you rephrase?")
        return [(first.start, A.Sequence(event=ref, window=head_window, steps=steps))]

    def r_did(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for ev in list(self.free(items, "event")):
            if ev.used:
                continue
            idx = items.index(ev)
            event = self.pick_event(ev, items)
            neg = self.neg_before(items, idx)
            count = self._count_for(items, idx)
            window_item = self.window_near(items, idx, kinds=("window", "within", "for"))
            ref = self.filters(event, items, idx)
            node: A.Condition = A.Did(event=ref, count=count, window=self.window_of(window_item))
            if neg:
                self.use(neg)
                node = A.Not(condition=node)
            out.append((ev.start, node))
        return out

    def _count_for(self, items: list[Item], idx: int) -> A.Count | None:
        """'3 times' after the event, or '3+' / 'more than 2' / 'between 2 and 5' right before it."""
        for it in items[idx + 1:]:
            if it.kind in ("event", "trait", "consent", "then", "neg"):
                break
            if it.kind == "count" and not it.used:
                self.use(it)
                return it["count"]
            if it.get("count_for_noun") and not it.used:
                return self._as_count(it)
        for it in reversed(items[:idx]):
            if it.used:
                continue
            if it.kind == "count":
                self.use(it)
                return it["count"]
            if it.kind in ("cmp", "num", "range"):
                return self._as_count(it)
            if it.kind not in ("value", "prop", "neg", "agg"):
                break
        return None

    def _as_count(self, it: Item) -> A.Count | None:
        """A number phrase before an event noun as a count: '3+ orders', 'more than 2 orders'."""
        self.use(it)
        if it.kind == "range":
            return A.Count(op="between", n=int(it["low"]), m=int(it["high"]))
        n = int(it["value"])
        op = it.get("op", "=")
        if op in (">=", ">"):
            n = n + 1 if op == ">" else n
            return A.Count(op="at_least", n=n) if n > 1 else None
        if op in ("<=", "<"):
            return A.Count(op="at_most", n=n - 1 if op == "<" else n)
        return A.Count(op="exactly", n=n)

    def r_traits(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        out = []
        for it in self.free(items, ("consent", "trait", "value")):
            if it.used or (it.kind == "value" and not it["trait"]):
                continue
            idx = items.index(it)
            node = self._trait(it, items, idx)
            if node is None:
                continue
            out.append((it.start, self.negated_if_preceded(node, items, idx)))
        return out

    def _trait(self, it: Item, items: list[Item], idx: int) -> A.Condition | None:
        if it.kind == "consent":
            self.use(it)
            return A.TraitCondition(trait=it["trait"], op="=", value=it["value"])
        if it.kind == "value":
            self.use(it)
            for t in items[idx + 1:idx + 2]:  # "trial plan": the trait word itself
                if t.kind == "trait" and t["trait"] == it["field"]:
                    self.use(t)
            v = it["value"]
            return A.TraitCondition(trait=it["field"], op="in" if isinstance(v, list) else "=", value=v)
        name = it["trait"]
        spec = self.catalog.traits[name]
        rest = []
        for x in items[idx + 1:]:
            if x.kind in ("event", "trait", "consent", "segment", "template", "rank") or (x.kind == "value" and not (
                    x["trait"] and x["field"] == name)):
                break
            rest.append(x)
        rest = [x for x in rest if not x.used]
        self.use(it)
        if spec.type in ("date", "timestamp"):
            w = next((x for x in rest if x.kind == "window"), None) or self.window_near(items, idx)
            if w is None:
                return A.TraitCondition(trait=name, op="is_set") if self._presence(rest) is not False else \
                    A.TraitCondition(trait=name, op="is_not_set")
            window = self.window_of(w)
            if "birth" in it.words.lower() or "anniversar" in it.words.lower():
                if w.get("bare") and isinstance(window, A.InLast):
                    window = A.InNext(amount=window.amount, unit=window.unit)
                if isinstance(window, (A.InLast, A.InNext)):
                    return A.Anniversary(trait=name, direction="last" if isinstance(window, A.InLast) else "next",
                                         amount=window.amount, unit=window.unit)
            return A.TraitTime(trait=name, window=window)
        for x in rest:
            if x.kind == "value":
                self.use(x)
                v = x["value"]
                return A.TraitCondition(trait=name, op="in" if isinstance(v, list) else "=", value=v)
            if x.kind == "is_set":
                self.use(x)
                return A.TraitCondition(trait=name, op="is_not_set" if x["negated"] else "is_set")
            if x.kind == "text":
                self.use(x)
                return A.TraitCondition(trait=name, op=x["op"], value=str(x["value"]))
            if x.kind == "equals" and spec.type == "string":
                self.use(x)
                return A.TraitCondition(trait=name, op="=", value=str(x["value"]))
            if x.kind == "cmp" and spec.type == "number":
                self.use(x)
                return A.TraitCondition(trait=name, op=x["op"], value=x["value"])
        if spec.type == "boolean":
            return A.TraitCondition(trait=name, op="=", value=True)
        before = items[idx - 1] if idx else None
        if before is not None and before.kind == "unknown" and before["text"] in VAGUE_WORDS:
            # "the right plan" names no value: ask which rather than read it as "plan is set"
            known = f" ({', '.join(map(str, spec.values))})" if spec.values else ""
            raise NotUnderstood(f"Which {name} is the '{before.words}' one{known}?")
        self.assume(f"'{it.words}' read as {name} is set")
        return A.TraitCondition(trait=name, op="is_set")

    def _presence(self, rest: list[Item]) -> bool | None:
        for x in rest:
            if x.kind == "is_set":
                self.use(x)
                return not x["negated"]
        return None

    def r_property_only(self, items: list[Item]) -> list[tuple[int, A.Condition]]:
        """Property values with no event ('people who like shoes'): the purchase event if it has the
        property, else the first event that does; said as an assumption."""
        out = []
        for it in self.free(items, "value"):
            if it.used or it["trait"]:
                continue
            events = self.events_with(it["field"])
            if not events:
                continue
            event = self.purchase_event(events) if self.purchase_event() in events else events[0]
            idx = items.index(it)
            v = it["value"]
            self.use(it)
            cond = A.PropertyCondition(property=it["field"], op="in" if isinstance(v, list) else "=", value=v)
            extra = self.filters(event, items, idx, before=False)
            where = filter_and([cond] + ([extra.where] if extra.where else []))
            self.assume(f"'{it.words}' read as {event} where {it['field']} is {v}")
            window = self.window_of(self.window_near(items, idx))
            node = A.Did(event=A.EventRef(name=event, where=where), window=window)
            out.append((it.start, self.negated_if_preceded(node, items, idx)))
        return out
