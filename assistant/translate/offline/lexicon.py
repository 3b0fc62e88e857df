"""Lexing stage of the offline translator: tokens -> items (an event, a trait value, a window, a count, a
connective ...). Two sources of phrases: a fixed table of English phrasings (windows, counts, comparisons,
connectives; below) and phrases drawn from the catalog (event, trait and property names, synonyms and sample
values, plus saved segment names). At each position the longest phrase wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from grammar import ast as A
from grammar.catalog import Catalog

from .text import CATEGORY_WORDS, COUNTRIES, FLAG_OPPOSITES, REGIONS, STOP_WORDS, UNITS, Token, lemmas


@dataclass
class Item:
    kind: str
    start: int
    end: int
    words: str                       # the user's words, for messages
    args: dict[str, Any] = field(default_factory=dict)
    used: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.args.get(key, default)


# ---- the fixed phrasing table ------------------------------------------------------------------------
# A pattern is words separated by spaces: `a|b` alternatives, `?x` optional, and slots N (a whole
# number), X (any number, money too), UNIT, DATE (a date or a year), STR (quoted text or one word), QSTR
# (quoted text only).

def _win(w: A.Node, note: str | None = None, **extra: Any) -> dict:
    return {"window": w, "note": note, **extra}


def _count(op: str, n: int, m: int | None = None, note: str | None = None) -> dict:
    return {"count": A.Count(op=op, n=n, m=m) if not (op == "at_least" and n <= 1) else None, "note": note}


def _year_end(year: str) -> str:
    return f"{year[:4]}-12-31"


AGO = "ago|back|earlier"
# Inside one slot, `_` joins the words of a multi-word alternative: "more_than|over".
PHRASES: list[tuple[str, str, Callable[..., dict]]] = [
    # relative windows
    ("in|within|during|over|for|from last|past N UNIT", "window", lambda n, u: _win(A.InLast(amount=n, unit=u))),
    # bare "last year" is the calendar year before (listed before "last UNIT", which it ties with)
    ("last_year|previous_year", "window", lambda: _win(None, calendar="last_year")),
    ("last|past N UNIT", "window", lambda n, u: _win(A.InLast(amount=n, unit=u))),
    ("in|within|during|over|for last|past UNIT", "window", lambda u: _win(A.InLast(amount=1, unit=u))),
    ("last|past UNIT", "window", lambda u: _win(A.InLast(amount=1, unit=u))),
    ("?coming_up in|within|during|over next|coming N UNIT", "window", lambda n, u: _win(A.InNext(amount=n, unit=u))),
    ("next|coming N UNIT", "window", lambda n, u: _win(A.InNext(amount=n, unit=u))),
    ("in|within|during|over next|coming UNIT", "window", lambda u: _win(A.InNext(amount=1, unit=u))),
    ("in|over N UNIT", "window", lambda n, u: _win(A.InLast(amount=n, unit=u), bare=True)),
    ("N UNIT", "window", lambda n, u: _win(A.InLast(amount=n, unit=u), bare=True)),  # terse: "shoe buyers 30d"
    ("coming_up|upcoming this_week|next_week", "window", lambda: _win(A.InNext(amount=7, unit="day"))),
    ("in|during|within that|this|same time|period|window", "same_window", lambda: {}),
    ("since_then|since_that_time", "same_window", lambda: {}),
    ("this week", "window", lambda: _win(A.InLast(amount=7, unit="day"), "'this week' read as the last 7 days")),
    ("this month", "window", lambda: _win(None, calendar="this_month")),
    ("this_year|so_far_this_year|year_to_date|ytd", "window", lambda: _win(None, calendar="this_year")),
    ("today", "window", lambda: _win(A.InLast(amount=1, unit="day"), "'today' read as the last 1 day")),
    ("yesterday", "window", lambda: _win(A.InLast(amount=1, unit="day"), "'yesterday' read as the last 1 day")),
    ("recently|lately|recent", "window", lambda: _win(A.InLast(amount=30, unit="day"), "'recent' read as the last 30 days")),
    ("over|more_than|at_least|over N UNIT " + AGO, "window", lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("over|more_than|at_least UNIT " + AGO, "window", lambda u: _win(A.MoreThanAgo(amount=1, unit=u))),
    ("N + UNIT " + AGO, "window", lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("N or_more UNIT " + AGO, "window", lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u))),
    ("N UNIT " + AGO, "window", lambda n, u: _win(A.MoreThanAgo(amount=n, unit=u),
                                                 f"'{n} {u}s ago' read as more than {n} {u}s ago")),
    ("less_than|under|within|< N UNIT " + AGO, "window", lambda n, u: _win(A.InLast(amount=n, unit=u))),
    ("between|from N and|to N UNIT " + AGO, "window",
     lambda a, b, u: _win(A.BetweenAgo(low=min(a, b), high=max(a, b), unit=u))),
    ("before|prior_to|until DATE", "window", lambda d: _win(A.Before(at=d))),
    ("on_or_after|since|from|after DATE", "window", lambda d: _win(A.After(at=d))),
    ("between|from DATE and|to|until DATE", "window", lambda a, b: _win(A.BetweenDates(start=a, end=b))),
    ("on DATE", "window", lambda d: _win(A.OnDate(day=d))),
    ("in|during YEAR", "window", lambda y: _win(A.BetweenDates(start=y, end=_year_end(y)))),
    ("within N UNIT", "within", lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    ("within UNIT", "within", lambda u: {"duration": A.Duration(amount=1, unit=u)}),
    ("for N UNIT", "for", lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    ("after|following ?gap_of|break_of|pause_of N UNIT ?away|break|gap|pause|off|absence|of_inactivity|silence",
     "gap", lambda n, u: {"duration": A.Duration(amount=n, unit=u)}),
    ("after_not|after_no", "gap_not", lambda: {}),
    ("ever|at_any_time|at_some_point|all_time|over_all_time|of_all_time", "ever", lambda: {}),
    # counts (with "times")
    ("at_least|minimum|min N time|times", "count", lambda n: _count("at_least", n)),
    ("N + time|times", "count", lambda n: _count("at_least", n)),
    ("N or_more time|times", "count", lambda n: _count("at_least", n)),
    ("more_than|over N time|times", "count", lambda n: _count("at_least", n + 1)),
    ("N to N time|times", "count", lambda a, b: _count("between", min(a, b), max(a, b))),
    ("fewer_than|less_than N time|times", "count", lambda n: _count("at_most", max(n - 1, 0))),
    ("at_most|no_more_than|up_to|max|maximum N time|times", "count", lambda n: _count("at_most", n)),
    ("N or_fewer|or_less time|times", "count", lambda n: _count("at_most", n)),
    ("?exactly|only|just N time|times", "count", lambda n: _count("exactly", n)),
    ("between|from N and|to N time|times", "count", lambda a, b: _count("between", min(a, b), max(a, b))),
    ("?exactly|only|just once", "count", lambda: _count("exactly", 1)),
    ("?exactly|only|just twice", "count", lambda: _count("exactly", 2)),
    ("at_least once", "count", lambda: _count("at_least", 1)),
    ("at_least_twice|twice_or_more|2_or_more_times", "count", lambda: _count("at_least", 2)),
    ("at_most once", "count", lambda: _count("at_most", 1)),
    ("more_than_once|more_than_1_time|repeatedly|again_and_again", "count", lambda: _count("at_least", 2)),
    ("multiple|several|many ?time|times", "count",
     lambda: _count("at_least", 2, note="'multiple' read as at least 2 times")),
    # comparisons of numbers (counts of events before an event noun, property values, aggregates)
    ("at_least|minimum|min|no_less_than|>= X", "cmp", lambda x: {"op": ">=", "value": x}),
    ("X or_more|+|and_up|or_higher|plus|or_above", "cmp", lambda x: {"op": ">=", "value": x}),
    ("more_than|over|above|greater_than|exceeding|exceeds|exceeded|higher_than|bigger_than|> X", "cmp",
     lambda x: {"op": ">", "value": x}),
    ("at_most|no_more_than|up_to|maximum|max|<= X", "cmp", lambda x: {"op": "<=", "value": x}),
    ("X or_less|or_fewer|or_lower|or_below", "cmp", lambda x: {"op": "<=", "value": x}),
    ("less_than|under|below|fewer_than|lower_than|smaller_than|< X", "cmp", lambda x: {"op": "<", "value": x}),
    ("exactly|equal_to|equals|= X", "cmp", lambda x: {"op": "=", "value": x}),
    ("between|from X and|to X", "range", lambda a, b: {"low": min(a, b), "high": max(a, b)}),
    ("X to X", "range", lambda a, b: {"low": min(a, b), "high": max(a, b)}),
    ("X", "num", lambda x: {"value": x}),
    # text matching
    ("containing|contains|contain|including|includes|include|mentioning|mentions STR", "text",
     lambda s: {"op": "contains", "value": s}),
    ("not_containing|not_contain|not_contains|not_including|not_include STR", "text",
     lambda s: {"op": "not_contains", "value": s}),
    ("starting|starts|start|beginning|begins|begin with STR", "text", lambda s: {"op": "starts_with", "value": s}),
    ("ending|ends|end with STR", "text", lambda s: {"op": "ends_with", "value": s}),
    # presence
    ("is|are set|present|known|filled|provided|available", "is_set", lambda: {"negated": False}),
    ("is|are not set|present|known|filled|provided|available", "is_set", lambda: {"negated": True}),
    ("is|are missing|empty|unknown|blank|null", "is_set", lambda: {"negated": True}),
    ("we_know|on_file|on_record", "is_set", lambda: {"negated": False}),
    ("missing", "is_set", lambda: {"negated": True}),
    ("is|=|equals|equal_to|named|called QSTR", "equals", lambda s: {"value": s}),
    # negation and connectives
    ("not|no|never|none|neither|non|nobody|zero|outside|outside_of", "neg", lambda: {}),
    ("did|does|do|have|has|had|is|are|was|were not", "neg", lambda: {"past": True}),
    ("never_have|have_never|has_never|not_yet|never_ever", "neg", lambda: {}),
    ("without", "neg", lambda: {"without": True}),
    ("no_longer|not_anymore|anymore|any_more", "stopped", lambda: {}),
    ("and|as_well_as|plus|&", "conj", lambda: {"op": "and"}),
    ("but|yet|while|although|though", "conj", lambda: {"op": "but"}),
    ("or|nor|and/or", "conj", lambda: {"op": "or"}),
    ("plus|and|or|as_well_as ?also anyone|anybody|everyone|everybody", "conj", lambda: {"op": "or"}),  # a union
    (",", "conj", lambda: {"op": ","}),
    ("except|except_for|excluding|exclude|other_than|apart_from|but_not|minus|unless|save_for", "conj",
     lambda: {"op": "except"}),
    ("then|and_then|followed_by|later|and_later|subsequently|and_after_that", "then", lambda: {}),
    ("after_it|after_that|afterwards|after_this|since", "then_tail", lambda: {}),  # "... and no order since"
    # first / last
    ("last|latest|most_recent|final|newest", "which", lambda: {"which": "last"}),
    ("first|earliest|initial|first_ever|very_first", "which", lambda: {"which": "first"}),
    ("for_first_time|for_first_time_ever", "which", lambda: {"which": "first"}),
    # regular / stopped / restarted
    ("?in|on at_least N of|out_of last|past N UNIT", "regular", lambda k, n, u: {"k": k, "n": n, "unit": u}),
    ("in|on ?each_of|every last|past N UNIT", "regular", lambda n, u: {"k": n, "n": n, "unit": u}),
    ("in|on each_of|every_one_of last|past N UNIT", "regular", lambda n, u: {"k": n, "n": n, "unit": u}),
    ("every|each UNIT for|in|over|during last|past N UNIT", "regular",
     lambda u, n, u2: {"k": n, "n": n, "unit": u2}),
    ("used_to|previously|formerly|before_but|in_past_but|once_used_to", "used_to", lambda: {}),
    ("stopped|stop|quit|ceased|lapsed|stopped_using|churned|went_quiet|gone_quiet|went_silent|gone_silent",
     "stopped", lambda: {}),
    ("came_back|come_back|coming_back|returned|restarted|resumed|again|reactivated|back", "restarted", lambda: {}),
    # rank
    ("top|best|highest N %|percent", "rank", lambda n: {"direction": "top", "amount": n, "percent": True}),
    ("bottom|lowest|worst N %|percent", "rank", lambda n: {"direction": "bottom", "amount": n, "percent": True}),
    ("top|best N", "rank", lambda n: {"direction": "top", "amount": n, "percent": False}),
    ("bottom|lowest|worst N", "rank", lambda n: {"direction": "bottom", "amount": n, "percent": False}),
    ("N biggest|largest|top|best|highest", "rank", lambda n: {"direction": "top", "amount": n, "percent": False}),
    ("N smallest|lowest", "rank", lambda n: {"direction": "bottom", "amount": n, "percent": False}),
    ("most|the_most|most_often|most_frequently", "most", lambda: {}),
    # aggregates
    ("total|sum|sum_of|in_total|combined|overall|altogether|all_time_total", "agg", lambda: {"func": "total"}),
    ("spent|spend|spends|spending|spender|spenders|paid|lifetime_value|ltv|clv|customer_lifetime_value"
     "|lifetime_spend|revenue", "agg", lambda: {"func": "total", "spend": True}),
    ("average|avg|mean|typical", "agg", lambda: {"func": "average"}),
    ("aov", "agg", lambda: {"func": "average", "spend": True}),
    ("minimum|smallest|lowest|cheapest", "agg", lambda: {"func": "min"}),
    ("maximum|largest|biggest|highest|most_expensive", "agg", lambda: {"func": "max"}),
    ("distinct|different|unique|separate|various", "agg", lambda: {"func": "count_distinct"}),
    ("number_of|count_of|how_many", "count_of", lambda: {}),
    ("in_segment|segment_named|segment_called STR", "segment_name", lambda s: {"name": s}),
]

_ALT_SLOTS = {"N", "X", "UNIT", "DATE", "YEAR", "STR", "QSTR"}


def _compile(pattern: str) -> list[tuple[bool, str | list[tuple[str, ...]]]]:
    out: list[tuple[bool, str | list[tuple[str, ...]]]] = []
    for part in pattern.split():
        optional = part.startswith("?")
        part = part.lstrip("?")
        out.append((optional, part if part in _ALT_SLOTS else [tuple(a.split("_")) for a in part.split("|")]))
    return out


_COMPILED = [(_compile(p), kind, fn) for p, kind, fn in PHRASES]


def _as_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def _slot(slot: str, tok: Token) -> tuple[bool, Any]:
    if slot == "N":
        ok = tok.kind == "num" and not tok.money and tok.number is not None and tok.number.is_integer()
        return ok, int(tok.number) if ok else None
    if slot == "X":
        return tok.kind == "num", _as_number(tok.number) if tok.kind == "num" else None
    if slot == "UNIT":
        return tok.kind == "word" and tok.text in UNITS, UNITS.get(tok.text)
    if slot == "DATE":
        if tok.kind == "date":
            return True, tok.text.upper().replace("T", "T") if "t" in tok.text else tok.text
        if tok.kind == "num" and tok.number is not None and 1900 <= tok.number <= 2100 and tok.text.isdigit():
            return True, f"{int(tok.number)}-01-01"
        return False, None
    if slot == "YEAR":
        ok = tok.kind == "num" and tok.text.isdigit() and len(tok.text) == 4 and 1900 <= int(tok.text) <= 2100
        return ok, f"{tok.text}-01-01" if ok else None
    if slot == "QSTR":
        return tok.kind == "str", tok.orig
    if slot == "STR":
        return tok.kind in ("str", "word", "num"), tok.orig
    raise ValueError(slot)


def _match(pattern, tokens: list[Token], i: int, caps: list) -> int | None:
    """Length of the longest match of `pattern` at tokens[i:], filling `caps` with slot values."""
    if not pattern:
        return 0
    (optional, want), rest = pattern[0], pattern[1:]
    best: int | None = None
    if isinstance(want, str):
        if i < len(tokens):
            ok, value = _slot(want, tokens[i])
            sub: list = []
            n = _match(rest, tokens, i + 1, sub) if ok else None
            if n is not None:
                best = n + 1
                caps[:] = [value, *sub]
    else:
        for words in want:
            if all(i + k < len(tokens) and tokens[i + k].kind != "str" and tokens[i + k].text == w
                   for k, w in enumerate(words)):
                sub = []
                n = _match(rest, tokens, i + len(words), sub)
                if n is not None and (best is None or n + len(words) > best):
                    best = n + len(words)
                    caps[:] = sub
    if optional:
        sub = []
        n = _match(rest, tokens, i, sub)
        if n is not None and (best is None or n > best):
            best = n
            caps[:] = sub
    return best


# ---- catalog phrases -----------------------------------------------------------------------------------

PURCHASE_WORDS = {"purchase", "order", "buy", "bought", "purchased", "ordered"}


@dataclass
class Phrase:
    words: tuple[str, ...]
    kind: str          # event | trait | prop | value | segment | consent
    args: dict[str, Any]
    exact: bool = False  # compare words as written (values, countries), not by word form
    priority: int = 0
    capitals: bool = False  # only when written in capitals: country codes ("DE", "IN") are also English words


def _words(text: str) -> tuple[str, ...]:
    text = re.sub(r"[_\-]", " ", text.lower()).replace("'", "")
    return tuple(w for w in re.findall(r"[a-z0-9@/.]+", text) if w not in ("a", "an", "the"))


def _country_trait(catalog: Catalog) -> tuple[str, bool] | None:
    """The trait holding countries, and whether its values are ISO codes (else country names)."""
    for name, spec in catalog.traits.items():
        codes = [v for v in spec.values if isinstance(v, str) and v.upper() in COUNTRIES]
        if spec.values and len(codes) >= max(1, len(spec.values) // 2):
            return name, True
    for name, spec in catalog.traits.items():
        if "country" in name or "country" in (s.lower() for s in spec.synonyms):
            return name, False
    return None


def consent_subject(trait: str) -> str | None:
    """What a consent-like boolean trait is about: email_consent -> 'email', sms_opt_in -> 'sms'."""
    parts = trait.split("_")
    subject = [p for p in parts if p not in ("consent", "opt", "in", "optin", "permission", "is", "has")]
    return " ".join(subject) if subject and subject != parts else None


# Short English words that happen to equal a catalog value or name ("IN" for India): never a phrase alone.
_COMMON = {"in", "it", "at", "no", "is", "as", "on", "or", "an", "be", "do", "me", "my", "so", "to", "up", "we"}


class Lexicon:
    """Phrases drawn from one catalog (and the saved segments / templates in play)."""

    def __init__(self, catalog: Catalog, segments: dict[str, str], templates: dict[str, str],
                 titles: dict[str, list[str]] | None = None):
        self.catalog = catalog
        self.phrases: list[Phrase] = []
        self._events()
        self._traits()
        self._properties()
        for name in list(segments) + [t for t in templates if t not in segments]:
            kind = "segment" if name in segments else "template"
            for alias in [name, *(titles or {}).get(name, [])]:
                self.add(_words(alias), kind, {"name": name}, priority=5)
                self.add(_words(alias) + ("segment",), kind, {"name": name}, priority=5)
        self.vocabulary = {w for p in self.phrases for w in p.words} | {
            w for pattern, _, _ in _COMPILED for _, want in pattern if isinstance(want, list) for alt in want
            for w in alt} | STOP_WORDS | set(UNITS)
        self.vocab_lemmas = set().union(*(lemmas(w) for w in self.vocabulary))

    def add(self, words: tuple[str, ...], kind: str, args: dict, exact: bool = False, priority: int = 0,
            capitals: bool = False) -> None:
        if words and (capitals or not (len(words) == 1 and (words[0] in STOP_WORDS or words[0] in _COMMON))):
            self.phrases.append(Phrase(words, kind, args, exact, priority, capitals))

    def _events(self) -> None:
        for name, spec in self.catalog.events.items():
            parts = name.split("_")
            names = {tuple(parts)}
            if len(parts) == 2:
                names.add((parts[1], parts[0]))  # app_opened -> "opened app"
            for words in names:
                self.add(words, "event", {"events": [name]}, priority=2)
            if len(parts) == 2:  # the noun alone ("the app"), weaker than any value or trait
                self.add((parts[0],), "event", {"events": [name], "noun": True}, priority=0)
            for syn in spec.synonyms:
                self.add(_words(syn), "event", {"events": [name]}, priority=2)
            if spec.description:  # "Clicked a link in an SMS": the catalog's own wording of the event
                self.add(_words(spec.description), "event", {"events": [name]}, priority=2)
        # a bare verb shared by event names ("viewed", "opened", "started"): several candidates
        verbs: dict[str, list[str]] = {}
        for name in self.catalog.events:
            parts = name.split("_")
            if len(parts) >= 2:
                verbs.setdefault(parts[-1], []).append(name)
        for verb, events in verbs.items():
            self.add((verb,), "event", {"events": events}, priority=1)

    def _traits(self) -> None:
        country = _country_trait(self.catalog)
        for name, spec in self.catalog.traits.items():
            self.add(_words(name), "trait", {"trait": name}, priority=3)
            for syn in spec.synonyms:
                self.add(_words(syn), "trait", {"trait": name}, priority=3)
            if spec.type == "boolean":
                self._consent(name, spec.synonyms)
            for value in spec.values if not country or country[0] != name else []:
                if isinstance(value, str):
                    self.add(_words(value), "value", {"field": name, "trait": True, "value": value}, priority=2)
            if spec.type in ("date", "timestamp") and any("birth" in w for w in (name, *spec.synonyms)):
                self.add(("born",), "trait", {"trait": name}, priority=3)
        if country:
            name, codes = country
            known = {str(v).upper(): v for v in self.catalog.traits[name].values}
            for code, names in COUNTRIES.items():
                value = known.get(code, code) if codes else names[0].title()
                for country_name in names:
                    self.add(_words(country_name), "value",
                             {"field": name, "trait": True, "value": value, "country": country_name},
                             exact=True, priority=2)
                if code in known:
                    self.add((code.lower(),), "value", {"field": name, "trait": True, "value": known[code]},
                             exact=True, priority=2, capitals=True)
            for region_names, codes_in in REGIONS.items():
                values = [known[c] for c in known if c in codes_in] if codes else []
                for region in region_names if values else ():
                    self.add(_words(region), "value", {"field": name, "trait": True,
                                                      "value": values if len(values) > 1 else values[0]},
                             exact=True, priority=2)

    def _consent(self, name: str, synonyms: list[str]) -> None:
        """Boolean traits like email_consent / sms_opt_in: 'opted in to email', 'agreed to sms' ..."""
        s = consent_subject(name)
        if s is None:
            return
        true = [f"opted in to {s}", f"opted into {s}", f"opt in to {s}", f"{s} opt in", f"{s} opted in",
                f"consented to {s}", f"agreed to {s}", f"agreed to receive {s}", f"agreed to receive marketing {s}",
                f"given {s} consent", f"gave {s} consent", f"{s} consent", f"can receive {s}",
                f"can receive marketing {s}", f"{s} marketing consent", f"accept {s}", f"subscribed to {s}",
                f"{s} permission", f"{s} ok", f"{s} okay", f"{s} allowed"]
        false = [f"opted out of {s}", f"opted out from {s}", f"no {s} consent", f"declined {s}"]
        for text in true:
            self.add(_words(text), "consent", {"trait": name, "value": True}, priority=4)
        for text in false:
            self.add(_words(text), "consent", {"trait": name, "value": False}, priority=4)

    def _properties(self) -> None:
        for name, spec in self.catalog.properties.items():
            self.add(_words(name), "prop", {"prop": name}, priority=1)
            for syn in spec.synonyms:
                self.add(_words(syn), "prop", {"prop": name}, priority=1)
            for value in spec.values:
                if not isinstance(value, str):
                    continue
                args = {"field": name, "trait": False, "value": value}
                words = _words(value.strip("/"))
                self.add(words, "value", args, priority=2)
                if words and words[-1].isdigit() and len(words) > 1:  # "Black Friday 2025" -> "black friday"
                    self.add(words[:-1], "value", args, priority=2)
                for word in CATEGORY_WORDS.get(value.lower(), []):
                    self.add(_words(word), "value", args, priority=2)
            if spec.type == "boolean":
                for stem, phrases in FLAG_OPPOSITES.items():
                    if any(stem in w for w in (name, *spec.synonyms)):
                        for text in phrases:
                            self.add(_words(text), "value", {"field": name, "trait": False, "value": False},
                                     priority=2)

    def known(self, tok: Token) -> bool:
        return tok.kind != "word" or bool(tok.lemmas & self.vocab_lemmas)


def _phrase_len(phrase: Phrase, tokens: list[Token], i: int) -> tuple[int, bool]:
    """(words matched, all of them exactly as written) or (0, False)."""
    n = len(phrase.words)
    if i + n > len(tokens):
        return 0, False
    if phrase.capitals and not _capital_code(tokens, i):
        return 0, False
    exact = True
    for word, tok in zip(phrase.words, tokens[i:i + n]):
        if tok.kind not in ("word", "num"):
            return 0, False
        if tok.text != word and not (tok.kind == "num" and tok.orig.lower() == word):  # "one" of "one-time"
            exact = False
            if phrase.exact or tok.kind == "num" or tok.text in STOP_WORDS or not (lemmas(word) & tok.lemmas):
                return 0, False
            # names of saved segments are names, not verbs: "buyers" matches "buyer", never "bought"
            if phrase.kind in ("segment", "template") and tok.text.rstrip("s") != word.rstrip("s"):
                return 0, False
    return n, exact


def _capital_code(tokens: list[Token], i: int) -> bool:
    """A short code in capitals among words that are not ('DE contacts'), so not a shouted word."""
    def shouted(j: int) -> bool:
        return 0 <= j < len(tokens) and tokens[j].kind == "word" and len(tokens[j].orig) > 2 \
            and tokens[j].orig.isupper()
    return tokens[i].orig.isupper() and not shouted(i - 1) and not shouted(i + 1)


def lex(tokens: list[Token], lexicon: Lexicon) -> list[Item]:
    """Longest match at each position; ties go to the more specific phrase. Phrases of equal length and
    kind merge (a bare verb naming several events; a word that is both a value and an event)."""
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        best: list[tuple[int, float, Item]] = []  # (length, priority, item)
        for pattern, kind, fn in _COMPILED:
            caps: list = []
            n = _match(pattern, tokens, i, caps)
            if n:
                try:
                    args = fn(*caps)
                except (ValueError, TypeError):
                    continue  # e.g. an impossible date
                best.append((n, 3 if kind not in ("num", "which", "restarted") else 0,
                             Item(kind, i, i + n, _span_text(tokens, i, i + n), args)))
        for phrase in lexicon.phrases:
            n, exact = _phrase_len(phrase, tokens, i)
            if n:
                boost = (10 if phrase.kind in ("segment", "template", "consent") else 0) + (0.5 if exact else 0)
                best.append((n, phrase.priority + boost,
                             Item(phrase.kind, i, i + n, _span_text(tokens, i, i + n), dict(phrase.args))))
        if not best:
            tok = tokens[i]
            kind = "stop" if tok.kind == "word" and tok.text in STOP_WORDS else (
                "str" if tok.kind == "str" else "unknown")
            items.append(Item(kind, i, i + 1, tok.orig, {"text": tok.orig}))
            i += 1
            continue
        length = max(b[0] for b in best)
        top = [b for b in best if b[0] == length]
        top.sort(key=lambda b: -b[1])
        items.append(_merge([b[2] for b in top], [b[1] for b in top]))
        i += length
    return items


def _merge(cands: list[Item], priorities: list[float]) -> Item:
    first = cands[0]
    if first.kind == "event":
        events: list[str] = []
        for c, p in zip(cands, priorities):
            if c.kind == "event" and int(p) == int(priorities[0]):
                events += [e for e in c["events"] if e not in events]
        first.args["events"] = events
    alternatives = [c for c in cands[1:] if c.kind != first.kind]
    if alternatives:
        first.args["alternatives"] = alternatives
    values = [c for c in cands if c.kind == "value"]
    if first.kind == "value" and len(values) > 1:
        first.args["others"] = values[1:]
    return first


def _span_text(tokens: list[Token], start: int, end: int) -> str:
    return " ".join(t.orig for t in tokens[start:end])
