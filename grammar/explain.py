"""Explain stage: AST -> plain English a marketer can check against what they asked for.

Every node kind and field shows up in the sentence. Each condition becomes a relative clause ("who
completed an order ...", "whose country is DE", "who are in the top 10% ..."); the top of the tree reads
"People <clause>". Groups inside groups go in parentheses, so nesting is never ambiguous.

Events read as the verb phrase of their catalog description ("Completed an order (a purchase)" ->
"completed an order"). Negation uses the perfect ("who have not opened an email"), which needs only the
past participle, so no verb has to be turned back into its base form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from grammar import ast as A
from grammar import calendar
from grammar.catalog import Catalog
from grammar.format import count_text, value_text
from grammar.units import plural

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_CMP_WORDS = {"=": "is", "!=": "is not", ">": "is over", ">=": "is at least", "<": "is under", "<=": "is at most"}
_AGG_WORDS = {"total": "total", "average": "average", "min": "smallest", "max": "largest"}
# Irregular past tenses that start event descriptions, and the participles that differ from them.
_IRREGULAR_PAST = {"bought", "made", "sent", "got", "paid", "read", "spent", "won", "lost", "left", "met", "put",
                   "set", "sold", "told", "heard", "found", "built", "held", "kept", "began", "gave", "took",
                   "saw", "went", "wrote", "came", "became", "chose", "ran", "did", "drove", "ate", "flew",
                   "forgot", "knew", "spoke", "rode", "woke"}
_PARTICIPLES = {"began": "begun", "gave": "given", "took": "taken", "saw": "seen", "went": "gone",
                "wrote": "written", "came": "come", "became": "become", "chose": "chosen", "ran": "run",
                "did": "done", "drove": "driven", "ate": "eaten", "flew": "flown", "forgot": "forgotten",
                "knew": "known", "spoke": "spoken", "rode": "ridden", "woke": "woken"}
# Text values that read unambiguously without quotes: one plain word, path or code with a letter in it
# (so the text "5" stays apart from the number 5).
_BARE_VALUE = re.compile(r"^[A-Za-z0-9@/._+-]*[A-Za-z][A-Za-z0-9@/._+-]*$")
_CONNECTIVES = {"and", "or", "not", "is", "of", "none", "either", "true", "false"}


def explain(node: A.Condition, catalog: Catalog | None = None,
            concepts: Mapping[str, A.Condition | A.Measure] | None = None, *, as_of: datetime | None = None) -> str:
    """The whole segment as one sentence: 'People who ...'. `concepts` (what to call it -> its definition,
    e.g. Catalog.concept_labels()) names each part that is a concept: 'who are paying customers (plan is ...)'.
    With `as_of`, calendar windows also read as their dates ('in October 2026 (the previous month)')."""
    words = _Explainer(catalog, concepts, as_of)
    if isinstance(node, A.Not) and not words.negates_naturally(node.condition):
        return f"Everyone except people {words.clause(node.condition, nested=True)}"
    return f"People {words.clause(node)}"


class _Explainer:
    def __init__(self, catalog: Catalog | None, concepts: Mapping[str, A.Condition | A.Measure] | None = None,
                 as_of: datetime | None = None):
        self.catalog = catalog
        self.concepts = concepts or {}
        self.as_of = as_of

    # ---- structure -----------------------------------------------------------------------------------

    def clause(self, node: A.Condition, nested: bool = False) -> str:
        """A relative clause for `node`; `nested` parenthesises a group that sits inside another one."""
        method = getattr(self, f"c_{getattr(node, 'kind', None)}", None)
        if method is None:
            raise TypeError(f"not a condition: {node!r}")
        text = method(node, nested)
        label = self._concept(node)
        return f"who are {label} ({_bare(text)})" if label else text

    def _concept(self, node: A.Condition | A.Measure) -> str | None:
        """What the concepts call `node`, when it is one's definition."""
        return next((label for label, definition in self.concepts.items() if definition == node), None)

    def _group(self, node: A.And | A.Or, nested: bool) -> str:
        parts = [self.clause(c, nested=True) for c in node.conditions]
        text = (", and " if isinstance(node, A.And) else ", or ").join(parts)
        if nested:
            return f"(either {text})" if isinstance(node, A.Or) else f"({text})"
        return text

    c_and = c_or = _group

    def c_not(self, node: A.Not, nested: bool) -> str:
        inner = node.condition
        if isinstance(inner, A.Did):
            return self._did(inner, negated=True)
        if isinstance(inner, A.SegmentRef):
            return f"who are not in the saved segment {value_text(inner.name)}"
        if isinstance(inner, A.Rank):
            return f"who are not {self._rank(inner)}"
        return f"not people {self.clause(inner, nested=True)}"

    @staticmethod
    def negates_naturally(node: A.Condition) -> bool:
        return isinstance(node, (A.Did, A.SegmentRef, A.Rank))

    # ---- leaves: one method per condition kind -------------------------------------------------------

    def c_trait(self, node: A.TraitCondition, nested: bool) -> str:
        return f"whose {_trait_label(node.trait)} {_value_condition(node)}"

    def c_trait_time(self, node: A.TraitTime, nested: bool) -> str:
        return f"whose {_trait_label(node.trait)} is {window_words(node.window, self.as_of)}"

    def c_anniversary(self, node: A.Anniversary, nested: bool) -> str:
        label = _trait_label(node.trait)
        if "birth" not in label:
            label += " anniversary"
        verb = "comes up" if node.direction == "next" else "came up"
        return f"whose {label} {verb} in the {node.direction} {plural(node.amount, node.unit)}"

    def c_did(self, node: A.Did, nested: bool) -> str:
        return self._did(node, negated=False)

    def c_sequence(self, node: A.Sequence, nested: bool) -> str:
        text = f"who {self._event(node.event)}{_tail(node.window, self.as_of)}"
        for step in node.steps:
            within = f" within {plural(step.within.amount, step.within.unit)}" if step.within else ""
            then = "and then never" if step.negated else "then"
            text += f", {then} {self._event(step.event)}{within} after that"
        return text

    def c_aggregate(self, node: A.Aggregate, nested: bool) -> str:
        measure = A.Measure(func=node.func, property=node.property, event=node.event, window=node.window)
        return f"whose {self._measure(measure)} {_CMP_WORDS[node.op]} {value_text(node.value)}"

    def c_share(self, node: A.Share, nested: bool) -> str:
        whole = A.EventRef(name=node.event.name)
        return (f"whose share of times they {self._event(node.event)}, among all the times they "
                f"{self._event(whole)}{_tail(node.window, self.as_of)}, {_CMP_WORDS[node.op]} {value_text(node.value)}%")

    def c_occurrence(self, node: A.Occurrence, nested: bool) -> str:
        return f"who {node.which} {self._event(node.event)} {window_words(node.window, self.as_of)}"

    def c_regular(self, node: A.Regular, nested: bool) -> str:
        return (f"who {self._event(node.event)} in at least {node.min_periods} of the last "
                f"{plural(node.periods, node.unit)}")

    def c_stopped(self, node: A.Stopped, nested: bool) -> str:
        return (f"who {self._event(node.event)} before, but not in the last "
                f"{plural(node.duration.amount, node.duration.unit)}")

    def c_restarted(self, node: A.Restarted, nested: bool) -> str:
        return (f"who {self._event(node.event)} again{_tail(node.window, self.as_of)} after a gap of at least "
                f"{plural(node.gap.amount, node.gap.unit)}")

    def c_rank(self, node: A.Rank, nested: bool) -> str:
        return f"who are {self._rank(node)}"

    def c_segment(self, node: A.SegmentRef, nested: bool) -> str:
        return f"who are in the saved segment {value_text(node.name)}"

    def _did(self, node: A.Did, negated: bool) -> str:
        count = f" {count_text(node.count)}" if node.count else ""
        if not negated:
            return f"who {self._event(node.event)}{count}{_tail(node.window, self.as_of)}"
        never = "never" if node.count is None and node.window is None else "not"
        return f"who have {never} {self._event(node.event, participle=True)}{count}{_tail(node.window, self.as_of)}"

    def _rank(self, node: A.Rank) -> str:
        size = f"{node.amount}% of contacts" if node.percent else f"{node.amount} contacts"
        zero = " (contacts with none count as 0)" if node.measure.func in ("total", "count", "count_distinct") else ""
        return f"in the {node.direction} {size} by {self._measure(node.measure)}{zero}"

    def _measure(self, m: A.Measure) -> str:
        label = self._concept(m)
        return f"{label} ({self._measure_words(m)})" if label else self._measure_words(m)

    def _measure_words(self, m: A.Measure) -> str:
        if m.func == "count":
            return f"number of times they {self._event(m.event)}{_tail(m.window, self.as_of)}"
        label = _label(m.property or "")
        what = (f"number of different {label} values" if m.func == "count_distinct"
                else f"{_AGG_WORDS[m.func]} {label}")
        return f"{what} across the times they {self._event(m.event)}{_tail(m.window, self.as_of)}"

    # ---- events --------------------------------------------------------------------------------------

    def _event(self, event: A.EventRef, participle: bool = False) -> str:
        past = self._event_phrase(event.name)
        if participle:
            first, _, rest = past.partition(" ")
            past = " ".join(w for w in (_PARTICIPLES.get(first, first), rest) if w)
        return past if event.where is None else f"{past} (where {_filter(event.where)})"

    def _event_phrase(self, name: str) -> str:
        """A past-tense verb phrase: the catalog description, else a past-tense synonym, else the name."""
        spec = self.catalog.events.get(name) if self.catalog else None
        if spec is not None:
            for candidate in [spec.description, *spec.synonyms]:
                phrase = _verb_phrase(candidate)
                if phrase:
                    return phrase
        label = _label(name)
        article = "an" if label[:1] in "aeiou" else "a"
        return f'had {article} "{label}" event'


def _bare(clause: str) -> str:
    """A clause without its relative pronoun, to follow a concept's name: 'whose plan is trial' -> 'plan is trial'."""
    return re.sub(r"^(who|whose) ", "", clause)


def _verb_phrase(text: str) -> str | None:
    """'Completed an order (a purchase).' -> 'completed an order'; None unless it starts with a past tense."""
    text = re.split(r"[(;:]| - ", text, maxsplit=1)[0].strip().rstrip(".").strip()
    if not text:
        return None
    first = text.split()[0].lower()
    if not (first.endswith("ed") or first in _IRREGULAR_PAST):
        return None
    return first + text[len(first):]


# ---- values, filters, windows ------------------------------------------------------------------------

def _label(name: str) -> str:
    return name.replace("_", " ") if name.strip("_") else name


def _trait_label(name: str) -> str:
    """signup_at -> 'signup date'; other traits read as their name with spaces."""
    if name.endswith("_at") and len(name) > 3:
        return _label(name[:-3]) + " date"
    return _label(name)


def _value(v: A.Scalar) -> str:
    if isinstance(v, str) and _BARE_VALUE.match(v) and v.lower() not in _CONNECTIVES:
        return v
    return value_text(v)


def _value_condition(node: A.TraitCondition | A.PropertyCondition) -> str:
    op, v = node.op, node.value
    if op == "is_set":
        return "is set"
    if op == "is_not_set":
        return "is not set"
    if op in A.LIST_OPS:
        items = [_value(x) for x in v]  # type: ignore[union-attr]
        negated = op == "not_in"
        if len(items) == 1:
            return f"{'is not' if negated else 'is'} {items[0]}"
        return f"{'is not' if negated else 'is'} one of [{', '.join(items)}]"
    if op == "contains":
        return f"contains {value_text(v)}"  # type: ignore[arg-type]
    if op == "not_contains":
        return f"does not contain {value_text(v)}"  # type: ignore[arg-type]
    if op == "starts_with":
        return f"starts with {value_text(v)}"  # type: ignore[arg-type]
    if op == "ends_with":
        return f"ends with {value_text(v)}"  # type: ignore[arg-type]
    return f"{_CMP_WORDS[op]} {_value(v)}"  # type: ignore[arg-type]


def _filter_group(f: A.FilterAnd | A.FilterOr, nested: bool) -> str:
    text = (" and " if isinstance(f, A.FilterAnd) else " or ").join(_filter(c, nested=True) for c in f.conditions)
    return f"({text})" if nested else text


# One reading per filter kind.
_FILTERS = {
    "property": lambda f, nested: f"{_label(f.property)} {_value_condition(f)}",
    "filter_not": lambda f, nested: f"not ({_filter(f.condition)})",
    "filter_and": _filter_group,
    "filter_or": _filter_group,
}


def _filter(f: A.Filter, nested: bool = False) -> str:
    return _FILTERS[f.kind](f, nested)


def _tail(window: A.Window | None, as_of: datetime | None = None) -> str:
    return f" {window_words(window, as_of)}" if window else ""


# One reading per window kind.
_WINDOWS = {
    "in_last": lambda w: f"in the last {plural(w.amount, w.unit)}",
    "in_next": lambda w: f"in the next {plural(w.amount, w.unit)}",
    "more_than_ago": lambda w: f"more than {plural(w.amount, w.unit)} ago",
    "between_ago": lambda w: f"between {w.low} and {plural(w.high, w.unit)} ago",
    "before": lambda w: f"before {date_words(w.at)}",
    "after": lambda w: f"{'at' if 'T' in w.at else 'on'} or after {date_words(w.at)}",
    "between_dates": lambda w: f"between {date_words(w.start)} and {date_words(w.end)}",
    "on_date": lambda w: f"on {date_words(w.day)}",
    "calendar": lambda w: calendar_words(w),
    "named": lambda w: calendar_words(w),
    "anchored": lambda w: f"within {plural(w.amount, w.unit)} of {_anchor_words(w.anchor)}",
}


def _anchor_words(name: str) -> str:
    """signup_at -> 'their signup date'; an event -> 'their first trial started' (words only: no catalog here)."""
    if name.endswith(("_at", "_date", "_on")) or name in ("birthday", "date"):
        return f"their {_trait_label(name)}"
    return f"their first {_label(name)}"


def window_words(w: A.Window, as_of: datetime | None = None) -> str:
    """A window in words; calendar windows name their dates when `as_of` is given."""
    words = _WINDOWS.get(getattr(w, "kind", None))
    if words is None:
        raise TypeError(f"not a window: {w!r}")
    return calendar_words(w, as_of) if as_of and w.kind in ("calendar", "named") else words(w)


_PERIOD_WORDS = {"week": "calendar week (Monday to Sunday)", "weekend": "weekend (Saturday and Sunday)",
                 "month": "calendar month", "quarter": "calendar quarter", "year": "calendar year"}
_HOLIDAY_WORDS = {"black_friday": "Black Friday", "cyber_monday": "Cyber Monday", "thanksgiving": "Thanksgiving",
                  "christmas": "Christmas", "valentines_day": "Valentine's Day", "labor_day": "Labor Day",
                  "holiday_season": "the holiday season", "halloween": "Halloween", "new_years_eve": "New Year's Eve",
                  "new_years_day": "New Year's Day", "independence_day": "Independence Day (4 July)",
                  "memorial_day": "Memorial Day", "mothers_day": "Mother's Day (US)", "fathers_day": "Father's Day (US)",
                  "easter": "Easter Sunday"}


def calendar_words(w: A.CalendarPeriod | A.NamedPeriod, as_of: datetime | None = None) -> str:
    """'in the previous calendar month'; at an as-of: 'in October 2026 (the previous month)'."""
    return _period_words(w, as_of) if w.kind == "calendar" else _named_words(w, as_of)


def _period_words(w: A.CalendarPeriod, as_of: datetime | None) -> str:
    if w.period == "day":
        day = {"this": "today", "previous": "yesterday"}[w.which]
        return f"{day} ({date_words(calendar.bounds(w, as_of)[0].date().isoformat())})" if as_of else day
    prep, which = ("on" if w.period == "weekend" else "in"), ("current" if w.which == "this" else "previous")
    if as_of is None:
        return f"{prep} the {which} {_PERIOD_WORDS[w.period]}"
    start, end = calendar.bounds(w, as_of)
    named = {"month": f"{_MONTHS[start.month - 1]} {start.year}", "year": str(start.year),
             "quarter": f"Q{(start.month - 1) // 3 + 1} {start.year}"}.get(w.period)
    return f"{prep} {named or f'the {w.period} of {_span_words(start, end)}'} (the {which} {w.period})"


def _named_words(w: A.NamedPeriod, as_of: datetime | None) -> str:
    month = w.name in calendar.MONTHS
    name = _MONTHS[calendar.MONTHS.index(w.name)] if month else _HOLIDAY_WORDS[w.name]
    prep = "in" if month or w.name == "holiday_season" else "on"
    if as_of is None:
        season = " (Black Friday to 31 December)" if w.name == "holiday_season" else ""
        year = {None: " (the most recent one)", "this": " of this year", "last": " of last year"}.get(w.year, f" {w.year}")
        return f"{prep} {name}{season}{year}"
    start, end = calendar.bounds(w, as_of)
    if not month:
        return f"{prep} {name} {start.year} ({_span_words(start, end)})"
    if isinstance(w.year, int):
        return f"in {name} {start.year}"
    said = f"the most recent {name}" if w.year is None else f"{name} of {w.year} year"
    return f"in {name} {start.year} ({said})"


def _span_words(start: datetime, end: datetime) -> str:
    """[start, end) of whole days in words: '28 November 2025', '1 to 31 October 2026'."""
    last = (end - timedelta(days=1)).date()
    if last == start.date():
        return date_words(last.isoformat())
    if (start.year, start.month) == (last.year, last.month):
        return f"{start.day} to {date_words(last.isoformat())}"
    head = f"{start.day} {_MONTHS[start.month - 1]}" + (f" {start.year}" if start.year != last.year else "")
    return f"{head} to {date_words(last.isoformat())}"


def date_words(text: str) -> str:
    """2026-01-01 -> '1 January 2026'; 2026-01-01T09:30 -> '1 January 2026 at 09:30'."""
    if "T" not in text:
        d = date.fromisoformat(text)
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    dt = datetime.fromisoformat(text)
    clock = dt.strftime("%H:%M:%S" if dt.second else "%H:%M")
    return f"{date_words(dt.date().isoformat())} at {clock}"
