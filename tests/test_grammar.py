"""The segment language: parse/format round trips over generated trees, every capability of DESIGN.md as
text -> AST, the builder JSON and its schema, and parse errors that say what and where."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from grammar import ast as A
from grammar.errors import SegmentError
from grammar.format import format_segment
from grammar.parser import parse
from tests.strategies import conditions, recased_keywords

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- round trips -------------------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(conditions)
def test_parse_of_format_gives_the_same_tree_and_format_is_canonical(node):
    text = format_segment(node)
    parsed = parse(text)
    assert parsed == node
    assert format_segment(parsed) == text


@PROPERTY_SETTINGS
@given(conditions)
def test_builder_json_round_trip(node):
    data = A.condition_to_json(node)
    assert A.condition_from_json(data) == node
    assert A.condition_from_json(json.dumps(data)) == node
    assert "span" not in json.dumps(data)


def test_json_schema_names_every_node_kind():
    schema = json.loads(json.dumps(A.json_schema()))
    text = json.dumps(schema)
    kinds = ["and", "or", "not", "trait", "trait_time", "anniversary", "did", "sequence", "aggregate",
             "occurrence", "regular", "stopped", "restarted", "rank", "segment", "in_last", "in_next",
             "more_than_ago", "between_ago", "before", "after", "between_dates", "on_date", "calendar", "named", "property",
             "filter_and", "filter_or", "filter_not"]
    for kind in kinds:
        assert f'"const": "{kind}"' in text or f'"enum": ["{kind}"]' in text, kind
    assert schema["title"] == "SegmentCondition"
    assert schema["discriminator"]["propertyName"] == "kind"
    assert "span" not in text


def test_json_rejects_malformed_trees():
    with pytest.raises(ValueError):
        A.condition_from_json({"kind": "did", "event": {"name": "x"}, "count": {"op": "at_least", "n": 1, "m": 2}})
    with pytest.raises(ValueError):
        A.condition_from_json({"kind": "and", "conditions": [{"kind": "segment", "name": "a"}]})
    with pytest.raises(ValueError):
        A.condition_from_json('{"kind": "trait", "trait": "x", "op": "in", "value": []}')


@pytest.mark.parametrize("date", ["20260101", "2026-W01-1", "2026-01-01T10", "2026-01-01T10:00:00.5",
                                  "2026-01-01T10:00+02:00", "2026-02-30"])
def test_json_rejects_dates_the_grammar_cannot_read(date):
    with pytest.raises(ValueError, match="not a valid date"):
        A.condition_from_json({"kind": "trait_time", "trait": "signup_at", "window": {"kind": "before", "at": date}})


# ---- every capability row of DESIGN.md ---------------------------------------------------------------

def _did(name, count=None, window=None, where=None):
    return A.Did(event=A.EventRef(name=name, where=where), count=count, window=window)


def test_profile_traits():
    assert parse('country in ["DE", "AT"]') == A.TraitCondition(trait="country", op="in", value=["DE", "AT"])
    assert parse('plan = "trial"') == A.TraitCondition(trait="plan", op="=", value="trial")
    assert parse("email_consent = true") == A.TraitCondition(trait="email_consent", op="=", value=True)
    assert parse("email is set") == A.TraitCondition(trait="email", op="is_set")
    assert parse("email is not set") == A.TraitCondition(trait="email", op="is_not_set")
    assert parse('first_name contains "an"') == A.TraitCondition(trait="first_name", op="contains", value="an")
    assert parse('email ends with "@x.com"').op == "ends_with"
    assert parse('email starts with "a"').op == "starts_with"
    assert parse('city not contains "x"').op == "not_contains"
    assert parse('plan not in ["free"]') == A.TraitCondition(trait="plan", op="not_in", value=["free"])
    assert parse("age >= -1.25").value == -1.25


def test_dates_relative_and_absolute():
    assert parse("signup_at in last 7 days") == A.TraitTime(trait="signup_at", window=A.InLast(amount=7, unit="day"))
    assert parse("signup_at before 2026-01-01").window == A.Before(at="2026-01-01")
    assert parse("signup_at after 2026-01-01T08:30").window == A.After(at="2026-01-01T08:30")
    assert parse("signup_at between 2026-01-01 and 2026-02-01").window == A.BetweenDates(
        start="2026-01-01", end="2026-02-01")
    assert parse("signup_at on 2026-03-04").window == A.OnDate(day="2026-03-04")
    assert parse("signup_at more than 30 days ago").window == A.MoreThanAgo(amount=30, unit="day")
    assert parse("birthday anniversary in next 7 days") == A.Anniversary(
        trait="birthday", direction="next", amount=7, unit="day")


def test_sub_day_windows():
    node = parse("did page_viewed in last 6 hours")
    assert node.window == A.InLast(amount=6, unit="hour")
    assert parse("did page_viewed in last 1 minute").window == A.InLast(amount=1, unit="minute")


def test_did_and_did_not():
    assert parse("did order_completed in last 90 days") == _did("order_completed", window=A.InLast(amount=90, unit="day"))
    negated = A.Not(condition=_did("email_opened", window=A.InLast(amount=30, unit="day")))
    assert parse("did not email_opened in last 30 days") == negated
    assert parse("not did email_opened in last 30 days") == negated


@pytest.mark.parametrize("text, count", [
    ("at least 3 times", A.Count(op="at_least", n=3)),
    ("at most 1 time", A.Count(op="at_most", n=1)),
    ("exactly 1 time", A.Count(op="exactly", n=1)),
    ("between 2 and 5 times", A.Count(op="between", n=2, m=5)),
])
def test_counts(text, count):
    assert parse(f"did order_completed {text} in last 4 weeks") == _did(
        "order_completed", count=count, window=A.InLast(amount=4, unit="week"))


def test_event_property_filters():
    node = parse('did order_completed where (product_category = "shoes" and amount > 50) in last 6 hours')
    assert node.event.where == A.FilterAnd(conditions=[
        A.PropertyCondition(property="product_category", op="=", value="shoes"),
        A.PropertyCondition(property="amount", op=">", value=50)])
    assert node.window == A.InLast(amount=6, unit="hour")
    clicked = parse('did email_clicked where (url contains "pricing")')
    assert clicked.event.where == A.PropertyCondition(property="url", op="contains", value="pricing")
    nested = parse('did feature_used where (feature = "reports" or not (channel in ["app", "web"]))')
    assert nested.event.where == A.FilterOr(conditions=[
        A.PropertyCondition(property="feature", op="=", value="reports"),
        A.FilterNot(condition=A.PropertyCondition(property="channel", op="in", value=["app", "web"]))])


def test_aggregates():
    assert parse("total amount of order_completed in last 365 days > 500") == A.Aggregate(
        func="total", property="amount", event=A.EventRef(name="order_completed"),
        window=A.InLast(amount=365, unit="day"), op=">", value=500)
    assert parse("average amount of order_completed >= 80.5").value == 80.5
    node = parse("count distinct product_category of order_completed in last 90 days >= 3")
    assert (node.func, node.property, node.op, node.value) == ("count_distinct", "product_category", ">=", 3)
    assert parse("min amount of order_completed < 10").func == "min"
    assert parse("max amount of order_completed != 10").func == "max"


def test_first_and_last():
    assert parse("last order_completed more than 60 days ago") == A.Occurrence(
        which="last", event=A.EventRef(name="order_completed"), window=A.MoreThanAgo(amount=60, unit="day"))
    assert parse("first order_completed in last 30 days").which == "first"
    assert parse("last order_completed between 60 and 120 days ago").window == A.BetweenAgo(
        low=60, high=120, unit="day")


def test_sequences():
    assert parse("did cart_added in last 7 days then did not order_completed within 1 day") == A.Sequence(
        event=A.EventRef(name="cart_added"), window=A.InLast(amount=7, unit="day"),
        steps=[A.SequenceStep(negated=True, event=A.EventRef(name="order_completed"),
                              within=A.Duration(amount=1, unit="day"))])
    node = parse('did page_viewed where (url = "/pricing") then did trial_started within 3 days '
                 "then did subscription_started")
    assert node.event.where == A.PropertyCondition(property="url", op="=", value="/pricing")
    assert [(s.negated, s.event.name, s.within) for s in node.steps] == [
        (False, "trial_started", A.Duration(amount=3, unit="day")), (False, "subscription_started", None)]


def test_regular_stopped_restarted():
    assert parse("did order_completed in at least 3 of last 4 months") == A.Regular(
        event=A.EventRef(name="order_completed"), min_periods=3, periods=4, unit="month")
    assert parse("stopped app_opened for 30 days") == A.Stopped(
        event=A.EventRef(name="app_opened"), duration=A.Duration(amount=30, unit="day"))
    assert parse("restarted app_opened after 60 days in last 30 days") == A.Restarted(
        event=A.EventRef(name="app_opened"), gap=A.Duration(amount=60, unit="day"),
        window=A.InLast(amount=30, unit="day"))


def test_rank():
    assert parse("top 10% by total amount of order_completed") == A.Rank(
        direction="top", amount=10, percent=True,
        measure=A.Measure(func="total", property="amount", event=A.EventRef(name="order_completed")))
    node = parse("bottom 20% by count of app_opened in last 30 days")
    assert node.measure == A.Measure(func="count", event=A.EventRef(name="app_opened"),
                                     window=A.InLast(amount=30, unit="day"))
    assert parse("top 100 by count distinct feature of feature_used").percent is False


def test_boolean_structure_nests():
    node = parse('plan = "trial" and (country = "DE" or not (did a and did b)) or in segment "x"')
    trial = A.TraitCondition(trait="plan", op="=", value="trial")
    de = A.TraitCondition(trait="country", op="=", value="DE")
    assert node == A.Or(conditions=[
        A.And(conditions=[trial, A.Or(conditions=[de, A.Not(condition=A.And(conditions=[_did("a"), _did("b")]))])]),
        A.SegmentRef(name="x")])
    assert parse("not not did a") == A.Not(condition=A.Not(condition=_did("a")))


def test_segment_references():
    assert parse('in segment "vips" and not in segment "recent_buyers"') == A.And(conditions=[
        A.SegmentRef(name="vips"), A.Not(condition=A.SegmentRef(name="recent_buyers"))])


def test_text_values_keep_quotes_backslashes_and_unicode():
    node = parse(r'campaign = "Valentine\"s \\ Day;-- 東京"')
    assert node.value == 'Valentine"s \\ Day;-- 東京'
    assert format_segment(node) == r'campaign = "Valentine\"s \\ Day;-- 東京"'


def test_spans_point_into_the_source():
    node = parse('plan = "trial"\n  and did order_completed')
    did = node.conditions[1]
    assert (did.span.line, did.span.column, did.span.end_line, did.span.end_column) == (2, 7, 2, 26)


# ---- parse errors ------------------------------------------------------------------------------------

def _error(text: str):
    with pytest.raises(SegmentError) as info:
        parse(text)
    [diag] = info.value.diagnostics
    return diag


@pytest.mark.parametrize("text, message, where", [
    ('country in ["DE", "AT"', "the definition ends too early; expected ',', ']'", (1, 23)),
    ('did order_completed where (amount > 50', "the definition ends too early; expected ')', 'and', 'or'", (1, 39)),
    ("country = 'DE'", "unexpected character \"'\"; text values use double quotes, like \"DE\"", (1, 11)),
    ("did order_completed at least three times", "unexpected 'three'; expected a whole number", (1, 30)),
    ("did order_completed where amount > 50", "unexpected 'amount'; expected '('", (1, 27)),
    ('plan = "trial"\nand did order_completed at lest 3 times', "unexpected 'lest'; expected 'least', 'most'",
     (2, 28)),
    ("signup_at before 2026-13-01",
     "not a valid date: '2026-13-01' (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])", (1, 11)),
    ('plan = "trial" & country = "DE"',
     "unexpected character '&'; expected 'and', 'or', the end of the definition", (1, 16)),
    ("a = 1)", "unexpected ')'; expected the end of the definition", (1, 6)),
])
def test_parse_errors_say_what_and_where(text, message, where):
    diag = _error(text)
    assert diag.message == message
    assert (diag.line, diag.column) == where
    assert diag.severity == "error"


def test_error_renders_the_line_and_a_caret():
    diag = _error('plan = "trial"\nand did order_completed at lest 3 times')
    assert diag.render('plan = "trial"\nand did order_completed at lest 3 times') == (
        "error: line 2, column 28: unexpected 'lest'; expected 'least', 'most'\n"
        "  and did order_completed at lest 3 times\n"
        "                             ^^^^")


def test_empty_definition():
    diag = _error("  \n ")
    assert (diag.code, diag.message, diag.line) == ("empty", "the definition is empty", None)


@pytest.mark.parametrize("text, column, word", [
    ("amount > 1 order = 2", 12, "order"),          # not `amount > 1 or der = 2`
    ('plan = "pro" andy = 1', 14, "andy"),          # not `plan = "pro" and y = 1`
    ("did x in last 3 daysx", 17, "daysx"),
])
def test_keywords_never_split_a_longer_name(text, column, word):
    with pytest.raises(SegmentError) as err:
        parse(text)
    d = err.value.diagnostics[0]
    assert (d.line, d.column) == (1, column)
    assert d.message.startswith(f"unexpected {word!r}")


@pytest.mark.parametrize("tree, message", [
    ({"kind": "trait", "trait": "Hello World", "op": "is_set"}, "'Hello World' is not a valid name"),
    ({"kind": "did", "event": {"name": "days"}}, "'days' is a keyword of the segment language"),
    ({"kind": "did", "event": {"name": "x", "where": {"kind": "property", "property": "a b", "op": "is_set"}}},
     "'a b' is not a valid name"),
])
def test_builder_json_names_must_be_names(tree, message):
    with pytest.raises(ValidationError, match=message):
        A.condition_from_json(tree)


# ---- keywords in any case ----------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(conditions, st.lists(st.integers(0, 3), min_size=1, max_size=5))
def test_keywords_read_in_any_case_to_the_same_tree(node, flips):
    text = format_segment(node)
    recased = recased_keywords(text, flips)
    assert parse(recased) == node
    assert format_segment(parse(recased)) == text  # format stays lower-case canonical


@pytest.mark.parametrize("text, lower", [
    ('DID order_completed In Last 7 Days AND country = "DE"', 'did order_completed in last 7 days and country = "DE"'),
    ('NOT (plan = "trial" Or email_consent = TRUE)', 'not (plan = "trial" or email_consent = true)'),
    ("TOP 10% BY Total amount OF order_completed", "top 10% by total amount of order_completed"),
    ("did order_completed where (amount > 5) THEN DID NOT app_opened WITHIN 1 Day",
     "did order_completed where (amount > 5) then did not app_opened within 1 day"),
    ('country = "De"', 'country = "De"'),  # quoted text keeps its case
    ("order = 2 or android_users = 1", "order = 2 or android_users = 1"),
])
def test_upper_and_mixed_case_keywords(text, lower):
    assert format_segment(parse(text)) == lower
    assert parse(text) == parse(lower)


@pytest.mark.parametrize("text, word, column", [
    ("a = 1 Order = 2", "Order", 7),        # never `Or` + `der`
    ("ANDROID_users = 1", "ANDROID_users", 1),  # never `AND` + `ROID_users`
    ('did order_completed AND Country = "DE"', "Country", 25),
    ("did x inLast 7 days", "inLast", 7),
])
def test_a_keyword_is_never_read_off_the_front_of_a_word(text, word, column):
    diag = _error(text)
    assert diag.message == f"unexpected {word!r}; names are lower-case letters, digits and _"
    assert (diag.line, diag.column, diag.end_column) == (1, column, column + len(word))


@pytest.mark.parametrize("text,message", [
    ('country = "DE" and country = "FR"', 'country cannot be both "DE" and "FR": use \'or\' or \'country in [...]\''),
    ('country = "DE" and country in ["FR", "ES"]',
     'country cannot be both "DE" and ["FR", "ES"]: use \'or\' or \'country in [...]\''),
    ('plan in ["pro", "team"] and plan in ["free", "trial"]',
     'plan cannot be both ["pro", "team"] and ["free", "trial"]: use \'or\' or \'plan in [...]\''),
])
def test_values_of_one_trait_that_no_one_has_together_are_a_contradiction(text, message):
    from grammar.catalog import load_catalog
    from grammar.check import check

    errors = [d.message for d in check(parse(text), load_catalog()) if d.code == "contradiction"]
    assert errors == [message]


def test_values_of_one_trait_that_overlap_are_no_contradiction():
    from grammar.catalog import load_catalog
    from grammar.check import check

    node = parse('country in ["DE", "FR"] and country in ["FR", "ES"] and country = "FR"')
    assert [d for d in check(node, load_catalog()) if d.severity == "error"] == []


def test_a_value_holding_a_nul_character_is_refused_before_any_engine_sees_it():
    from grammar.catalog import load_catalog
    from grammar.check import check

    node = A.TraitCondition(trait="first_name", op="=", value="a\x00b")
    assert [(d.code, d.message) for d in check(node, load_catalog()) if d.severity == "error"] == [
        ("value", '"a\\u0000b" holds a NUL character, which no stored text can hold')]
