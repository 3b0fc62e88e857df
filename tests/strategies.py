"""Hypothesis strategies for arbitrary valid segment ASTs of every node kind.

Other tests import them: `from tests.strategies import conditions`. Names avoid the language's keywords;
text values carry quotes, backslashes, `;--` and unicode; numbers and dates stay inside the bounds the AST
and the grammar share, so every generated tree has a canonical text form.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import get_args

from hypothesis import strategies as st

from grammar import ast as A

UNITS = get_args(A.Unit)
CMPS = get_args(A.Cmp)

# A small alphabet keeps generated names readable when a test fails; dotted names are JSON paths.
_part = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in A.KEYWORDS)
names = st.one_of(_part, _part, st.builds(lambda a, b: f"{a}.{b}", _part, _part))

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"', "\\", '\\"', "'; DROP TABLE contacts;--", "it's", "Zürich", "東京", "😀", "", " ",
                     "a\nb", "\t", "\x00", "None", "\\u0041"]),
)


def _valid_float(v: float) -> bool:
    try:
        A._check_number(v)
    except ValueError:
        return False
    return True


ints = st.integers(min_value=-(A.MAX_ABS_NUMBER - 1), max_value=A.MAX_ABS_NUMBER - 1)
floats = st.one_of(
    # decimals with up to 4 places anywhere in range, and whatever raw floats pass the AST's own check
    st.integers(min_value=-(10**16) + 1, max_value=10**16 - 1).map(lambda k: float(Decimal(k).scaleb(-A.DECIMALS))),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2)),
    st.sampled_from([0.5, -0.0, 0.0001, 1.0, 99.99, 999999999999.9999, -999999999999.9999]),
).filter(_valid_float)
numbers = st.one_of(ints, floats)
scalars = st.one_of(st.booleans(), numbers, texts)
counts_n = st.integers(min_value=0, max_value=10**9 - 1)
small_n = st.one_of(st.integers(min_value=0, max_value=400), counts_n)

# ---- time --------------------------------------------------------------------------------------------

days = st.dates().map(lambda d: d.isoformat())
date_times = st.tuples(st.datetimes(min_value=datetime(1000, 1, 1)), st.booleans()).map(
    lambda p: p[0].strftime("%Y-%m-%dT%H:%M:%S" if p[1] else "%Y-%m-%dT%H:%M"))
dates = st.one_of(days, date_times)

windows = st.one_of(
    st.builds(A.InLast, amount=small_n, unit=st.sampled_from(UNITS)),
    st.builds(A.InNext, amount=small_n, unit=st.sampled_from(UNITS)),
    st.builds(A.MoreThanAgo, amount=small_n, unit=st.sampled_from(UNITS)),
    st.builds(A.BetweenAgo, low=small_n, high=small_n, unit=st.sampled_from(UNITS)),
    st.builds(A.Before, at=dates),
    st.builds(A.After, at=dates),
    st.builds(A.BetweenDates, start=dates, end=dates),
    st.builds(A.OnDate, day=days),
    st.builds(A.CalendarPeriod, which=st.sampled_from(["this", "previous"]),
              period=st.sampled_from(get_args(A.CalendarPeriod.model_fields["period"].annotation))),
    st.builds(A.NamedPeriod, name=st.sampled_from(get_args(A.NamedName)),
              year=st.none() | st.sampled_from(["this", "last"]) | st.integers(A.MIN_YEAR, A.MAX_YEAR)),
)
durations = st.builds(A.Duration, amount=small_n, unit=st.sampled_from(UNITS))
optional_windows = st.none() | windows


# ---- trees -------------------------------------------------------------------------------------------

@st.composite
def _op_and_value(draw) -> tuple[str, object]:
    op = draw(st.sampled_from(get_args(A.ValueOp)))
    if op in A.PRESENCE_OPS:
        return op, None
    if op in A.LIST_OPS:
        return op, draw(st.lists(scalars, min_size=1, max_size=4))
    if op in A.TEXT_OPS:
        return op, draw(texts)
    return op, draw(scalars)


def segment_trees(event_names=names, property_names=names, trait_names=names, max_leaves: int = 8):
    """Condition trees over the given names (any identifiers by default; pass a catalog's names to get
    trees that also check). `max_leaves` bounds both the size and the nesting depth."""

    @st.composite
    def property_conditions(draw) -> A.PropertyCondition:
        op, value = draw(_op_and_value())
        return A.PropertyCondition(property=draw(property_names), op=op, value=value)

    @st.composite
    def trait_conditions(draw) -> A.TraitCondition:
        op, value = draw(_op_and_value())
        return A.TraitCondition(trait=draw(trait_names), op=op, value=value)

    def filter_groups(inner):
        many = st.lists(inner, min_size=2, max_size=3)
        return st.one_of(st.builds(A.FilterAnd, conditions=many), st.builds(A.FilterOr, conditions=many),
                         st.builds(A.FilterNot, condition=inner))

    filters = st.recursive(property_conditions(), filter_groups, max_leaves=5)
    events = st.builds(A.EventRef, name=event_names, where=st.none() | st.none() | filters)

    @st.composite
    def count_specs(draw) -> A.Count:
        op = draw(st.sampled_from(["at_least", "at_most", "exactly", "between"]))
        return A.Count(op=op, n=draw(small_n), m=draw(small_n) if op == "between" else None)

    @st.composite
    def measures(draw) -> A.Measure:
        func = draw(st.sampled_from(["total", "average", "min", "max", "count_distinct", "count"]))
        return A.Measure(func=func, property=None if func == "count" else draw(property_names),
                         event=draw(events), window=draw(optional_windows))

    # windows anchored on a person's own date trait or first event: where did / first / last / aggregates go
    anchored = st.builds(A.Anchored, amount=small_n, unit=st.sampled_from(UNITS),
                         anchor=st.one_of(event_names, trait_names))
    units = st.sampled_from(UNITS)
    leaves = st.one_of(
        trait_conditions(),
        st.builds(A.TraitTime, trait=trait_names, window=windows),
        st.builds(A.Anniversary, trait=trait_names, direction=st.sampled_from(["last", "next"]), amount=small_n,
                  unit=units),
        st.builds(A.Did, event=events, count=st.none() | count_specs(), window=optional_windows | anchored),
        st.builds(A.Sequence, event=events, window=optional_windows, steps=st.lists(
            st.builds(A.SequenceStep, negated=st.booleans(), event=events, within=st.none() | durations),
            min_size=1, max_size=3)),
        st.builds(A.Aggregate, func=st.sampled_from(get_args(A.AggFunc)), property=property_names, event=events,
                  window=optional_windows, op=st.sampled_from(CMPS), value=numbers),
        st.builds(A.Share, event=events, window=optional_windows, op=st.sampled_from(CMPS), value=numbers),
        st.builds(A.Occurrence, which=st.sampled_from(["first", "last"]), event=events, window=windows | anchored),
        st.builds(A.Regular, event=events, min_periods=small_n, periods=small_n, unit=units),
        st.builds(A.Stopped, event=events, duration=durations),
        st.builds(A.Restarted, event=events, gap=durations, window=optional_windows),
        st.builds(A.Rank, direction=st.sampled_from(["top", "bottom"]), amount=small_n, percent=st.booleans(),
                  measure=measures()),
        st.builds(A.SegmentRef, name=texts),
    )

    def groups(inner):
        many = st.lists(inner, min_size=2, max_size=3)
        return st.one_of(st.builds(A.And, conditions=many), st.builds(A.Or, conditions=many),
                         st.builds(A.Not, condition=inner))

    return st.recursive(leaves, groups, max_leaves=max_leaves)


conditions = segment_trees()


# ---- keywords in any case ---------------------------------------------------------------------------

_WORD_TOKENS = {"NAME", "STRING", "DATE", "NUMBER", "LONG_NUMBER", "NEGATIVE_NUMBER", "DECIMAL"}


def recased_keywords(text: str, flips: list[int]) -> str:
    """`text` with its keywords (only) in upper, title or mixed case, chosen by `flips`."""
    from grammar.parser import _parser

    out, last, i = [], 0, 0
    for tok in _parser().lex(text):
        out.append(text[last:tok.start_pos])
        word = str(tok)
        if tok.type not in _WORD_TOKENS and word.isalpha():
            style = flips[i % len(flips)]
            i += 1
            word = [word.upper(), word.title(), word.swapcase()[:1] + word[1:], word][style]
        out.append(word)
        last = tok.end_pos
    return "".join(out) + text[last:]
