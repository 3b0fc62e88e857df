"""Text stage of the offline translator: normalise English, split it into tokens, and the small amount of
generic English it needs (number words, word forms, country names). Nothing here knows a catalog."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from grammar.units import UNIT_WORDS
from assistant.translate.accounting import CORRECTED

ARTICLES = {"a", "an", "the"}

# Words that carry no condition on their own; they are dropped silently. Everything else must be used or
# reported back.
STOP_WORDS = {
    "people", "person", "persons", "customers", "customer", "users", "user", "contacts", "contact", "members",
    "member", "everyone", "everybody", "anyone", "anybody", "someone", "somebody", "accounts", "account",
    "clients", "client", "shoppers", "folks", "visitors", "subscribers",
    "who", "whom", "whose", "which", "that", "those", "these", "them", "they", "their", "there", "this",
    "have", "has", "had", "having", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did",
    "show", "me", "find", "get", "give", "list", "all", "any", "some", "i", "want", "need", "please", "segment",
    "target", "targeting",
    "of", "to", "from", "in", "on", "at", "by", "with", "for", "as", "into", "via", "through", "what", "where",
    "also", "still", "already", "just", "ones", "who've", "it", "its", "something", "anything", "thing",
    "things", "item", "items", "own", "both", "either", "so", "far", "up", "out", "currently", "now",
    "single", "actually", "marketing", "whoever", "whomever",
    "too", "well", "placed", "place", "places", "made", "make", "makes", "like", "our", "my", "we", "everything",
}

# Qualifiers that stand for a value the user has in mind but did not say ("the right plan").
VAGUE_WORDS = {"right", "correct", "appropriate", "relevant", "suitable", "proper", "usual", "preferred", "ideal",
               "certain", "specific", "particular", "desired", "wanted", "intended"}

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}

# The language's unit words plus the abbreviations people type ("30d", "24 hrs").
UNITS = {**UNIT_WORDS, "min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour", "h": "hour", "d": "day",
         "wk": "week", "wks": "week", "mo": "month", "mos": "month", "yr": "year", "yrs": "year"}

CURRENCY_WORDS = {"dollars", "dollar", "usd", "euros", "euro", "eur", "pounds", "gbp", "bucks"}

# Irregular word forms -> base form, so "bought" meets the synonym "buy".
_IRREGULAR = {
    "bought": "buy", "spent": "spend", "began": "begin", "begun": "begin", "sent": "send", "made": "make",
    "paid": "pay", "got": "get", "went": "go", "came": "come", "saw": "see", "seen": "see", "gave": "give",
    "given": "give", "took": "take", "taken": "take", "ran": "run", "kept": "keep", "left": "leave",
    "people": "person", "children": "child", "women": "woman", "men": "man", "wrote": "write",
}

_SUFFIXES = ("ing", "ers", "ies", "ied", "ed", "es", "er", "s", "d")


def lemmas(word: str) -> frozenset[str]:
    """Every base form a word could have ("purchased" -> purchase, "categories" -> category). Both a
    token and a lexicon word are expanded, and they match when the sets meet."""
    out = {word}
    if word in _IRREGULAR:
        out.add(_IRREGULAR[word])
    if not word.isalpha():
        return frozenset(out)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                out.add(base + "y")
                continue
            out.update({base, base + "e"})
            if base[-1] == base[-2] and base[-1] not in "aeiouls":
                out.add(base[:-1])  # stopped -> stop, submitted -> submit
    return frozenset(out)


@dataclass
class Token:
    text: str            # normalised (lower-case) text; for quoted text, the text inside the quotes
    kind: str            # word | num | date | str | sym
    orig: str            # as the user wrote it (case kept), for values and messages
    number: float | None = None
    money: bool = False
    start: int = 0       # character span in the original request (before any normalisation)
    end: int = 0

    @property
    def lemmas(self) -> frozenset[str]:
        return lemmas(self.text) if self.kind == "word" else frozenset({self.text})


class Source(str):
    """Text that remembers where each character came from in the original request, so tokens can point at
    the user's own words after normalisation ('didn't' -> 'did not'), slicing and joining. A str: regexes
    and comparisons work on it as on any text; slicing, `strip`, `+` and `sub` keep the spans."""

    spans: tuple[tuple[int, int], ...]  # per character: its (start, end) in the original request

    def __new__(cls, text: str, spans: tuple[tuple[int, int], ...] | None = None) -> "Source":
        """`text` as the original (each character its own span), or with the spans it came from."""
        self = super().__new__(cls, text)
        self.spans = spans if spans is not None else tuple((i, i + 1) for i in range(len(text)))
        return self

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, slice):
            return Source(str.__getitem__(self, key), self.spans[key])
        return str.__getitem__(self, key)

    def strip(self, chars: str | None = None) -> "Source":  # type: ignore[override]
        left = len(self) - len(self.lstrip(chars))
        return self[left:left + len(str.strip(self, chars))]

    def __add__(self, other: str) -> "Source":  # type: ignore[override]
        spans = other.spans if isinstance(other, Source) else _spans_of(other, self.span(0, len(self))[1])
        return Source(str.__add__(self, other), self.spans + spans)

    def __radd__(self, other: str) -> "Source":
        return Source(str.__add__(other, self), _spans_of(other, self.span(0, len(self))[0]) + self.spans)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of characters [start, end)."""
        spans = self.spans[start:end]
        if not spans:
            at = self.spans[start - 1][1] if 0 < start <= len(self.spans) else (self.spans[0][0] if self.spans else 0)
            return at, at
        return min(s for s, _ in spans), max(e for _, e in spans)

    def sub(self, pattern: str, repl, flags: int = 0) -> "Source":
        """re.sub that keeps spans: a replacement maps to the words it replaced; a group copied by the
        template (\\1) keeps its own spans, and the template's words map to what lay between the groups."""
        text, spans, at = [], [], 0
        for m in re.finditer(pattern, self, flags):
            text.append(str.__getitem__(self, slice(at, m.start())))
            spans.extend(self.spans[at:m.start()])
            if callable(repl):
                new = repl(m)
                text.append(new)
                spans.extend([self._stripped_span(m.start(), m.end())] * len(new))
            else:
                pieces = list(self._expand(m, repl))
                assert "".join(p for p, _ in pieces) == m.expand(repl), repl  # the text re.sub makes
                for piece, piece_spans in pieces:
                    text.append(piece)
                    spans.extend(piece_spans)
            at = m.end()
        text.append(str.__getitem__(self, slice(at, None)))
        spans.extend(self.spans[at:])
        return Source("".join(text), tuple(spans))

    def _expand(self, m: re.Match, template: str):
        """(text, spans) pieces of a template replacement: literal words and copied groups."""
        parts = re.split(r"\\(\d+)", template)  # literal, group, literal, group, ...
        bounds = [m.span(int(g)) for g in parts[1::2]]
        for k, literal in enumerate(parts[::2]):
            if literal:
                lo = bounds[k - 1][1] if k else m.start()
                hi = bounds[k][0] if k < len(bounds) else m.end()
                yield literal, [self._stripped_span(lo, hi)] * len(literal)
            if k < len(bounds):
                lo, hi = bounds[k]
                yield str.__getitem__(self, slice(lo, hi)), list(self.spans[lo:hi])

    def _stripped_span(self, lo: int, hi: int) -> tuple[int, int]:
        """The original span of [lo, hi) without the white space at its ends."""
        while lo < hi and self[lo].isspace():
            lo += 1
        while hi > lo and self[hi - 1].isspace():
            hi -= 1
        return self.span(lo, hi)


def _spans_of(text: str, at: int) -> tuple[tuple[int, int], ...]:
    """Spans for text that was not in the request (a joining space): empty, at `at`."""
    return tuple((at, at) for _ in text)


_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"]
MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}

# Month abbreviations, read as the month next to a day ("Sept 7", "1 Jan 2025") or after a word of time
# ("in oct"): `_full_month` writes them out before anything else reads dates.
_SHORT_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
                 "oct": 10, "nov": 11, "dec": 12}


def _full_month(short: str) -> str:
    return _MONTH_NAMES[_SHORT_MONTHS[short.lower()] - 1]
# A day said without a year: --MM-DD (ISO 8601's recurring date; the most recent one at or before as-of),
# or ++MM-DD when "this year" follows. The translator resolves them against its as-of.
YEARLESS, THIS_YEAR = "--", "++"

_TOKEN = re.compile(r"""
    (?P<str>"[^"]*"|(?<![\w])'[^']+'(?![\w]))
  | (?P<date>\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?)?|(?:--|\+\+)\d{2}-\d{2}(?![\w-]))
  | (?P<num>[$€£]?\d+(?:\.\d+)?k?)
  | (?P<sym>[<>!]=|[<>=%+,;])
  | (?P<word>[a-z@/_][a-z0-9_@./']*)
""", re.VERBOSE | re.IGNORECASE)

_CONTRACTIONS = [
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"n't\b", " not"),
    (r"'ve\b", " have"), (r"'re\b", " are"), (r"'ll\b", " will"), (r"'d\b", " would"), (r"\bwho's\b", "who is"),
    # typed without the apostrophe ("havent", "didnt")
    (r"\b(have|has|had|did|do|does|is|are|was|were)nt\b", r"\1 not"), (r"\bdont\b", "do not"),
    (r"\bw/o\b", "without"),  # note-taking shorthand
]


def _expand_dates(text: Source) -> Source:
    """'January 1, 2026' / '1 January 2026' -> 2026-01-01, so every date reaches the lexer in one form;
    a whole month ('October 2026') or half year ('first half of 2026') -> 'between DATE and DATE'."""
    month = "|".join(MONTHS)

    def md(m: re.Match) -> str:
        return f"{int(m.group(3)):04d}-{MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}"

    def dm(m: re.Match) -> str:
        return f"{int(m.group(3)):04d}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"

    def shared_year(m: re.Match) -> str:  # "January 1 and March 31, 2026": the year belongs to both
        return f"{m.group(1)} {m.group(2)}, {m.group(6)} {m.group(3)} {m.group(4)} {m.group(5)}, {m.group(6)}"

    def whole_month(m: re.Match) -> str:
        year, number = int(m.group(2)), MONTHS[m.group(1).lower()]
        return f"between {_day(year, number, 1)} and {_day(year, number, calendar.monthrange(year, number)[1])}"

    def half(m: re.Match) -> str:
        year = int(m.group(2))
        first = m.group(1).lower() == "first"
        return f"between {year}-{'01-01' if first else '07-01'} and {year}-{'06-30' if first else '12-31'}"

    def decade(m: re.Match) -> str:
        start = int(m.group(1))
        return f"between {start}-01-01 and {start + 9}-12-31"

    def quarter(m: re.Match) -> str:
        q, year = int(m.group(1)), int(m.group(2))
        first, last = 3 * q - 2, 3 * q
        return f"between {_day(year, first, 1)} and {_day(year, last, calendar.monthrange(year, last)[1])}"

    def quarter_days(m: re.Match) -> str:
        q, mark = int(m.group(1)), THIS_YEAR if m.group(2) else YEARLESS
        last = 3 * q
        return f"between {mark}{3 * q - 2:02d}-01 and {mark}{last:02d}-{calendar.monthrange(2001, last)[1]:02d}"

    day = r"(\d{1,2})(?:st|nd|rd|th)?"
    # a month's short name next to a day: "Jan 1 2025", "3 Mar", "Sept. 7" -> the month's name
    short = "|".join(_SHORT_MONTHS)
    text = text.sub(rf"\b({short})\.?(?=\s+\d{{1,2}}(?:st|nd|rd|th)?\b)|(?<=\d )({short})\b",
                    lambda m: _full_month(m.group(1) or m.group(2)), flags=re.I)
    text = text.sub(rf"\b({month})\s+{day}\s+(and|to|until|through)\s+({month})\s+{day},?\s+(\d{{4}})\b",
                    shared_year, flags=re.I)
    text = text.sub(rf"\b({month})\s+{day},?\s+(\d{{4}})\b", md, flags=re.I)
    text = text.sub(rf"\b{day}\s+({month}),?\s+(\d{{4}})\b", dm, flags=re.I)
    text = text.sub(rf"\b({month}),?\s+(\d{{4}})\b", whole_month, flags=re.I)  # "October 2026"
    text = text.sub(r"\b(first|second) half of (\d{4})\b", half, flags=re.I)
    text = text.sub(r"\b(?:in\s+|during\s+)?(?:the\s+)?((?:19|20)\d0)'?s\b", decade, flags=re.I)  # "the 1990s"
    text = text.sub(r"\b(?:in\s+|during\s+)?(?:the\s+)?(first|second) half of (?:this|the current) year\b",
                    lambda m: "between ++01-01 and ++06-30" if m.group(1).lower() == "first"
                    else "between ++07-01 and ++12-31", flags=re.I)
    text = text.sub(r"\b(?:in\s+|during\s+)?q([1-4])\s+(?:of\s+)?(\d{4})\b", quarter, flags=re.I)  # "Q2 2025"
    # "Q3 this year" is this year's; "Q2" alone, like a day without a year, the most recent one
    text = text.sub(r"\b(?:in\s+|during\s+)?q([1-4])(\s+(?:of\s+)?this\s+year)?\b", quarter_days, flags=re.I)
    return _yearless(text, day)


def _yearless(text: Source, day: str) -> Source:
    """'Feb 1 to Feb 14', 'since Sept 7', 'March 1 to March 15 this year': days without a year, marked
    --MM-DD (or ++MM-DD before 'this year', which they then stand for)."""
    names = MONTHS  # short names next to a day are written out already (_expand_dates)
    month = "|".join(sorted(names, key=len, reverse=True))
    one = rf"\b(?:{month})\.?\s+{day}\b(?!\s*,?\s*\d|\s+times?\b)"

    def mark(prefix: str):
        def sub(m: re.Match) -> str:
            found = re.match(rf"({month})\.?\s+(\d{{1,2}})", m.group(0), flags=re.I)
            number, dom = names[found.group(1).lower()], int(found.group(2))
            if found.group(1) == "may" or dom > calendar.monthrange(2000, number)[1]:
                return m.group(0)  # the verb ("may 5 ..."), or no such day
            return f"{prefix}{number:02d}-{dom:02d}"
        return sub

    def this_year(m: re.Match) -> str:
        return re.sub(one, mark(THIS_YEAR), m.group(1), flags=re.I)

    text = text.sub(rf"({one}(?:\s+(?:and|to|until|through|-)\s+{one})?)\s+(?:of\s+)?this\s+year\b", this_year,
                    flags=re.I)
    return text.sub(one, mark(YEARLESS), flags=re.I)


def _day(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


# Note-taking shorthand, as words: 'from yday', 'w no orders', 'in oct' (units such as
# 'wk' and 'mos' are the phrase table's: a terse 'last wk' is asked about).
_SHORTHAND = [
    (r"\b(?:yday|yest|ystrdy)\b", "yesterday"), (r"\bfrm\b", "from"), (r"\bw/(?=\s)", "with"),
    (r"#\s*(?:of\b)?", "number of "),
    (r"(?<=\bwho )r\b", "are"), (r"(?<=\bthis )yr\b", "year"), (r"\bqtrs?\b", "quarter"),
    (r"\bL(\d+)([DWMY])\b", lambda m: f"last {m.group(1)} " + {"D": "days", "W": "weeks", "M": "months",
                                                                  "Y": "years"}[m.group(2).upper()]),  # L90D
    # "minimum 3 out of the last 7 days", "minimal 3 times": a bound, not a minimum of something
    (r"\b(?:minimum|minimal|min\.)(?: of)?\s+(?=\d)", "at least "),
    (r"\b(?:maximum|maximal|max\.)(?: of)?\s+(?=\d)", "at most "),
    (r"\b(\d+) out of (?:the )?(last|past) (\d+)", r"\1 of \2 \3"),
    (r"\bcusts\b", "customers"), (r"\bnotifs?\b", "notifications"), (r"\bexcl\b\.?", "excluding"),
    # "opened one of our emails": an email, not exactly one ("at least one of the ..." keeps its number)
    (r"(?<!least )(?<!exactly )(?<!only )(?<!than )\bone of (?:our|the|their|your|its|these|those|my)\b", ""),
    (r"(?<=, )(?:both|all) of (?:them|those|these)\b", "each"),  # '2 purchases, both of them flowers': each
    (r"\b(?:every|each) (?:single )?one of (?=(?:their|the)\b)", "all of "),  # 'every one of their orders': not a count
    # "looking the shoes", "was looking shoes" (not "looking for", "looking at")
    (r"\b(look|looks|looked|looking)\s+(?!(?:for|to|at|forward|into|like|up|out|back|after|around|over|through|"
     r"ahead|good|great)\b)(?=[a-z])", r"\1 at "),
    (r"(?<= )w(?= (?:no|an?|the|[0-9]|at|more|over|under|less)\b)", "with"),
    # a month's short name after a word of time: 'in oct', 'since feb', 'during dec'
    (r"\b(in|since|during|from|before|after|until|through|thru|of|to) "
     r"(jan|feb|apr|jun|jul|aug|sept?|oct|nov|dec)\b(?!\s*\d)",
     lambda m: f"{m.group(1)} {_full_month(m.group(2))}"),
]
# 'above the 90th percentile of X' is the top 10% by X; 'below the 20th percentile' the bottom 20%.
_PERCENTILE = r"\b(above|over|beyond|in|below|under|top|bottom|lowest)\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+percentile\b"


def _percentile(m: re.Match) -> str:
    where, n = m.group(1).lower(), int(m.group(2))
    if where in ("above", "over", "beyond", "in"):
        return f"top {100 - n} %"
    return f"{'top' if where == 'top' else 'bottom'} {n} %"


def _date_sign(m: re.Match) -> str:
    """A comparison sign before a day, as words the calendar reads: '> 2026-06-01' is on or after June 2nd,
    '<= 2026-06-01' before June 2nd."""
    sign, day = m.group(1), date.fromisoformat(m.group(2))
    if sign in (">", "<=", "=<"):
        day += timedelta(days=1)
    return f"{'on or after' if sign.startswith(('>', '=>')) else 'before'} {day.isoformat()}"


def normalise(text: Source) -> Source:
    text = text.sub("[\u2018\u2019]", "'").sub("[\u201c\u201d]", '"')
    # Case is kept here (values and messages use the user's spelling); tokens compare in lower case.
    for pattern, repl in _CONTRACTIONS:
        text = text.sub(pattern, repl, flags=re.I)
    text = text.sub(r"\b(?:um+|uh+|erm|er)\b\s*,?\s*", "", flags=re.I)  # a speaker's fillers
    # half-SQL dates: "signup_at >= '2026-06-01'" is on or after that day, "< '2026-01-01'" before it
    text = text.sub(r"(['\"])(\d{4}-\d{2}-\d{2})\1", r"\2")
    text = text.sub(r"(?<![<>!=])(>=|=>|>|<=|=<|<)\s*(\d{4}-\d{2}-\d{2})\b(?![t ]\d)", _date_sign)
    text = text.sub(CORRECTED, "")
    text = _expand_dates(text)
    from .named_days import mark_named_days  # it builds on this module's day markers, so it is loaded after it

    text = mark_named_days(text)
    text = text.sub(r"(\d),(\d{3})\b", r"\1\2")                    # 1,000 -> 1000
    text = text.sub(r"\s+(?:itself|themselves|proper)\b(?=\s)", "")  # "on Black Friday itself last year"
    text = text.sub(r"(?<![\d+-])(\d+)\s*(?:-|–)\s*(\d+)(?![\d-])", r"\1 to \2")  # 2-5 -> 2 to 5
    text = text.sub(r"(?<=[a-zA-Z])-(?=[a-zA-Z])", " ")            # one-time -> one time
    text = text.sub(r"\b(more|less|fewer|greater|higher|lower|other) then\b", r"\1 than", flags=re.I)
    text = text.sub(r"\b(\d+)\s*x\s*\+", r"\1+ times", flags=re.I)  # terse counts: 3x+ -> 3+ times
    # "looked at 3+ items": things counted are times done ("different items" is not said here: no item field)
    text = text.sub(r"\b(\d+\s*\+|\d+ or more|(?:more than|at least|over|fewer than|less than|at most) \d+)\s+"
                    r"(?:items|things|pieces)\b", r"\1 times", flags=re.I)
    # "gone 30+ days", "for 90+ days": a gap or a duration is at least what it says already
    text = text.sub(r"\b(\d+)\s*\+\s*(?=(?:hours?|days?|weeks?|months?|years?)\b)", r"\1 ", flags=re.I)
    text = text.sub(r"\b(\d+)\s*x\b", r"\1 times", flags=re.I)
    text = text.sub(r"\b([A-Z]{2})\s*[/+]\s*(?=[A-Z]{2}\b)", r"\1 or ")  # code lists: JP/IN/BR, US + CA
    text = text.sub(r"\b(NOT\s+)?IN(?=\s*\()", lambda m: m.group().lower())  # SQL's "country IN (...)": no India
    for pattern, repl in _SHORTHAND:
        text = text.sub(pattern, repl, flags=re.I)
    text = text.sub(_PERCENTILE, _percentile, flags=re.I)
    # a sentence's end is a list's separator: "... in the US and Canada. Leave out VIPs, ..."
    # (not after an abbreviation: "e.g. Germany", "vs. Q3")
    text = text.sub(r"(?<=[a-z0-9)\]\"'])(?<!\b[a-z]\.[a-z])(?<!\bvs)(?<!\betc)(?<!\bincl)(?<!\bexcl)(?<!\bapprox)"
                    r"[.!?]+\s+(?=[A-Z])", " ; ")
    return text


# Words a window begins with: after 'both' / 'all' they make the window every condition's.
_WINDOW_STARTS = {"in", "within", "during", "over", "since", "from", "between", "last", "this", "on"}


def tokenize(text: str) -> list[Token]:
    """Normalised tokens; articles and 'both' / 'either' dropped ('a'/'an' before a unit becomes the
    number 1). Each token's span points into the original request: give a `Source` for text cut from a
    request (plain text is its own original)."""
    raw: list[Token] = []
    source = normalise(text if isinstance(text, Source) else Source(text))
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup or "word"
        value = m.group()
        start, end = source.span(m.start(), m.end())
        if kind == "str":
            raw.append(Token(value[1:-1], "str", value[1:-1], start=start, end=end))
        elif kind == "date":
            raw.append(Token(value.lower().replace(" ", "t"), "date", value, start=start, end=end))
        elif kind == "num":
            money = value[0] in "$€£"
            digits = value.lstrip("$€£")
            digits = digits.lower()
            number = float(digits.rstrip("k")) * (1000 if digits.endswith("k") else 1)
            raw.append(Token(digits, "num", value, number=number, money=money, start=start, end=end))
        elif kind == "sym":
            raw.append(Token(value, "sym", value, start=start, end=end))
        else:
            kept = value.rstrip(".'")
            start, end = source.span(m.start(), m.start() + len(kept))  # "u.s." keeps "u.s"
            word = kept.replace("'", "").lower()
            if word in NUMBER_WORDS:
                raw.append(Token(str(NUMBER_WORDS[word]), "num", value, number=float(NUMBER_WORDS[word]),
                                 start=start, end=end))
            elif "_" in word.strip("_") and not word.startswith("@"):
                # a field's name as written ('email_consent', 'Country__c'): its words
                at = m.start()
                for part in re.finditer(r"[^_]+", kept):
                    lo, hi = source.span(at + part.start(), at + part.end())
                    raw.append(Token(part.group().lower(), "word", part.group(), start=lo, end=hi))
            elif word:
                raw.append(Token(word, "word", kept, start=start, end=end))
    tokens: list[Token] = []
    for i, tok in enumerate(raw):
        if tok.kind == "word" and tok.text == "us" and tok.orig != "US" and not (i and raw[i - 1].text == "the"):
            tok.text = "we"  # the pronoun ("bought from us"), not the country
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if tok.kind == "word" and tok.text in ("both", "all") and nxt is not None and nxt.text in _WINDOW_STARTS \
                and not (raw[i - 1].text == "at" if i else False):  # "haven't ordered at all this quarter"
            tok.text = "allof"  # "..., both in the last 2 weeks": the window is every one's (see clauses.split)
            tokens.append(tok)
            continue
        if tok.kind == "word" and tok.text in ("both", "either") and not (tokens and tokens[-1].text == "not"):
            continue  # "both email and SMS", "either A or B": the connective says it ("not both" does not)
        if tok.kind == "word" and tok.text in ARTICLES:
            nxt = raw[i + 1] if i + 1 < len(raw) else None
            if tok.text != "the" and nxt is not None and nxt.kind == "word" and nxt.text in UNITS and len(nxt.text) > 2:
                tokens.append(Token("1", "num", tok.orig, number=1.0, start=tok.start, end=tok.end))
            continue
        if tok.kind == "num" and tok.orig.isalpha() and len(tokens) > 1 and tokens[-1].text == "and" and \
                tokens[-2].kind == "num" and tokens[-2].orig.split()[-1].lower() in ("hundred", "thousand"):
            merged = _number_words(f"{tokens[-2].orig} and {tok.orig}")  # "one hundred and fifty"
            if merged is not None:
                tokens.pop()
                tokens[-1] = _merged_number(tokens[-1], tok, merged)
                continue
        if tok.kind == "num" and tok.orig.isalpha() and tokens and tokens[-1].kind == "num" and \
                tokens[-1].orig.replace(" ", "").isalpha():
            merged = _number_words(f"{tokens[-1].orig} {tok.orig}")  # "thirty two", "one hundred"
            if merged is not None:
                tokens[-1] = _merged_number(tokens[-1], tok, merged)
                continue
        if tok.kind == "word" and tok.text in ("dozen", "dozens"):
            if tokens and tokens[-1].kind == "num":  # "two dozen"
                tokens[-1] = _merged_number(tokens[-1], tok, tokens[-1].number * 12)
                continue
            if i > 1 and raw[i - 1].text == "a" and tokens and tokens[-1].text == "half":  # "half a dozen"
                tokens[-1] = Token("6", "num", f"{tokens[-1].orig} {raw[i - 1].orig} {tok.orig}", number=6.0,
                                   start=tokens[-1].start, end=tok.end)
                continue
            if i and raw[i - 1].text in ("a", "one"):  # "a dozen"
                tokens.append(Token("12", "num", f"{raw[i - 1].orig} {tok.orig}", number=12.0,
                                    start=raw[i - 1].start, end=tok.end))
                continue
        if tok.kind == "word" and tok.text in CURRENCY_WORDS and tokens and tokens[-1].kind == "num":
            tokens[-1].money = True
            tokens[-1].end = tok.end  # "500 dollars": the amount's words include the currency
            continue
        tokens.append(tok)
    return tokens


def _number_words(words: str) -> float | None:
    """A number written in words ("thirty two", "one hundred and five") through text2num; None when the words
    are not one number ("two three")."""
    from text_to_num import text2num

    try:
        return float(text2num(words.lower(), "en"))
    except ValueError:
        return None


def _merged_number(first: Token, second: Token, value: float) -> Token:
    number = int(value) if value == int(value) else value
    return Token(str(number), "num", f"{first.orig} {second.orig}", number=float(value), money=first.money,
                 start=first.start, end=second.end)


# Country names and demonyms -> ISO 3166 alpha-2. Mapped onto a catalog's values at lexicon time.
COUNTRIES = {
    "US": ["united states", "united states of america", "usa", "us", "america", "american", "u.s", "u.s.a",
           "the states"],
    "GB": ["united kingdom", "uk", "u.k", "great britain", "britain", "british", "england", "english", "gb"],
    "DE": ["germany", "german", "deutschland"], "FR": ["france", "french"], "ES": ["spain", "spanish"],
    "IT": ["italy", "italian"], "NL": ["netherlands", "holland", "dutch"], "IN": ["india", "indian"],
    "BR": ["brazil", "brazilian"], "CA": ["canada", "canadian"], "AU": ["australia", "australian"],
    "JP": ["japan", "japanese"], "AT": ["austria", "austrian"], "CH": ["switzerland", "swiss"],
    "BE": ["belgium", "belgian"], "SE": ["sweden", "swedish"], "NO": ["norway", "norwegian"],
    "DK": ["denmark", "danish"], "FI": ["finland", "finnish"], "PL": ["poland", "polish"],
    "PT": ["portugal", "portuguese"], "IE": ["ireland", "irish"], "MX": ["mexico", "mexican"],
    "CN": ["china", "chinese"], "KR": ["south korea", "korea", "korean"], "NZ": ["new zealand"],
    "AR": ["argentina"], "ZA": ["south africa"], "SG": ["singapore"], "GR": ["greece", "greek"],
    "CZ": ["czechia", "czech republic"], "TR": ["turkey", "turkish"], "IL": ["israel"],
}


# Regions -> their countries (ISO codes); a region reads as the list of those a catalog has.
REGIONS = {
    ("europe", "european"): ["GB", "DE", "FR", "ES", "IT", "NL", "AT", "CH", "BE", "SE", "NO", "DK", "FI", "PL",
                             "PT", "IE", "GR", "CZ"],
    ("eu", "european union"): ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
                               "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"],
    ("north america", "north american"): ["US", "CA", "MX"],
    ("south america", "south american", "latin america", "latin american", "latam"): ["BR", "AR", "MX"],
    ("asia", "asian"): ["IN", "JP", "CN", "KR", "SG"],
    ("oceania", "australasia"): ["AU", "NZ"],
}


# Everyday words for common product categories -> the category name a catalog is likely to use. Mapped
# onto a catalog's values at lexicon time (only values the catalog has), like COUNTRIES.
CATEGORY_WORDS = {
    "shoes": ["sneakers", "trainers", "boots", "footwear", "sandals"],
    "apparel": ["clothes", "clothing", "fashion", "garments"],
    "accessories": ["jewelry", "jewellery", "bags", "handbags", "watches", "belts"],
    "electronics": ["gadgets", "tech", "devices"],
    "home": ["furniture", "homeware", "home decor", "decor", "kitchenware"],
    "beauty": ["cosmetics", "makeup", "skincare", "fragrance", "perfume"],
    "flowers": ["bouquets", "floral"],
    "web": ["website", "web site"],  # a channel: "bought on the website"
}

# Everyday words for a messaging channel, as a consent's subject names it ("opted in to texts" = sms).
CHANNEL_WORDS = {"sms": ["text", "texts", "text message", "text messages", "texting"], "email": ["emails", "e mail"]}

# Phrases meaning a yes/no flag is false, by a word of the flag's name: "at full price" = not discounted.
FLAG_OPPOSITES = {
    "discount": ["full price", "regular price", "undiscounted", "non discounted", "not discounted"],
}
