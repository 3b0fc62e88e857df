"""The segment AST. These pydantic models are the parsed form, the builder JSON and the JSON Schema a UI
codes against: one discriminated union (`kind`) of condition nodes, no second "builder format".

Source positions (`span`) ride along for error messages but are not part of a node's value: they are
excluded from JSON and from equality, so `parse(format(ast)) == ast` compares meaning, not layout.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from grammar.calendar import MONTHS

Unit = Literal["minute", "hour", "day", "week", "month", "year"]
Cmp = Literal["=", "!=", ">", ">=", "<", "<="]
ValueOp = Literal[
    "=", "!=", ">", ">=", "<", "<=",
    "in", "not_in", "contains", "not_contains", "starts_with", "ends_with", "is_set", "is_not_set",
]
Scalar = Union[bool, int, float, str]
AggFunc = Literal["total", "average", "min", "max", "count_distinct"]

# Largest magnitude and precision a number literal may have, so every number formats as plain decimal
# text the grammar reads back (the grammar bounds digits the same way).
MAX_ABS_NUMBER = 10**12
DECIMALS = 4

# Names of events, properties and traits, as the grammar's NAME reads them; keywords are not names.
NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
KEYWORDS = frozenset({
    "and", "or", "not", "did", "then", "within", "in", "last", "next", "first", "top", "bottom", "by", "of", "where",
    "is", "set", "at", "least", "most", "exactly", "between", "times", "time", "more", "than", "ago", "before",
    "after", "on", "segment", "stopped", "restarted", "for", "count", "distinct", "total", "average", "min", "max",
    "true", "false", "contains", "starts", "ends", "with", "anniversary", "share", "minute", "minutes", "hour",
    "hours", "day", "days", "week", "weeks", "month", "months", "year", "years",
    # calendar windows
    "today", "yesterday", "this", "previous", "quarter", "weekend", *MONTHS, "black", "friday", "cyber", "monday",
    "christmas", "thanksgiving", "valentines", "labor", "holiday", "season", "halloween", "new", "eve",
    "independence", "memorial", "mothers", "fathers", "easter",
})


@lru_cache(maxsize=4096)  # a pure check, and a catalog's few hundred names recur in every definition
def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"{name!r} is not a valid name (lower-case letters, digits and _, dots between parts)")
    if name in KEYWORDS:
        raise ValueError(f"{name!r} is a keyword of the segment language and cannot be a name")
    return name


Name = Annotated[str, AfterValidator(check_name)]

LIST_OPS = ("in", "not_in")
TEXT_OPS = ("contains", "not_contains", "starts_with", "ends_with")
PRESENCE_OPS = ("is_set", "is_not_set")


class Span(BaseModel):
    """1-based line/column of the first character and of the character after the last one."""

    line: int
    column: int
    end_line: int
    end_column: int


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    span: SkipJsonSchema[Span | None] = Field(default=None, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.model_dump() == other.model_dump()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]


def _check_number(v: Any) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v) or abs(v) >= MAX_ABS_NUMBER or round(v, DECIMALS) != v:
            raise ValueError(f"numbers must be finite, below 10^12 and have at most {DECIMALS} decimals: {v!r}")
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= MAX_ABS_NUMBER:
        raise ValueError(f"numbers must be below 10^12: {v}")
    return v


# The grammar's DATE token: Python's fromisoformat alone also takes 20260101, 2026-W01-1 or time zones,
# which would format to text the grammar cannot read back.
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?")


def _check_date(v: str) -> str:
    if not _DATE_SHAPE.fullmatch(v):
        raise ValueError(f"not a valid date: {v!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])")
    try:
        (datetime if "T" in v else date).fromisoformat(v)
    except ValueError:
        raise ValueError(f"not a valid date: {v!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])") from None
    return v


def parse_when(text: str) -> datetime:
    """A date literal as an instant: a bare date is its midnight."""
    return datetime.fromisoformat(text) if "T" in text else datetime.combine(date.fromisoformat(text), datetime.min.time())


# ---- time --------------------------------------------------------------------------------------------

class Duration(Node):
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class InLast(Node):
    """in last N units: as_of - N <= t <= as_of."""

    kind: Literal["in_last"] = "in_last"
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class InNext(Node):
    """in next N units: as_of <= t <= as_of + N (traits holding future times, anniversaries)."""

    kind: Literal["in_next"] = "in_next"
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class MoreThanAgo(Node):
    """more than N units ago: t < as_of - N."""

    kind: Literal["more_than_ago"] = "more_than_ago"
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class BetweenAgo(Node):
    """between N and M units ago: as_of - M <= t <= as_of - N."""

    kind: Literal["between_ago"] = "between_ago"
    low: Annotated[int, Field(ge=0, lt=10**9)]
    high: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class Before(Node):
    """before a date: t < date (a bare date means its midnight)."""

    kind: Literal["before"] = "before"
    at: str
    _v = field_validator("at")(_check_date)


class After(Node):
    """after a date: t >= date."""

    kind: Literal["after"] = "after"
    at: str
    _v = field_validator("at")(_check_date)


class BetweenDates(Node):
    """between two dates, both days included: start <= t < end + 1 day (a date-time end is exclusive)."""

    kind: Literal["between_dates"] = "between_dates"
    start: str
    end: str
    _v = field_validator("start", "end")(_check_date)


class OnDate(Node):
    """on a day: that whole day."""

    kind: Literal["on_date"] = "on_date"
    day: str

    @field_validator("day")
    @classmethod
    def _day(cls, v: str) -> str:
        if "T" in v:
            raise ValueError(f"'on' takes a day without a time: {v!r}")
        return _check_date(v)


class CalendarPeriod(Node):
    """A calendar period of the as-of date (ISO weeks, Monday first): today / yesterday (day), in this /
    previous week, month, quarter or year, on this / previous weekend (its Saturday and Sunday)."""

    kind: Literal["calendar"] = "calendar"
    which: Literal["this", "previous"]
    period: Literal["day", "week", "weekend", "month", "quarter", "year"]


NamedName = Literal[
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
    "black_friday", "cyber_monday", "thanksgiving", "christmas", "valentines_day", "labor_day", "holiday_season",
    "halloween", "new_years_eve", "new_years_day", "independence_day", "memorial_day", "mothers_day", "fathers_day",
    "easter",
]
# Years a named period may give: those the `holidays` package knows every US holiday of (a later year is a positioned
# error, not a crash).
MIN_YEAR, MAX_YEAR = 1900, 2100  # the `holidays` package has every US holiday this uses in these years


class NamedPeriod(Node):
    """in november, on black friday, in holiday season [of this year | of last year | of 2025]: without a
    year, the most recent one that began before as_of."""

    kind: Literal["named"] = "named"
    name: NamedName
    year: Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)] | Literal["this", "last"] | None = None


class Anchored(Node):
    """within N units after ANCHOR: anchor <= t <= anchor + N, where ANCHOR is a date/time trait (signup_at) or
    an event (the person's first one at or before as_of). People without the anchor match nothing."""

    kind: Literal["anchored"] = "anchored"
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit
    anchor: Name


Window = Annotated[
    Union[InLast, InNext, MoreThanAgo, BetweenAgo, Before, After, BetweenDates, OnDate, CalendarPeriod,
          NamedPeriod, Anchored],
    Field(discriminator="kind"),
]


# ---- event property filters --------------------------------------------------------------------------

class _ValueCondition(Node):
    op: ValueOp
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _shape(self) -> "_ValueCondition":
        if self.op in PRESENCE_OPS:
            if self.value is not None:
                raise ValueError(f"'{self.op}' takes no value")
        elif self.op in LIST_OPS:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"'{self.op}' takes a non-empty list of values")
        elif self.op in TEXT_OPS:
            if not isinstance(self.value, str):
                raise ValueError(f"'{self.op}' takes a text value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"'{self.op}' takes a single value")
        for v in self.value if isinstance(self.value, list) else [self.value]:
            _check_number(v)
        return self


class PropertyCondition(_ValueCondition):
    kind: Literal["property"] = "property"
    property: Name


class FilterAnd(Node):
    kind: Literal["filter_and"] = "filter_and"
    conditions: Annotated[list["Filter"], Field(min_length=2)]


class FilterOr(Node):
    kind: Literal["filter_or"] = "filter_or"
    conditions: Annotated[list["Filter"], Field(min_length=2)]


class FilterNot(Node):
    kind: Literal["filter_not"] = "filter_not"
    condition: "Filter"


Filter = Annotated[Union[PropertyCondition, FilterAnd, FilterOr, FilterNot], Field(discriminator="kind")]


class EventRef(Node):
    """An event name with optional property filters: order_completed where (amount > 50)."""

    name: Name
    where: Filter | None = None


# ---- conditions --------------------------------------------------------------------------------------

class TraitCondition(_ValueCondition):
    kind: Literal["trait"] = "trait"
    trait: Name


class TraitTime(Node):
    """A date/time trait in a window: signup_at in last 7 days."""

    kind: Literal["trait_time"] = "trait_time"
    trait: Name
    window: Window


class Anniversary(Node):
    """The yearly recurrence of a date trait: birthday anniversary in next 7 days."""

    kind: Literal["anniversary"] = "anniversary"
    trait: Name
    direction: Literal["last", "next"]
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class Count(Node):
    op: Literal["at_least", "at_most", "exactly", "between"]
    n: Annotated[int, Field(ge=0, lt=10**9)]
    m: Annotated[int, Field(ge=0, lt=10**9)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Count":
        if (self.op == "between") != (self.m is not None):
            raise ValueError("only 'between' takes a second number")
        return self


class Did(Node):
    """did EVENT [count] [window]; 'did not' is Not(Did)."""

    kind: Literal["did"] = "did"
    event: EventRef
    count: Count | None = None
    window: Window | None = None


class SequenceStep(Node):
    negated: bool = False
    event: EventRef
    within: Duration | None = None


class Sequence(Node):
    """did A [window] then did B [within T] then did not C [within T]: each step after the one before."""

    kind: Literal["sequence"] = "sequence"
    event: EventRef
    window: Window | None = None
    steps: Annotated[list[SequenceStep], Field(min_length=1)]


class Aggregate(Node):
    """total amount of order_completed in last 365 days > 500 (no events: total and count are 0)."""

    kind: Literal["aggregate"] = "aggregate"
    func: AggFunc
    property: Name
    event: EventRef
    window: Window | None = None
    op: Cmp
    value: int | float

    _v = field_validator("value")(_check_number)


class Share(Node):
    """share of order_completed where (discounted = true) > 50%: the filtered events as a percentage of all
    events of that name (in the window). Contacts without such events have no share: never a member."""

    kind: Literal["share"] = "share"
    event: EventRef
    window: Window | None = None
    op: Cmp
    value: int | float

    _v = field_validator("value")(_check_number)


class Occurrence(Node):
    """first/last EVENT in a window: when the first or last such event happened."""

    kind: Literal["occurrence"] = "occurrence"
    which: Literal["first", "last"]
    event: EventRef
    window: Window


class Regular(Node):
    """did EVENT in at least K of last N units: active in K of the N periods counted back from as_of."""

    kind: Literal["regular"] = "regular"
    event: EventRef
    min_periods: Annotated[int, Field(ge=0, lt=10**9)]
    periods: Annotated[int, Field(ge=0, lt=10**9)]
    unit: Unit


class Stopped(Node):
    """stopped EVENT for N units: did it before, and not in the last N units."""

    kind: Literal["stopped"] = "stopped"
    event: EventRef
    duration: Duration


class Restarted(Node):
    """restarted EVENT after N units [window]: an occurrence (in the window) whose previous one is N+ units older."""

    kind: Literal["restarted"] = "restarted"
    event: EventRef
    gap: Duration
    window: Window | None = None


class Measure(Node):
    """A per-contact number: total amount of order_completed, count of app_opened in last 30 days."""

    func: Literal["total", "average", "min", "max", "count_distinct", "count"]
    property: Name | None = None
    event: EventRef
    window: Window | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Measure":
        if (self.func == "count") != (self.property is None):
            raise ValueError("'count of EVENT' takes no property; every other measure takes one")
        return self


class Rank(Node):
    """top/bottom N (or N%) of contacts by a measure; contacts with no events count as 0 for totals/counts."""

    kind: Literal["rank"] = "rank"
    direction: Literal["top", "bottom"]
    amount: Annotated[int, Field(ge=0, lt=10**9)]
    percent: bool = False
    measure: Measure


class SegmentRef(Node):
    kind: Literal["segment"] = "segment"
    name: str


class And(Node):
    kind: Literal["and"] = "and"
    conditions: Annotated[list["Condition"], Field(min_length=2)]


class Or(Node):
    kind: Literal["or"] = "or"
    conditions: Annotated[list["Condition"], Field(min_length=2)]


class Not(Node):
    kind: Literal["not"] = "not"
    condition: "Condition"


Condition = Annotated[
    Union[
        And, Or, Not, TraitCondition, TraitTime, Anniversary, Did, Sequence, Aggregate, Share, Occurrence,
        Regular, Stopped, Restarted, Rank, SegmentRef,
    ],
    Field(discriminator="kind"),
]

for _model in (FilterAnd, FilterOr, FilterNot, And, Or, Not):
    _model.model_rebuild()

condition_adapter: TypeAdapter[Condition] = TypeAdapter(Condition)


def condition_from_json(data: Any) -> Condition:
    """Builder JSON (a dict or JSON text) to an AST node; raises pydantic.ValidationError."""
    if isinstance(data, (str, bytes)):
        return condition_adapter.validate_json(data)
    return condition_adapter.validate_python(data)


def condition_to_json(node: Condition) -> dict[str, Any]:
    return node.model_dump(mode="json", exclude_none=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the builder payload (one condition tree)."""
    schema = condition_adapter.json_schema()
    schema["title"] = "SegmentCondition"
    return schema


def walk(node: Any):
    """Every node below and including `node`, pre-order (conditions, event refs, filters, counts, windows,
    durations, measures, sequence steps)."""
    if isinstance(node, Node):
        yield node
        for name in type(node).model_fields:
            yield from walk(getattr(node, name))
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def transform(node: Any, fn: Callable[[Any], Any]) -> Any:
    """Rebuild `node` bottom-up: each node's children are transformed first, then `fn` gets the rebuilt node
    and returns its replacement (or the node itself). Reaches every node kind `walk` does. A node whose
    children come back unchanged is passed to `fn` as is (same object), so an identity `fn` copies nothing;
    a rebuilt node keeps its span, and is validated again (a bad replacement fails loudly)."""
    if isinstance(node, list):
        items = [transform(item, fn) for item in node]
        return node if all(a is b for a, b in zip(items, node)) else items
    if not isinstance(node, Node):
        return node
    changed = {}
    for name in type(node).model_fields:
        if name == "span":
            continue
        value = getattr(node, name)
        new = transform(value, fn)
        if new is not value:
            changed[name] = new
    if changed:
        data = {name: getattr(node, name) for name in type(node).model_fields} | changed
        node = type(node).model_validate(data)
    return fn(node)
