"""The parser drives Lark's LALR table itself and reads tokens with Lark's own regular expressions (see
grammar/parser.py). Lark is the oracle here: the same tokens, at the same places, and the same texts accepted,
for any text: valid definitions, recased, broken, or noise."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from lark.exceptions import UnexpectedInput

from grammar.format import format_segment
from grammar.parser import _parser, _TouchingWords, _Unparsed
from tests.strategies import conditions, recased_keywords

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

definitions = conditions.map(format_segment)


def _capitalised(text: str, i: int) -> str:
    """One word with a capital first letter: a name such as `Order_completed` reads as `Or` + `der_completed`."""
    words = text.split(" ")
    words[i % len(words)] = words[i % len(words)].title()
    return " ".join(words)


texts = st.one_of(
    definitions,
    st.tuples(definitions, st.lists(st.integers(0, 3), min_size=1, max_size=4)).map(lambda t: recased_keywords(*t)),
    st.tuples(definitions, st.integers(0, 300), st.sampled_from(list(" ()[]x9\n\t'\"-._%&A"))).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1]:]),
    st.tuples(definitions, st.integers(0, 300)).map(lambda t: t[0][:t[1]] + t[0][t[1] + 1:]),
    st.tuples(definitions, st.integers(0, 50)).map(lambda t: _capitalised(*t)),
    st.text(alphabet=" \n\t()[],.%=<>!-_\"'\\adeinorstxADNOR0123456789", max_size=60),
    # keywords in capitals after runs of any whitespace, and letters that match keywords only ignoring case
    # (the long s, the Kelvin sign): the parser's fast expression leaves these to Lark's own
    st.lists(st.sampled_from(["AND", "Did", "LAST", "segMENT", "x", "7", "2026-01-01", "\u017fet", "\u212aelvin",
                              "\u0130n", "\"a\"", " ", "  \r\n\f\t ", "\n", "(", ")"]), max_size=30).map("".join),
)


@SETTINGS
@given(texts)
def test_tokens_are_larks(text):
    parser = _parser()
    try:
        want = [(t.type, str(t), t.line, t.column, t.end_line, t.end_column) for t in parser.lark.lex(text)]
    except (UnexpectedInput, _TouchingWords):
        want = None
    try:
        got = [(kind, *token) for kind, token in parser.tokens(text)]
    except _Unparsed:
        got = None
    assert got == want


@SETTINGS
@given(texts)
def test_the_texts_accepted_are_larks(text):
    parser = _parser()
    try:
        parser.lark.parse(text)
        lark_reads = True
    except (UnexpectedInput, _TouchingWords):
        lark_reads = False
    try:
        parser.parse(text)
        outcome = "read"
    except _Unparsed as err:
        # a value the AST rejects (a bad date) stops it where Lark, building a tree first, goes on
        outcome = "syntax" if err.error is None else "value"
    assert outcome != ("syntax" if lark_reads else "read")
