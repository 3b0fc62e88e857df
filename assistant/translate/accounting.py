"""Accounting: does a segment account for every quantity the request names? A check any translator's answer
goes through (offline rules or a model), so a number or a date that was dropped or changed on the way
("ordered thirty two times" read as exactly 2 times) makes the answer `partial` instead of a finished-looking
wrong segment.

The request's quantities (digits, money, percents, dates, numbers in words through `text2num`, "a dozen",
"once", "twice") are compared with the quantities the segment holds (counts, thresholds, window amounts as
durations, ranks, dates). A request quantity is placed when the segment holds the same number, the same
duration in another unit ("2 weeks" as 14 days), a neighbour of a count ("more than 2 orders" is "at least 3
times"), or a date of that year ("in 2025")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from text_to_num import text2num

from assistant.translate.contract import OpenPoint, Translation
from grammar import ast as A
from grammar.units import UNIT_SECONDS, seconds as unit_seconds

_UNIT_WORD = re.compile(r"\s*(minute|hour|day|week|month|year)s?\b", re.I)

# English number words, as text2num reads them in a run ("thirty two", "one hundred and five").
_NUMBER_WORD = (r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
                r"ninety|hundred|thousand")
_QUANTITY = re.compile(
    rf"""(?P<date>\b\d{{4}}-\d{{2}}-\d{{2}}\b)
      | (?P<num>[$€£]?\b\d+(?:[.,]\d+)*(?:k\b)?%?)
      | (?P<dozen>\bhalf\s+a\s+dozen\b|\b(?:a|one|two|three|four|five|six|\d+)\s+dozen\b|\bdozen\b)
      | (?P<times>\b(?:once|twice|thrice)\b)
      | (?P<words>\b(?:{_NUMBER_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_NUMBER_WORD}))*\b)""",
    re.I | re.X)
_TIMES = {"once": 1, "twice": 2, "thrice": 3}
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"]
_MONTH = {name[:n]: i for i, name in enumerate(_MONTH_NAMES, 1) for n in range(3, len(name) + 1)}
# "March 1", "Sept 7, 2025", "1 March 2026": a day of a month, with or without its year.
_MONTHS_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
              r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTH_DAY = re.compile(rf"\b(?P<m1>{_MONTHS_RE})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y1>\d{{4}})\b)?"
                        rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTHS_RE})\b(?:,?\s+(?P<y2>\d{{4}})\b)?",
                        re.I)
# "one of them", "the one who": "one" as a pronoun is no quantity.
_PRONOUN_ONE = re.compile(r"\b(?:one|ones)\s+(?:of|who|that|which)\b|\b(?:the|any|no|every|each)\s+one\b", re.I)


@dataclass(frozen=True)
class Quantity:
    value: float
    text: str
    start: int
    end: int
    seconds: int | None = None   # when a unit follows ("4 months")
    day: date | None = None      # a date
    month_day: tuple[int, int] | None = None  # a day of a month without its year ("March 1")


def _dozen(text: str) -> float:
    head = text.lower().split()[0]
    if head == "half":
        return 6
    if head in ("a", "dozen"):
        return 12
    return 12 * (float(head) if head.isdigit() else text2num(head, "en"))


def quantities(request: str) -> list[Quantity]:
    """Every quantity the request names, with its span."""
    pronouns = [m.span() for m in _PRONOUN_ONE.finditer(request)]
    found = []
    taken: list[tuple[int, int]] = []
    for m in _MONTH_DAY.finditer(request):
        month = _MONTH.get((m["m1"] or m["m2"]).lower())
        day, year = int(m["d1"] or m["d2"]), m["y1"] or m["y2"]
        if month is None or not 1 <= day <= 31:
            continue
        try:
            when = date(int(year), month, day) if year else None
        except ValueError:
            continue
        found.append(Quantity(day, m.group(), m.start(), m.end(), day=when,
                              month_day=None if year else (month, day)))
        taken.append(m.span())
    for m in _QUANTITY.finditer(request):
        if any(s <= m.start() < e for s, e in taken):
            continue
        kind, text = m.lastgroup, m.group()
        if kind == "date":
            try:
                day = date.fromisoformat(text)
            except ValueError:
                continue
            found.append(Quantity(day.year, text, m.start(), m.end(), day=day))
            continue
        if kind == "num":
            digits = text.lstrip("$€£").rstrip("%").lower().replace(",", "")
            scale = 1000 if digits.endswith("k") else 1
            try:
                value = float(digits.rstrip("k")) * scale
            except ValueError:
                continue
        elif kind == "dozen":
            value = _dozen(text)
        elif kind == "times":
            value = _TIMES[text.lower()]
        else:
            if any(s <= m.start() < e for s, e in pronouns):
                continue
            try:
                value = float(text2num(re.sub(r"[\s-]+", " ", text.lower()).strip(), "en"))
            except ValueError:
                continue
        unit = _UNIT_WORD.match(request, m.end())
        seconds = int(value * UNIT_SECONDS[unit.group(1).lower()]) if unit else None
        found.append(Quantity(value, text, m.start(), m.end(), seconds=seconds))
    return sorted(found, key=lambda q: q.start)


def _held(node: A.Node | list[A.Node]) -> tuple[set[float], set[int], set[date], set[str]]:
    """The numbers, durations (seconds) and dates a segment (or several) holds. Every whole number of a
    node with a unit (a window's amount, a between-ago's bounds, a regular's periods) is also a duration."""
    numbers: set[float] = set()
    seconds: set[int] = set()
    days: set[date] = set()
    texts: set[str] = set()

    def visit(value) -> None:
        if isinstance(value, A.Did) and value.count is None or isinstance(value, A.Regular):
            numbers.add(1.0)  # "at least once", "at least one order": what a did-condition (or each period) means
        if isinstance(value, A.Rank) and value.percent:
            numbers.add(100.0 - value.amount)  # "above the 80th percentile" is the top 20%
        if isinstance(value, A.Node):
            unit = getattr(value, "unit", None)
            for name in type(value).model_fields:
                field = getattr(value, name)
                if isinstance(unit, str) and unit in UNIT_SECONDS and isinstance(field, int) \
                        and not isinstance(field, bool):
                    seconds.add(unit_seconds(field, unit))
                visit(field)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, (int, float)):
            numbers.add(float(value))
        elif isinstance(value, datetime):
            days.add(value.date())
        elif isinstance(value, date):
            days.add(value)
        elif isinstance(value, str):
            texts.add(value.lower())
            for m in re.finditer(r"\d{4}-\d{2}-\d{2}", value):
                try:
                    days.add(date.fromisoformat(m.group()))
                except ValueError:
                    pass
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                numbers.add(float(value))
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        if isinstance(value, A.BetweenDates):  # "the two weeks before Christmas": a span of days holds its length
            start, end = A.parse_when(value.start), A.parse_when(value.end)
            seconds.add(int((end - start).total_seconds()) + 86400)

    visit(node)
    return numbers, seconds, days, texts


def _placed(q: Quantity, numbers: set[float], seconds: set[int], days: set[date], texts: set[str]) -> bool:
    if any(q.text.lower() in t for t in texts):
        return True  # part of a value: the "2025" of the campaign "Black Friday 2025"
    if q.month_day is not None:
        return any((d.month, d.day) == q.month_day or abs((d - d.replace(month=q.month_day[0], day=q.month_day[1]))
                                                           .days) <= 1 for d in days if _valid(d.year, *q.month_day))
    if q.day is not None:
        return q.day in days or any(abs((q.day - d).days) <= 1 for d in days)
    if q.seconds is not None:
        return q.seconds in seconds  # "30 days" is placed only as 30 days (or 1 month), never as 30 hours
    if q.value in numbers or q.value / 100 in numbers:
        return True
    if q.value == int(q.value) and (q.value + 1 in numbers or q.value - 1 in numbers):
        return True  # "more than 2" is "at least 3"; "under 5" is "at most 4"
    if 1900 <= q.value <= 2100 and q.value == int(q.value):
        return any(d.year == q.value for d in days)  # "in 2025"
    return False


_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
                 "thousand").split()
_WORDS = "|".join(_NUMBER_WORDS)
_NUMBER = r"(?:\$?\d[\d,.]*k?|(?:(?:a|an|" + _WORDS + r")[\s-]+){0,3}(?:" + _WORDS + r"))"
# "thirty days no wait make that sixty days", "five hundred no a thousand": a number said again after a
# correction replaces the one before it (and its unit); the match ends where the new number begins
CORRECTED = re.compile(r"\b" + _NUMBER + r"(?:\s+(?:hours?|days?|weeks?|months?|years?|times|orders|dollars|bucks))?"
                       r"\s*[,.]?\s+(?:(?:uh|um|er)\s+)?(?:no wait|wait no|no sorry|sorry|i mean|no|or rather|actually)"
                       r"\s*[,.]?\s+(?:(?:make|change) (?:it|that)(?: to)?\s+)?(?=" + _NUMBER + r"\b)", re.I)


def unplaced_quantities(request: str, nodes: A.Node | list[A.Node] | None) -> list[OpenPoint]:
    """The request's quantities that the segment (and what it refers to) does not hold, as open points; one
    taken back by a correction ('thirty days no wait sixty days') is not the request's any more."""
    if nodes is None:
        return []
    held = _held(nodes)
    retracted = [m.span() for m in CORRECTED.finditer(request)]
    return [OpenPoint(text=q.text, start=q.start, end=q.end, reason="a number or date the segment does not use")
            for q in quantities(request) if not _placed(q, *held)
            and not any(lo <= q.start and q.end <= hi for lo, hi in retracted)]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def locate(request: str, words: str, reason: str = "") -> OpenPoint:
    """An open point for words a translator names (a model's `open_points`): their span in the request,
    found case-insensitively; -1/-1 when the words are not literally in it."""
    at = request.lower().find(words.strip().lower())
    if at < 0:
        return OpenPoint(text=words.strip(), start=-1, end=-1, reason=reason)
    return OpenPoint(text=request[at:at + len(words.strip())], start=at, end=at + len(words.strip()), reason=reason)


def merge(points: list[OpenPoint], more: list[OpenPoint]) -> list[OpenPoint]:
    """`points` plus those of `more` that do not overlap one already there, in request order."""
    out = list(points)
    for p in more:
        if not any(p.start < q.end and q.start < p.end for q in out if p.start >= 0 and q.start >= 0) and \
                all((q.start, q.end, q.text) != (p.start, p.end, p.text) for q in out):
            out.append(p)
    return sorted(out, key=lambda p: (p.start, p.end))


def question_for(points: list[OpenPoint]) -> str:
    """One clarifying question about everything left open; a reading with known alternatives asks between
    them ("By 'this week', did you mean the calendar week (since Monday) or the last 7 days?")."""
    if len(points) == 1 and points[0].reason.endswith("?"):
        return f"By '{points[0].text}', did you mean {points[0].reason}"
    missing = [p for p in points if p.reason.startswith("no ") and " in this data" in p.reason]
    if missing and len(missing) == len(points):  # 'Ireland' where the data has no such country
        said = "; ".join(f"for '{p.text}' there is {p.reason}" for p in missing)
        return f"I left out what this data cannot have ({said}). Is the segment right without it?"
    words = ", ".join(f"'{p.text}'" for p in points)
    return (f"I built the segment from the rest of your request, but I could not place {words}. "
            "What should that change about who is in the segment?")


def confirm(request: str, translation: Translation, current: A.Condition | None = None,
            segments: dict[str, A.Condition] | None = None) -> Translation:
    """The checker's word on any translator's answer: quantities of the request its segment does not hold
    become open points (a `partial` answer with one question). What the request may refer to without
    restating it counts as held: the chat's `current` segment ("change 30 to 60") and the saved `segments`
    the answer references."""
    node = translation.condition
    if node is None or translation.refusal:
        return translation
    context = [*([current] if current is not None else []), *referenced(node, segments or {})]
    points = unplaced_quantities(request, [node, *context])
    merged = merge(translation.open_points, points)
    if len(merged) == len(translation.open_points):
        return translation
    return translation.model_copy(update={"open_points": merged,
                                          "question": translation.question or question_for(merged)})


def referenced(node: A.Node | None, segments: dict[str, A.Condition]) -> list[A.Condition]:
    """The saved segments `node` references, directly or through each other (each once)."""
    out: dict[str, A.Condition] = {}
    todo = [node] if node is not None else []
    while todo:
        for n in A.walk(todo.pop()):
            if isinstance(n, A.SegmentRef) and n.name in segments and n.name not in out:
                out[n.name] = segments[n.name]
                todo.append(segments[n.name])
    return list(out.values())
