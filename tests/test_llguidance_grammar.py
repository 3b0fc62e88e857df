"""The grammar file is sent unchanged to grammar-constrained models (OpenAI custom tools, llguidance), so
llguidance must accept it, and must accept and reject the same texts Lark does. A 256-token byte-level
tokenizer lets llguidance's matcher run without any model."""

from __future__ import annotations

import re

import llguidance
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar.errors import SegmentError
from grammar.format import format_segment
from grammar.parser import grammar_text, parse
from tests.strategies import conditions, recased_keywords

GRAMMAR = grammar_text()
EOS = 256


class _ByteTokenizer:
    """One token per byte, plus an end-of-sequence token: any text is a token sequence."""

    eos_token_id = EOS
    bos_token_id = None
    tokens = [bytes([b]) for b in range(256)] + [b"<eos>"]

    def __call__(self, text: str | bytes) -> list[int]:
        return list(text.encode() if isinstance(text, str) else text)


@pytest.fixture(scope="module")
def matcher_for():
    compiled = llguidance.grammar_from("lark", GRAMMAR)
    tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()))
    return lambda: llguidance.LLMatcher(tokenizer, compiled)


def _accepts(matcher_for, text: str) -> bool:
    """Whether the whole text is a complete sentence of the grammar, as llguidance sees it."""
    matcher = matcher_for()
    assert not matcher.is_error(), matcher.get_error()
    return matcher.consume_tokens(list(text.encode())) and not matcher.is_error() and matcher.is_accepting()


def test_llguidance_accepts_the_grammar_unchanged():
    compiled = llguidance.grammar_from("lark", GRAMMAR)
    assert llguidance.LLMatcher.validate_grammar(compiled) == ""
    assert llguidance.LLMatcher.validate_grammar_with_warnings(compiled) == (False, [])


def test_llguidance_rejects_what_the_subset_forbids():
    # the checks below are about the same subset llguidance enforces: a lookahead is refused outright
    bad = llguidance.grammar_from("lark", 'start: /a(?=b)/')
    assert "look-around" in llguidance.LLMatcher.validate_grammar(bad)


def test_grammar_stays_in_the_portable_subset():
    code = re.sub(r"^\s*//.*$", "", GRAMMAR, flags=re.M)  # comments may mention what is forbidden
    regexes = re.findall(r"/((?:[^/\\\n]|\\.)+)/", code)
    assert regexes, "the terminals are regexes"
    for regex in regexes:
        assert not re.search(r"\(\?[=!<]", regex), f"lookaround in /{regex}/"
        assert not re.search(r"[*+?}]\?", regex), f"lazy quantifier in /{regex}/"
    directives = re.findall(r"^%(\w+)\s+(.*)$", code, flags=re.M)
    assert {d for d, _ in directives} <= {"import", "ignore"}
    assert all(arg.startswith("common.") for d, arg in directives if d == "import")
    assert [arg for d, arg in directives if d == "ignore"] == ["WS"]
    assert ("import", "common.WS") in directives
    assert not re.search(r"^\s*[A-Z_][A-Z0-9_]*\.-?\d+\s*:", code, flags=re.M), "terminal priority"
    assert not re.search(r"^\s*[?!]?[a-z_][a-z0-9_]*\{", code, flags=re.M), "rule template"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_llguidance_accepts_every_formatted_tree(matcher_for, node):
    text = format_segment(node)
    assert _accepts(matcher_for, text), text


VALID = [
    'country in ["DE", "AT"] and plan = "trial"',
    "did order_completed at least 3 times in last 90 days and did not email_opened in last 30 days",
    'did order_completed where (product_category = "shoes" and amount > 50.25) in last 6 hours',
    "did cart_added in last 7 days then did not order_completed within 1 day",
    "top 10% by total amount of order_completed",
    'not (in segment "vips" or birthday anniversary in next 7 days)',
    "signup_at between 2026-01-01 and 2026-02-01T10:30",
    "restarted app_opened after 60 days in last 30 days",
    'plan = "trial"\n  and stopped app_opened for 30 days',
]
BROKEN = [
    'country in ["DE", "AT"',
    "country = 'DE'",
    "did order_completed at least three times",
    "did order_completed where amount > 50",
    'plan = "trial" & country = "DE"',
    "did order_completed where (amount > 50",
    "a = 1)",
    "amount > 1e5",
    "top 10% by amount",
    "did",
    "did order_completed in last days",
    "SELECT contact_id FROM contacts; --",
]


@pytest.mark.parametrize("text", VALID)
def test_llguidance_and_lark_accept_the_same_segments(matcher_for, text):
    parse(text)
    assert _accepts(matcher_for, text)


@pytest.mark.parametrize("text", BROKEN)
def test_llguidance_and_lark_reject_the_same_broken_text(matcher_for, text):
    with pytest.raises(SegmentError):
        parse(text)
    assert not _accepts(matcher_for, text)


def test_a_prefix_is_not_a_whole_segment(matcher_for):
    matcher = matcher_for()
    assert matcher.consume_tokens(list(b"did order_completed at least"))
    assert not matcher.is_accepting()
    assert not matcher.is_error()
    assert matcher.consume_tokens(list(b" 2 times"))
    assert matcher.is_accepting()


@pytest.mark.parametrize("text", ['DID order_completed In Last 7 Days AND country = "DE"',
                                  "TOP 10% BY Total amount OF order_completed", 'NOT in SEGMENT "vips"'])
def test_llguidance_reads_keywords_in_any_case_too(matcher_for, text):
    parse(text)
    assert _accepts(matcher_for, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions, st.lists(st.integers(0, 3), min_size=1, max_size=5))
def test_llguidance_accepts_keywords_in_any_case(matcher_for, node, flips):
    text = recased_keywords(format_segment(node), flips)
    assert parse(text) == node
    assert _accepts(matcher_for, text), text
