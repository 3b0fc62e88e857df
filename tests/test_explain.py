"""Plain-English read-back: exact sentences for each capability on the demo catalog, and for any tree a
sentence that mentions every name, number and date in it and no internal words."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import ast as A
from grammar.catalog import load_catalog
from grammar.explain import date_words, explain
from grammar.format import format_segment, value_text
from grammar.parser import parse
from tests.strategies import conditions, segment_trees

CASES = [
    # profile traits
    ('country in ["DE", "AT"] and plan = "trial" and email_consent = true and email is set',
     "People whose country is one of [DE, AT], and whose plan is trial, and whose email consent is true, "
     "and whose email is set"),
    ('first_name contains "an" or email ends with "@x.com"',
     'People whose first name contains "an", or whose email ends with "@x.com"'),
    ('campaign = "Valentine\'s Day 2026" or city = "New York" or plan = "and" or plan = "5"',
     'People whose campaign is "Valentine\'s Day 2026", or whose city is "New York", or whose plan is "and", '
     'or whose plan is "5"'),
    # dates, relative and absolute
    ("signup_at in last 7 days", "People whose signup date is in the last 7 days"),
    ("signup_at before 2026-01-01", "People whose signup date is before 1 January 2026"),
    ("signup_at between 2026-01-01 and 2026-02-01T10:30",
     "People whose signup date is between 1 January 2026 and 1 February 2026 at 10:30"),
    ("signup_at after 2026-03-04T09:05:30", "People whose signup date is at or after 4 March 2026 at 09:05:30"),
    ("signup_at after 2026-03-04", "People whose signup date is on or after 4 March 2026"),
    ("signup_at on 2026-12-25", "People whose signup date is on 25 December 2026"),
    ("signup_at more than 30 days ago", "People whose signup date is more than 30 days ago"),
    ("birthday anniversary in next 7 days", "People whose birthday comes up in the next 7 days"),
    ("signup_at anniversary in last 1 year", "People whose signup date anniversary came up in the last 1 year"),
    # sub-day windows, did / did not, counts
    ("did page_viewed in last 6 hours", "People who viewed a page of the website in the last 6 hours"),
    ("did order_completed at least 3 times in last 90 days and did not email_opened in last 30 days",
     "People who completed an order at least 3 times in the last 90 days, and who have not opened an email "
     "in the last 30 days"),
    ("did not order_completed", "People who have never completed an order"),
    ("not did order_completed at least 2 times", "People who have not completed an order at least 2 times"),
    ("did order_completed at most 1 time", "People who completed an order at most 1 time"),
    ("did order_completed exactly 1 time in last 2 weeks",
     "People who completed an order exactly 1 time in the last 2 weeks"),
    ("did order_completed between 2 and 5 times", "People who completed an order between 2 and 5 times"),
    ("did email_delivered", "People who received an email"),
    # event property filters, including a JSON property
    ('did order_completed where (product_category = "shoes" and amount > 50) in last 6 hours',
     "People who completed an order (where product category is shoes and amount is over 50) in the last 6 hours"),
    ('did email_clicked where (url contains "pricing")',
     'People who clicked a link in an email (where url contains "pricing")'),
    ('did feature_used where (feature = "reports" or not (channel in ["app", "web"]))',
     "People who used a product feature (where feature is reports or not (channel is one of [app, web]))"),
    # aggregates
    ("total amount of order_completed in last 365 days > 500",
     "People whose total amount across the times they completed an order in the last 365 days is over 500"),
    ("average amount of order_completed >= 80",
     "People whose average amount across the times they completed an order is at least 80"),
    ("count distinct product_category of order_completed in last 90 days >= 3",
     "People whose number of different product category values across the times they completed an order "
     "in the last 90 days is at least 3"),
    ("min amount of order_completed < 10",
     "People whose smallest amount across the times they completed an order is under 10"),
    ("max amount of order_completed != 1.5",
     "People whose largest amount across the times they completed an order is not 1.5"),
    # first / last
    ("last order_completed more than 60 days ago", "People who last completed an order more than 60 days ago"),
    ("first order_completed in last 30 days", "People who first completed an order in the last 30 days"),
    ("last order_completed between 60 and 120 days ago",
     "People who last completed an order between 60 and 120 days ago"),
    # sequences
    ("did cart_added in last 7 days then did not order_completed within 1 day",
     "People who added a product to the cart in the last 7 days, and then never completed an order "
     "within 1 day after that"),
    ('did page_viewed where (url = "/pricing") then did trial_started within 3 days then did subscription_started',
     "People who viewed a page of the website (where url is /pricing), then started a free trial within 3 days "
     "after that, then started a paid subscription after that"),
    # regular / stopped / restarted
    ("did order_completed in at least 3 of last 4 months",
     "People who completed an order in at least 3 of the last 4 months"),
    ("stopped app_opened for 30 days", "People who opened the mobile app before, but not in the last 30 days"),
    ("restarted app_opened after 60 days in last 30 days",
     "People who opened the mobile app again in the last 30 days after a gap of at least 60 days"),
    # rank
    ("top 10% by total amount of order_completed",
     "People who are in the top 10% of contacts by total amount across the times they completed an order "
     "(contacts with none count as 0)"),
    ("bottom 20% by count of app_opened in last 30 days",
     "People who are in the bottom 20% of contacts by number of times they opened the mobile app "
     "in the last 30 days (contacts with none count as 0)"),
    ("top 100 by average amount of order_completed",
     "People who are in the top 100 contacts by average amount across the times they completed an order"),
    ("not top 5% by count distinct feature of feature_used",
     "People who are not in the top 5% of contacts by number of different feature values across the times "
     "they used a product feature (contacts with none count as 0)"),
    # boolean structure and segment references
    ('plan = "trial" and (country = "DE" or not (did email_opened and did email_clicked))',
     "People whose plan is trial, and (either whose country is DE, or not people (who opened an email, "
     "and who clicked a link in an email))"),
    ('not (country = "DE" or plan = "free")', "Everyone except people (either whose country is DE, or whose plan is free)"),
    ('not country = "DE"', "Everyone except people whose country is DE"),
    ('in segment "vips" and not in segment "recent_buyers"',
     'People who are in the saved segment "vips", and who are not in the saved segment "recent_buyers"'),
]


@pytest.mark.parametrize("text, sentence", CASES, ids=[c[0][:40] for c in CASES])
def test_explains_each_capability(text, sentence, catalog):
    assert explain(parse(text), catalog) == sentence


def test_without_a_catalog_events_read_as_their_names():
    node = parse("did order_completed at least 3 times and did not email_opened in last 30 days")
    assert explain(node) == ('People who had an "order completed" event at least 3 times, and who have not had '
                             'an "email opened" event in the last 30 days')


def test_unknown_event_falls_back_to_its_name_even_with_a_catalog(catalog):
    assert explain(parse("did custom_thing"), catalog) == 'People who had a "custom thing" event'


# ---- any tree ----------------------------------------------------------------------------------------

# Words of the AST that must never leak into a sentence for people.
INTERNAL = ["None", "in_last", "in_next", "more_than_ago", "between_ago", "between_dates", "on_date", "trait_time",
            "filter_and", "filter_or", "filter_not", "count_distinct", "at_least", "at_most", "not_in",
            "not_contains", "starts_with", "ends_with", "is_set", "is_not_set", "EventRef", "kind="]


def _mentions(text: str, node) -> list[str]:
    """What of `node` the sentence must mention: numbers, dates, text values and names (as read)."""
    expected: list[str] = []
    for n in A.walk(node):
        if isinstance(n, (A.InLast, A.InNext, A.MoreThanAgo, A.Duration, A.Anniversary)):
            expected.append(str(n.amount))
        elif isinstance(n, A.BetweenAgo):
            expected += [str(n.low), str(n.high)]
        elif isinstance(n, (A.Before, A.After)):
            expected.append(date_words(n.at))
        elif isinstance(n, A.BetweenDates):
            expected += [date_words(n.start), date_words(n.end)]
        elif isinstance(n, A.OnDate):
            expected.append(date_words(n.day))
        elif isinstance(n, A.Count):
            expected += [str(n.n)] + ([str(n.m)] if n.m is not None else [])
        elif isinstance(n, (A.TraitCondition, A.PropertyCondition)):
            values = n.value if isinstance(n.value, list) else [] if n.value is None else [n.value]
            expected += [value_text(v) if not isinstance(v, str) or value_text(v) in text else v for v in values]
        elif isinstance(n, A.EventRef):
            expected.append(n.name.replace("_", " ") if n.name.strip("_") else n.name)
        elif isinstance(n, A.Aggregate):
            expected.append(value_text(n.value))
        elif isinstance(n, A.Regular):
            expected += [str(n.min_periods), str(n.periods)]
        elif isinstance(n, A.Rank):
            expected.append(f"{n.amount}")
        elif isinstance(n, A.SegmentRef):
            expected.append(value_text(n.name))
    return expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_any_tree_reads_as_a_sentence_that_mentions_all_of_it(node):
    text = explain(node)
    assert text.startswith(("People ", "Everyone except people "))
    dsl = format_segment(node)
    for word in INTERNAL:
        if word not in dsl:  # a name or text value may legitimately contain it
            assert word not in text, word
    for part in _mentions(text, node):
        assert part in text, part
    assert explain(node) == text
    assert explain(parse(dsl)) == text


_DEMO = load_catalog()
demo_trees = segment_trees(event_names=st.sampled_from(sorted(_DEMO.events)),
                           property_names=st.sampled_from(sorted(_DEMO.properties)),
                           trait_names=st.sampled_from(sorted(_DEMO.traits)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(demo_trees)
def test_any_tree_over_the_demo_catalog_reads_events_as_verbs(node):
    text = explain(node, _DEMO)
    assert text.startswith(("People ", "Everyone except people "))
    dsl = format_segment(node)
    # every demo event has a verb phrase, so the '"name" event' fallback never shows
    assert not re.search(r'had an? "', text) or "had a" in dsl
    for word in INTERNAL:
        if word not in dsl:
            assert word not in text, word
