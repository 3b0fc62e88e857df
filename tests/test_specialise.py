"""The catalog-specialised grammar: accepted by Lark (LALR) and llguidance, parses every segment that uses
the catalog's names where they belong, and rejects any name the catalog does not have."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedInput

from grammar import ast as A
from grammar.catalog import Catalog, load_catalog
from grammar.check import validate
from grammar.format import format_segment
from grammar.parser import parse
from grammar.specialise import llguidance_error, specialise_grammar
from tests.strategies import conditions, names

CATALOG = load_catalog()
SEGMENTS = ["vips", "recent_buyers"]
SPECIALISED = specialise_grammar(CATALOG)
PARSER = Lark(SPECIALISED, parser="lalr")
WITH_SEGMENTS = Lark(specialise_grammar(CATALOG, segments=SEGMENTS), parser="lalr")

# Valid, checked segments over the demo catalog, one per capability (DESIGN.md's table).
CHECKED = [
    'country in ["DE", "FR"] and plan = "trial" and email_consent = true and email is set',
    'first_name contains "an" or email ends with "@x.com" or email is not set',
    "signup_at in last 7 days and birthday anniversary in next 7 days",
    "signup_at before 2026-01-01 or signup_at between 2026-01-01 and 2026-02-01",
    "signup_at more than 30 days ago",
    "did order_completed at least 3 times in last 90 days and did not email_opened in last 30 days",
    'did order_completed where (product_category = "shoes" and amount > 50) in last 6 hours',
    "did order_completed between 2 and 5 times or did order_completed exactly 1 time",
    "total amount of order_completed in last 365 days > 500 and average amount of order_completed >= 80",
    "count distinct product_category of order_completed in last 90 days >= 3",
    "last order_completed more than 60 days ago or first order_completed in last 30 days",
    "last order_completed between 60 and 120 days ago",
    "did cart_added in last 7 days then did not order_completed within 1 day",
    'did page_viewed where (url = "/pricing") then did trial_started within 3 days',
    "did order_completed in at least 3 of last 4 months",
    "stopped app_opened for 30 days or restarted app_opened after 60 days in last 30 days",
    "top 10% by total amount of order_completed",
    "bottom 20% by count of app_opened in last 30 days",
    'did feature_used where (feature in ["reports", "exports"] and not channel = "web") in last 14 days',
    'not (sms_consent = false or (city is set and did email_clicked where (url starts with "/demo")))',
    "did order_completed within 7 days after signup_at or first order_completed within 30 days after trial_started",
]


def test_anchors_are_date_traits_and_events():
    PARSER.parse("did order_completed within 7 days after birthday")
    for text in ("did order_completed within 7 days after country", "did order_completed within 7 days after signup"):
        with pytest.raises(UnexpectedInput):
            PARSER.parse(text)


def test_lark_lalr_and_llguidance_accept_it():
    assert PARSER.options.parser == "lalr"
    assert llguidance_error(SPECIALISED) is None
    assert llguidance_error(specialise_grammar(CATALOG, segments=SEGMENTS)) is None
    assert llguidance_error("start: NOPE") is not None


def test_names_are_literals_of_the_right_kind():
    assert "NAME" not in SPECIALISED and "field" not in SPECIALISED.replace("// ", "")
    assert 'event_name: "subscription_started" |' in SPECIALISED
    assert '"order_completed"' in SPECIALISED.split("event_name:")[1].splitlines()[0]
    assert '"order_completed"' not in SPECIALISED.split("trait_name:")[1].splitlines()[0]


@pytest.mark.parametrize("text", CHECKED)
def test_every_checked_segment_parses(text):
    validate(text, CATALOG)  # the corpus is valid for the demo catalog...
    PARSER.parse(text)       # ...and the specialised grammar takes it
    PARSER.parse(format_segment(parse(text)))


@pytest.mark.parametrize("text", [
    "did order_placed",                                   # an event the catalog lacks
    "did country",                                        # a trait where an event goes
    "order_completed = 1",                                # an event where a trait goes
    'did order_completed where (country = "DE")',         # a trait where a property goes
    "total price of order_completed > 5",                 # a synonym is not a name
    "countryx = 1",
    "did order_completed where (amount.cents > 5)",
    "DROP TABLE contacts",
])
def test_names_outside_the_catalog_do_not_parse(text):
    with pytest.raises(UnexpectedInput):
        PARSER.parse(text)


def test_segment_names_can_be_restricted():
    WITH_SEGMENTS.parse('in segment "vips" and not in segment "recent_buyers"')
    with pytest.raises(UnexpectedInput):
        WITH_SEGMENTS.parse('in segment "vip"')
    PARSER.parse('in segment "anything"')  # without a list, any quoted name (the checker judges it)
    none = specialise_grammar(CATALOG, segments=[])  # no saved segments: no references at all
    assert "segment_cond" not in none and '"segment"' not in none
    assert llguidance_error(none) is None


def _rename(node: A.Condition, draw) -> A.Condition:
    """Give every name in an arbitrary AST a catalog name of the right kind."""
    for n in A.walk(node):
        if isinstance(n, (A.TraitCondition, A.TraitTime, A.Anniversary)):
            n.trait = draw(st.sampled_from(sorted(CATALOG.traits)))
        elif isinstance(n, A.EventRef):
            n.name = draw(st.sampled_from(sorted(CATALOG.events)))
        elif isinstance(n, A.PropertyCondition):
            n.property = draw(st.sampled_from(sorted(CATALOG.properties)))
        elif isinstance(n, (A.Aggregate, A.Measure)) and n.property is not None:
            n.property = draw(st.sampled_from(sorted(CATALOG.properties)))
        elif isinstance(n, A.SegmentRef):
            n.name = draw(st.sampled_from(SEGMENTS))
        elif isinstance(n, A.Anchored):
            n.anchor = draw(st.sampled_from(["signup_at", "birthday", *sorted(CATALOG.events)]))
    return node


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions, st.data())
def test_every_shape_with_catalog_names_parses(node, data):
    """Stronger than 'every checked segment': every AST shape, with catalog names where names go."""
    text = format_segment(_rename(node, data.draw))
    WITH_SEGMENTS.parse(text)


@settings(max_examples=200, deadline=None)
@given(names.filter(lambda n: n not in CATALOG.events and n not in CATALOG.traits and n not in CATALOG.properties))
def test_made_up_names_never_parse(name):
    parse(f"did {name}")  # the project grammar takes any name...
    for text in (f"did {name}", f"{name} = 1", f"did order_completed where ({name} = 1)",
                 f"total {name} of order_completed > 1", f"did order_completed then did {name}"):
        with pytest.raises(UnexpectedInput):  # ...the specialised one none
            PARSER.parse(text)


@settings(max_examples=25, deadline=None)
@given(st.lists(names, min_size=1, max_size=6, unique=True), st.lists(names, min_size=1, max_size=6, unique=True),
       st.lists(names, min_size=0, max_size=6, unique=True))
def test_any_catalog_specialises_without_conflicts(traits, events, properties):
    """Overlapping names (a trait and a property alike), prefixes (email / email_consent), dotted names,
    no properties at all: Lark still builds an LALR parser and llguidance still accepts the grammar."""
    catalog = Catalog.model_validate({
        "traits": {t: {"type": "string"} for t in traits},
        "events": {e: {"properties": properties} for e in events},
        "properties": {p: {"type": "number"} for p in properties},
    })
    grammar = specialise_grammar(catalog)
    parser = Lark(grammar, parser="lalr")
    assert llguidance_error(grammar) is None
    parser.parse(f"did {events[0]} and {traits[0]} is set")
    if properties:
        parser.parse(f"total {properties[0]} of {events[-1]} where ({properties[-1]} > 1) > 2")
