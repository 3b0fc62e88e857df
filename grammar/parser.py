"""Parse stage: DSL text -> AST, or a SegmentError whose diagnostics say where and what was expected."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from grammar import ast as A
from grammar.errors import Diagnostic, SegmentError
from grammar.units import UNIT_WORDS

GRAMMAR_PATH = Path(__file__).with_name("segment.lark")

VALUE_OPS = {"contains": "contains", "not_contains": "not_contains", "starts": "starts_with", "ends": "ends_with",
             "set": "is_set", "not_set": "is_not_set", "in": "in", "not_in": "not_in"}


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text()


class _TouchingWords(Exception):
    def __init__(self, first: Token, second: Token):
        self.first, self.second = first, second


class _WordBoundaries:
    """Keywords are read in any case but names only in lower case, so a lexer without lookahead would read
    `Order` as `Or` + `der` and `ANDroid` as `AND` + `roid`. Two words touching with no space between them
    can only come from such a split (a lower-case word is one NAME, longest match), so it is an error."""

    always_accept = ()

    def process(self, stream):
        prev = None
        for tok in stream:
            if (prev is not None and prev.end_pos == tok.start_pos and _ends_word(prev.value)
                    and (tok.value[:1].isalnum() or tok.value[:1] == "_")):
                raise _TouchingWords(prev, tok)
            prev = tok
            yield tok


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False,
                postlex=_WordBoundaries())


def _span(meta) -> A.Span | None:
    if getattr(meta, "empty", True):
        return None
    return A.Span(line=meta.line, column=meta.column, end_line=meta.end_line, end_column=meta.end_column)


def _tok_span(tok: Token) -> A.Span:
    return A.Span(line=tok.line, column=tok.column, end_line=tok.end_line, end_column=tok.end_column)


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _text(tok: Token) -> str:
    return json.loads(tok, strict=False)


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree -> AST nodes. Each method is one grammar alternative (its `-> alias`)."""

    # -- structure
    def start(self, meta, c):
        return c[0]

    def or_expr(self, meta, c):
        return A.Or(conditions=c, span=_span(meta))

    def and_expr(self, meta, c):
        return A.And(conditions=c, span=_span(meta))

    def negation(self, meta, c):
        return A.Not(condition=c[0], span=_span(meta))

    def filter_or(self, meta, c):
        return A.FilterOr(conditions=c, span=_span(meta))

    def filter_and(self, meta, c):
        return A.FilterAnd(conditions=c, span=_span(meta))

    def filter_negation(self, meta, c):
        return A.FilterNot(condition=c[0], span=_span(meta))

    # -- atoms
    def field(self, meta, c):
        return c[0]  # the NAME token, so callers keep its position

    def string(self, meta, c):
        return _text(c[0])

    def number(self, meta, c):
        return _number(c[0])

    def true(self, meta, c):
        return True

    def false(self, meta, c):
        return False

    def _keyword(self, meta, c):
        return str(c[0]).lower()  # keywords are read in any case

    cmp = agg = first_last = rank_dir = direction = times = percent = which = period = month = _keyword

    def unit(self, meta, c):
        return UNIT_WORDS[str(c[0]).lower()]

    # -- value conditions (traits and properties share their shapes)
    def _value_cond(self, meta, c, op, is_trait):
        name = c[0]
        rest = c[1:]
        if op == "compare":
            op, value = rest[0], rest[1]
        elif op in ("in", "not_in"):
            value = list(rest)
        elif op in ("set", "not_set"):
            value = None
        else:
            value = _text(rest[0])
        op = VALUE_OPS.get(op, op)
        if is_trait:
            return A.TraitCondition(trait=str(name), op=op, value=value, span=_span(meta))
        return A.PropertyCondition(property=str(name), op=op, value=value, span=_span(meta))

    def _make(op, is_trait):
        def method(self, meta, c):
            return self._value_cond(meta, c, op, is_trait)
        return method

    trait_compare = _make("compare", True)
    trait_in = _make("in", True)
    trait_not_in = _make("not_in", True)
    trait_contains = _make("contains", True)
    trait_not_contains = _make("not_contains", True)
    trait_starts = _make("starts", True)
    trait_ends = _make("ends", True)
    trait_set = _make("set", True)
    trait_not_set = _make("not_set", True)
    prop_compare = _make("compare", False)
    prop_in = _make("in", False)
    prop_not_in = _make("not_in", False)
    prop_contains = _make("contains", False)
    prop_not_contains = _make("not_contains", False)
    prop_starts = _make("starts", False)
    prop_ends = _make("ends", False)
    prop_set = _make("set", False)
    prop_not_set = _make("not_set", False)
    del _make

    def trait_time(self, meta, c):
        return A.TraitTime(trait=str(c[0]), window=c[1], span=_span(meta))

    def trait_anniversary(self, meta, c):
        return A.Anniversary(trait=str(c[0]), direction=c[1], amount=int(c[2]), unit=c[3], span=_span(meta))

    # -- windows and counts
    def in_last(self, meta, c):
        cls = A.InLast if c[0] == "last" else A.InNext
        return cls(amount=int(c[1]), unit=c[2], span=_span(meta))

    def more_than_ago(self, meta, c):
        return A.MoreThanAgo(amount=int(c[0]), unit=c[1], span=_span(meta))

    def between_ago(self, meta, c):
        return A.BetweenAgo(low=int(c[0]), high=int(c[1]), unit=c[2], span=_span(meta))

    def before(self, meta, c):
        return A.Before(at=str(c[0]), span=_span(meta))

    def after(self, meta, c):
        return A.After(at=str(c[0]), span=_span(meta))

    def between_dates(self, meta, c):
        return A.BetweenDates(start=str(c[0]), end=str(c[1]), span=_span(meta))

    def on_date(self, meta, c):
        return A.OnDate(day=str(c[0]), span=_span(meta))

    def today(self, meta, c):
        return A.CalendarPeriod(which="this", period="day", span=_span(meta))

    def yesterday(self, meta, c):
        return A.CalendarPeriod(which="previous", period="day", span=_span(meta))

    def calendar_period(self, meta, c):
        return A.CalendarPeriod(which=c[0], period=c[1], span=_span(meta))

    def weekend(self, meta, c):
        return A.CalendarPeriod(which=c[0], period="weekend", span=_span(meta))

    def named(self, meta, c):
        return A.NamedPeriod(name=c[0], year=c[1] if len(c) > 1 else None, span=_span(meta))

    def holiday_season(self, meta, c):
        return self.named(meta, ["holiday_season", *c])

    def holiday(self, meta, c):
        return "_".join(str(t).lower() for t in c)  # black friday -> black_friday

    def this_year(self, meta, c):
        return "this"

    def last_year(self, meta, c):
        return "last"

    def year_number(self, meta, c):
        return int(c[0])

    def anchor(self, meta, c):
        return str(c[0])

    def anchored(self, meta, c):
        return A.Anchored(amount=int(c[0]), unit=c[1], anchor=str(c[2]), span=_span(meta))

    def within(self, meta, c):
        return A.Duration(amount=int(c[0]), unit=c[1], span=_span(meta))

    def at_least(self, meta, c):
        return A.Count(op="at_least", n=int(c[0]), span=_span(meta))

    def at_most(self, meta, c):
        return A.Count(op="at_most", n=int(c[0]), span=_span(meta))

    def exactly(self, meta, c):
        return A.Count(op="exactly", n=int(c[0]), span=_span(meta))

    def count_between(self, meta, c):
        return A.Count(op="between", n=int(c[0]), m=int(c[1]), span=_span(meta))

    # -- behaviour
    def event(self, meta, c):
        return A.EventRef(name=str(c[0]), where=c[1] if len(c) > 1 else None, span=_span(meta))

    @staticmethod
    def _parts(c):
        """Split optional trailing children of a did-like rule into (count, window)."""
        count = next((x for x in c if isinstance(x, A.Count)), None)
        window = next((x for x in c if not isinstance(x, (A.Count, A.EventRef)) and isinstance(x, A.Node)), None)
        return count, window

    def did(self, meta, c):
        count, window = self._parts(c[1:])
        return A.Did(event=c[0], count=count, window=window, span=_span(meta))

    def did_not(self, meta, c):
        return A.Not(condition=self.did(meta, c), span=_span(meta))

    def sequence(self, meta, c):
        steps = [x for x in c[1:] if isinstance(x, A.SequenceStep)]
        window = next((x for x in c[1:] if not isinstance(x, A.SequenceStep)), None)
        return A.Sequence(event=c[0], window=window, steps=steps, span=_span(meta))

    def then_did(self, meta, c, negated=False):
        return A.SequenceStep(negated=negated, event=c[0], within=c[1] if len(c) > 1 else None, span=_span(meta))

    def then_did_not(self, meta, c):
        return self.then_did(meta, c, negated=True)

    def aggregate(self, meta, c):
        func, prop, event, *rest = c
        window = rest[0] if len(rest) == 3 else None
        return A.Aggregate(func=func, property=str(prop), event=event, window=window, op=rest[-2],
                           value=rest[-1], span=_span(meta))

    def aggregate_distinct(self, meta, c):
        return self.aggregate(meta, ["count_distinct", *c])

    def share(self, meta, c):
        return A.Share(event=c[0], window=c[1] if len(c) == 4 else None, op=c[-2], value=c[-1], span=_span(meta))

    def occurrence(self, meta, c):
        return A.Occurrence(which=c[0], event=c[1], window=c[2], span=_span(meta))

    def regular(self, meta, c):
        return A.Regular(event=c[0], min_periods=int(c[1]), periods=int(c[2]), unit=c[3], span=_span(meta))

    def stopped(self, meta, c):
        return A.Stopped(event=c[0], duration=A.Duration(amount=int(c[1]), unit=c[2]), span=_span(meta))

    def restarted(self, meta, c):
        return A.Restarted(event=c[0], gap=A.Duration(amount=int(c[1]), unit=c[2]),
                           window=c[3] if len(c) > 3 else None, span=_span(meta))

    def rank(self, meta, c):
        percent = len(c) == 4
        return A.Rank(direction=c[0], amount=int(c[1]), percent=percent, measure=c[-1], span=_span(meta))

    def measure_agg(self, meta, c):
        return A.Measure(func=c[0], property=str(c[1]), event=c[2], window=c[3] if len(c) > 3 else None,
                         span=_span(meta))

    def measure_distinct(self, meta, c):
        return self.measure_agg(meta, ["count_distinct", *c])

    def measure_count(self, meta, c):
        return A.Measure(func="count", event=c[0], window=c[1] if len(c) > 1 else None, span=_span(meta))

    def segment_ref(self, meta, c):
        return A.SegmentRef(name=_text(c[0]), span=_span(meta))


# Readable names for the grammar's terminals, for "expected ..." messages.
_TOKEN_NAMES = {
    "NAME": "a name", "STRING": 'a quoted text like "DE"', "NUMBER": "a whole number",
    "LONG_NUMBER": "a number", "NEGATIVE_NUMBER": "a number", "DECIMAL": "a number", "DATE": "a date like 2026-01-01", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "$END": "the end of the definition",
}


def _expected(parser: Lark, names) -> str:
    words = set()
    for name in names:
        if name in _TOKEN_NAMES:
            words.add(_TOKEN_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
            words.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
        except KeyError:
            words.add(name.lower())
    ordered = sorted(words)
    if len(ordered) > 12:
        ordered = ordered[:12] + ["..."]
    return ", ".join(ordered)


def _accepted(err: UnexpectedInput) -> set[str]:
    """The terminals the parser can take at the error. LALR merges lookaheads, so the state's own table
    (`expected`, `allowed`) can name tokens that are not valid there, like ')' with no '(' open."""
    accepts = getattr(err, "accepts", None)
    if accepts:
        return accepts
    interactive = getattr(err, "interactive_parser", None)
    if interactive is not None:
        return interactive.accepts()
    return getattr(err, "expected", None) or getattr(err, "allowed", None) or set()


def _syntax_error(text: str, err: UnexpectedInput, parser: Lark) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = _expected(parser, _accepted(err))
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
            return Diagnostic(code="syntax", message=f"the definition ends too early; expected {expected}",
                              line=line, column=col, end_line=line, end_column=col + 1)
        word = text[tok.start_pos:_word_end(text, tok.end_pos)] if _ends_word(tok.value) else tok.value
        if word != tok.value:  # a keyword read off the front of a word: ANDROID_users
            return _split_word(word, tok)
        return Diagnostic(code="syntax", message=f"unexpected {tok.value!r}; expected {expected}",
                          **_tok_span(tok).model_dump())
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        allowed = _accepted(err)
        hint = f"; expected {_expected(parser, allowed)}" if allowed else ""
        if char == "'":
            hint = "; text values use double quotes, like \"DE\""
        return Diagnostic(code="syntax", message=f"unexpected character {char!r}{hint}", line=err.line,
                          column=err.column, end_line=err.line, end_column=err.column + 1)
    if isinstance(err, UnexpectedEOF):
        return Diagnostic(code="syntax", message=f"the definition ends too early; expected {_expected(parser, err.expected)}")
    return Diagnostic(code="syntax", message=str(err))


def _ends_word(value: str) -> bool:
    return value[-1:].isalpha() or value[-1:] == "_"


def _split_word(word: str, first: Token) -> Diagnostic:
    """A word the lexer could only read as a keyword glued to more text (`Order`, `ANDROID_users`)."""
    return Diagnostic(code="syntax", message=f"unexpected {word!r}; names are lower-case letters, digits and _",
                      line=first.line, column=first.column, end_line=first.line, end_column=first.column + len(word))


def _word_end(text: str, pos: int) -> int:
    while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
        pos += 1
    return pos


def parse(text: str) -> A.Condition:
    """DSL text -> AST. Raises SegmentError with positioned diagnostics."""
    parser = _parser()
    if not text.strip():
        raise SegmentError([Diagnostic(code="empty", message="the definition is empty")], text)
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        raise SegmentError([_syntax_error(text, err, parser)], text) from None
    except _TouchingWords as err:
        word = text[err.first.start_pos:_word_end(text, err.second.end_pos)]
        raise SegmentError([_split_word(word, err.first)], text) from None
    try:
        return _ToAst().transform(tree)
    except VisitError as err:  # a value the grammar admits but the AST rejects (a bad date, a huge number)
        meta = getattr(err.obj, "meta", None)
        span = _span(meta) if meta is not None else None
        orig = err.orig_exc
        message = orig.errors()[0]["msg"] if hasattr(orig, "errors") else str(orig)
        if isinstance(orig, json.JSONDecodeError):
            message = f"bad escape in a quoted text: {orig.msg}"
        message = message.removeprefix("Value error, ")
        raise SegmentError([Diagnostic.at(span, "value", message)], text) from None


def parse_measure(text: str) -> A.Measure:
    """A per-contact measure in DSL words ('total amount of order_completed'), read through the grammar's
    own rank rule, so measures have exactly one syntax."""
    node = parse(f"top 1 by {text}")
    if not isinstance(node, A.Rank):
        raise SegmentError([Diagnostic(code="syntax", message=f"not a measure: {text!r}")], text)
    return node.measure
