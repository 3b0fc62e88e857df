"""Real marketers' phrasing, one mechanism at a time: titles and purposes before the audience, ranges of days
ago, negative objects, pronoun objects, zero counts, list structure, windows shared by negated events,
elided events, decades / quarters / halves, vague numbers, channel words of a consent, residence, and what
stays an open point when the reading is not certain. Phrasings here are written for these tests, not taken
from any eval suite: each one shows the mechanism, not a case."""

from datetime import datetime

import pytest

from assistant.translate.accounting import confirm
from assistant.translate.offline import OfflineTranslator
from grammar.catalog import load_catalog
from grammar.format import format_segment
from grammar.parser import parse

AS_OF = datetime(2026, 11, 1)
CATALOG = load_catalog()


def read(text: str):
    """What `draft` gets: the offline reading, through the accounting every answer goes through."""
    return confirm(text, OfflineTranslator().translate(text, catalog=CATALOG, as_of=AS_OF))


def same(result, expected: str) -> bool:
    return result.dsl == format_segment(parse(expected))


def assert_complete(text: str, expected: str) -> None:
    """`text` reads as `expected`, with nothing left open."""
    result = read(text)
    assert result.status == "complete" and same(result, expected), (result.dsl, result.open_points)


@pytest.mark.parametrize("text,expected", [
    # a title whose head is no catalog word, restated by the definition after it
    ("Push win-back: app users who haven't opened the app in 45 days",
     "did app_opened and did not app_opened in last 45 days"),
    ("Email sunset cohort - can receive email and opened zero emails in the last 120 days",
     "email_consent = true and did not email_opened in last 120 days"),
    # a purpose after 'for', alone or after the list's name
    ("For a spring teaser: people in Italy who bought beauty products",
     'country = "IT" and did order_completed where (product_category = "beauty")'),
    ("Dormant buyers for the reactivation flow: no order in the last 200 days",
     "did not order_completed in last 200 days"),
    # a purpose, then a title naming the list
    ("For reporting we need a 45-day engaged segment: clicked an email in the last 45 days",
     "did email_clicked in last 45 days"),
])
def test_titles_and_purposes_are_not_conditions(text, expected):
    result = read(text)
    assert result.status == "complete"
    assert same(result, expected)
    assert any("not a condition" in a for a in result.assumptions)


@pytest.mark.parametrize("text,expected", [
    # a catalog word the definition does not say again keeps the title a condition (nothing is lost)
    ("SMS nudge: people who bought shoes", 'did order_completed where (product_category = "shoes")'),
])
def test_a_title_with_an_unrestated_catalog_word_is_not_dropped_silently(text, expected):
    result = read(text)
    assert result.status != "complete" or not same(result, expected)


def test_a_demonym_title_is_a_condition():
    result = read("Canadians: opened an email in the last 10 days")
    assert same(result, 'country = "CA" and did email_opened in last 10 days')


@pytest.mark.parametrize("text,expected", [
    ("visited the pricing page 14 to 28 days ago", 'did page_viewed where (url = "/pricing") between 14 and 28 days ago'),
    ("started a trial 3-6 weeks ago", "did trial_started between 3 and 6 weeks ago"),
])
def test_a_range_of_time_ago(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected)


@pytest.mark.parametrize("text,expected", [
    ("repeat buyers who purchased nothing in the last 3 weeks",
     "did order_completed at least 2 times and did not order_completed in last 3 weeks"),
    ("clicked an email between 30 and 60 days ago and nothing in the last 30 days",
     "did email_clicked between 30 and 60 days ago and did not email_clicked in last 30 days"),
])
def test_a_negative_object_negates_its_verb(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected)


@pytest.mark.parametrize("text,expected", [
    ("received the Welcome Series email and clicked it",
     'did email_delivered where (campaign = "Welcome Series") and did email_clicked where (campaign = "Welcome Series")'),
    ("people who were sent the Weekly Newsletter but never opened it",
     'did email_delivered where (campaign = "Weekly Newsletter") and did not email_opened where '
     '(campaign = "Weekly Newsletter")'),
])
def test_a_pronoun_object_carries_the_property_values(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected)


@pytest.mark.parametrize("text,expected", [
    ("signed up this year and downloaded content zero times", "signup_at in this year and did not content_downloaded"),
    ("never opened the app zero times", "did app_opened"),
])
def test_a_zero_count_is_a_negation(text, expected):
    assert same(read(text), expected)


@pytest.mark.parametrize("text,expected", [
    # an 'or' inside an element of a comma list closed by 'and' stays inside it
    ("viewed a product or added to cart in the last week, live in Spain, and never bought",
     '(did product_viewed in last 1 week or did cart_added in last 1 week) and country = "ES" and '
     "did not order_completed"),
    ("pushed opened or app opened, and on the team plan",
     '(did push_opened or did app_opened) and plan = "team"'),
])
def test_or_binds_inside_a_comma_list(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("no push opens and no app opens in the last 20 days",
     "did not push_opened in last 20 days and did not app_opened in last 20 days"),
    ("clicked zero emails and opened zero emails in the past 2 weeks",
     "did not email_clicked in last 2 weeks and did not email_opened in last 2 weeks"),
])
def test_a_window_said_once_covers_a_run_of_negated_events(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


def test_a_window_after_a_positive_event_stays_its_own():
    result = read("never opened an email and added to cart in the last 5 days")
    assert same(result, "did not email_opened and did cart_added in last 5 days")


@pytest.mark.parametrize("text,expected", [
    ("downloaded content in the last 60 days and four times or more overall",
     "did content_downloaded in last 60 days and did content_downloaded at least 4 times"),
    ("five or more app opens in total, none in the last 2 weeks",
     "did app_opened at least 5 times and did not app_opened in last 2 weeks"),
])
def test_a_count_alone_repeats_the_event_and_in_total_adds_nothing(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_spending_in_total_is_still_an_aggregate():
    assert same(read("spent more than 250 in total"), "total amount of order_completed > 250")


@pytest.mark.parametrize("text,expected", [
    ("contacts born in the 1980s", "birthday between 1980-01-01 and 1989-12-31"),
    ("signed up in Q4 2025", "signup_at between 2025-10-01 and 2025-12-31"),
    ("bought in Q1 of 2024", "did order_completed between 2024-01-01 and 2024-03-31"),
    ("first order in the second half of this year", "first order_completed between 2026-07-01 and 2026-12-31"),
])
def test_decades_quarters_and_halves(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("opened half a dozen emails or more", "did email_opened at least 6 times"),
    ("3 downloads or fewer", "did content_downloaded at most 3 times"),
    ("received twelve or more", "did email_delivered at least 12 times"),
    ("pushed opened fewer than twice", "did push_opened at most 1 time"),
    ("clicked more than twice this month", "did email_clicked at least 3 times in this month"),
])
def test_vague_and_trailing_bounds(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("opted in to text messages", "sms_consent = true"),
    ("people who can still be emailed", "email_consent = true"),
    ("leave out anyone who's opted out of texts", "sms_consent = true"),
])
def test_channel_words_of_a_consent(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected,said", [
    ("contacts who live in Denver", 'city = "Denver"', "'Denver' read as a city"),
    ("buyers based in Salt Lake City", 'did order_completed and city = "Salt Lake City"', "'Salt Lake City' read as a city"),
    ("people living in Japan", 'country = "JP"', None),
])
def test_residence(text, expected, said):
    result = read(text)
    assert same(result, expected), result.dsl
    assert said is None or said in result.assumptions


def test_an_uncapitalised_place_stays_open():
    assert read("people who live in boise").status != "complete"


@pytest.mark.parametrize("text,expected", [
    ("bought before, and on the free plan", 'did order_completed and plan = "free"'),
    ("people who have ordered from us before", "did order_completed"),
])
def test_a_dangling_before_is_ever(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_before_with_an_object_is_not_ever():
    assert read("clicked an email before that").status != "complete"


def test_but_before_a_negated_event_asks_whether_a_sequence_is_meant():
    result = read("downloaded an ebook but haven't booked a demo form")
    assert result.status == "partial"
    assert any("sequence" in p.reason for p in result.open_points)
    # 'and' tells what came next: the sequence is the reading
    assert read("started checkout and didn't buy").dsl == "did checkout_started then did not order_completed"


@pytest.mark.parametrize("text", [
    "contacts whose email bounced twice",
    "people in the gold loyalty tier",
])
def test_a_segment_of_guesses_alone_is_a_question(text):
    result = read(text)
    assert result.status == "question" and result.dsl is None
    assert result.open_points


def test_a_request_with_something_placed_stays_partial():
    result = read("bought shoes in the last 30 days with gift wrapping")
    assert result.status == "partial"
    assert same(result, 'did order_completed where (product_category = "shoes") in last 30 days')


@pytest.mark.parametrize("text,expected", [
    ("looked at the demo page twice this week", 'did page_viewed where (url = "/demo") exactly 2 times in this week'),
    ("looked at the features page", 'did page_viewed where (url = "/features")'),
    ("looked at apparel", 'did product_viewed where (product_category = "apparel")'),
])
def test_a_verb_means_the_event_of_its_object(text, expected):
    assert same(read(text), expected), read(text).dsl


def test_page_paths_are_names_not_word_forms():
    result = read("viewed a product priced under $20")
    assert same(result, "did product_viewed where (amount < 20)"), result.dsl


def test_within_of_an_earlier_step_is_a_sequence_step():
    result = read("started checkout this week and didn't buy within 2 hours of starting it")
    assert same(result, "did checkout_started in this week then did not order_completed within 2 hours"), result.dsl
    assert same(read("bought within 3 days of signing up"), "did order_completed within 3 days after signup_at")


@pytest.mark.parametrize("text,expected", [
    ("signed up between Thanksgiving and Christmas last year", "signup_at between 2025-11-27 and 2025-12-25"),
    ("opened an email from Cyber Monday to Christmas 2024", "did email_opened between 2024-12-02 and 2024-12-25"),
    ("bought between March 20 and Labor Day", "did order_completed between 2026-03-20 and 2026-09-07"),
    ("viewed products over the Thanksgiving / Black Friday weekend this year",
     "did product_viewed between 2026-11-26 and 2026-11-27"),
    ("ordered in the 3 days before Valentine's Day", "did order_completed between 2026-02-11 and 2026-02-13"),
    ("clicked an email during Christmas week of 2025", "did email_clicked between 2025-12-22 and 2025-12-28"),
    ("joined before Labor Day this year", "signup_at before 2026-09-07"),
])
def test_spans_bounded_by_named_days(text, expected):
    assert_complete(text, expected)


def test_a_campaign_named_like_a_day_is_still_a_campaign():
    assert same(read("clicked the Black Friday 2025 email"), 'did email_clicked where (campaign = "Black Friday 2025")')


@pytest.mark.parametrize("text,expected", [
    ("contacts who have been with us for more than 2 years", "signup_at more than 2 years ago"),
    ("subscribers for at least 3 months who never clicked an email",
     "signup_at more than 3 months ago and did not email_clicked"),
    ("haven't bought for at least 45 days", "did not order_completed in last 45 days"),  # an event: its window
])
def test_a_duration_alone_is_how_long_people_have_been_contacts(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("signed up in Q3", "signup_at between 2026-07-01 and 2026-09-30"),
    ("ordered in Q4", "did order_completed between 2025-10-01 and 2025-12-31"),  # the most recent whole one
    ("opened an email in Q1 this year", "did email_opened between 2026-01-01 and 2026-03-31"),
])
def test_quarters_without_a_year(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


def test_eu_is_its_member_states_in_the_catalog():
    assert same(read("EU contacts who bought apparel"),
                'country in ["DE", "FR", "ES", "IT", "NL"] and did order_completed where (product_category = "apparel")')


def test_an_elided_exclusion_ends_with_its_clause():
    result = read("clicked an email in March but not in April and have SMS consent")
    assert same(result, "did email_clicked in march and sms_consent = true and did not email_clicked in april"), result.dsl
    # a list after 'except' is all excluded
    assert same(read("people in Spain except repeat customers and app users"),
                'country = "ES" and not did order_completed at least 2 times and not did app_opened')


@pytest.mark.parametrize("text,expected", [
    ("buyers where more than half of their orders were electronics",
     'did order_completed and share of order_completed where (product_category = "electronics") > 50%'),
    ("at least half of their purchases were at full price", "share of order_completed where (discounted = false) >= 50%"),
    ("less than half of their orders in the last year were discounted",
     "share of order_completed where (discounted = true) in last 1 year < 50%"),
])
def test_proportions_of_a_persons_events(text, expected):
    assert_complete(text, expected)


def test_a_proportion_of_nothing_in_particular_stays_open():
    assert read("most of their orders").status != "complete"


@pytest.mark.parametrize("text,expected,aside", [
    ("bought flowers last Saturday (Mother's Day weekend)", None, None),
    ("opened an email yesterday (a Saturday)", "did email_opened yesterday", "(a Saturday)"),
    ("downloaded content (guides, templates) in the last week", "did content_downloaded in last 1 week",
     "(guides, templates)"),
])
def test_a_parenthesis_that_only_glosses_is_an_aside(text, expected, aside):
    result = read(text)
    if aside is None:
        return
    assert same(result, expected) and result.status == "complete", (result.dsl, result.open_points)
    assert f"'{aside}' read as an aside that restates what comes before it" in result.assumptions


@pytest.mark.parametrize("text", ["bought shoes (only the red ones)", "bought shoes (mostly on sale)",
                                  "opened an email (except spam)"])
def test_a_parenthesis_that_narrows_is_not_an_aside(text):
    assert read(text).status != "complete"


def test_a_condition_said_twice_is_one():
    assert same(read("people in Spain (Spain only) who bought"), 'country = "ES" and did order_completed')


@pytest.mark.parametrize("text,expected", [
    ("never opened a push notification or the app", "not (did push_opened or did app_opened)"),
    ("started a trial and a subscription this year",
     "did trial_started in this year and did subscription_started in this year"),  # the window closes the and-run
])
def test_a_verb_said_once_for_two_objects(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("bought swimwear last summer", None),
    ("signed up in the spring", "signup_at between 2026-03-01 and 2026-05-31"),
    ("ordered during the winter", "did order_completed between 2025-12-01 and 2026-02-28"),
    ("clicked an email in autumn last year", "did email_clicked between 2025-09-01 and 2025-11-30"),
    ("joined in the fall, September to November", "signup_at between 2026-09-01 and 2026-11-30"),  # began before as-of
])
def test_seasons_are_their_months(text, expected):
    result = read(text)
    if expected is None:  # 'swimwear' is no catalog word: the season is read, the product stays open
        assert result.status == "partial"
        return
    assert result.status == "complete" and same(result, expected), (result.dsl, result.open_points)
    assert any("northern hemisphere" in a for a in result.assumptions)


def test_channel_words_and_previous_n_units():
    result = read("bought beauty products on the website in the previous 2 months")
    assert same(result, 'did order_completed where (product_category = "beauty" and channel = "web") in last 2 months')


@pytest.mark.parametrize("text", ["buyers (repeat ones) from Canada", "bought shoes (red, blue)"])
def test_a_lower_case_parenthesis_after_a_value_is_no_aside(text):
    assert read(text).status == "partial"


def test_since_a_named_day():
    result = read("spent over $200 since Cyber Monday")
    assert same(result, "total amount of order_completed after 2025-12-01 > 200"), result.dsl


def test_a_verbs_negation_keeps_its_own_window():
    """'never' is at any time: a window said after a list of verb negations stays with the last one."""
    result = read("never opened an email, never clicked one, and haven't ordered in 60 days")
    assert same(result, "did not email_opened and did not email_clicked and did not order_completed in last 60 days")


def test_a_serial_comma_keeps_a_list_of_values_whole():
    assert same(read("contacts in Brazil, India, or Japan"), 'country in ["BR", "IN", "JP"]')


def test_an_or_after_the_closing_and_of_a_list_is_inside_its_last_element():
    result = read("opened an email this month, bought shoes in May, and have email or SMS consent")
    assert same(result, 'did email_opened in this month and did order_completed where (product_category = "shoes") '
                        "in may and (email_consent = true or sms_consent = true)"), result.dsl
    # with no 'and' closing it, a comma list ending in 'or' is an or-list
    assert same(read("bought shoes, opened an email, or clicked one"),
                'did order_completed where (product_category = "shoes") or did email_opened or did email_clicked')


@pytest.mark.parametrize("text,expected", [
    ("bought over Labor Day weekend last year", "did order_completed between 2025-08-30 and 2025-09-01"),
    ("opened an email over Cyber Monday weekend last year", "did email_opened between 2025-11-29 and 2025-12-01"),
])
def test_the_weekend_of_a_weekday_holiday(text, expected):
    assert_complete(text, expected)


def test_the_weekend_of_a_fixed_date_holiday_is_asked():
    assert read("bought on Christmas weekend").status == "partial"


@pytest.mark.parametrize("text,expected", [
    ("clicked an email, but never in the last week", "did email_clicked and did not email_clicked in last 1 week"),
    ("bought apparel but not with a discount",
     'did order_completed where (product_category = "apparel") and '
     'did not order_completed where (product_category = "apparel" and discounted = true)'),
])
def test_a_negated_property_repeats_the_event(text, expected):
    result = read(text)
    assert same(result, expected), (result.dsl, result.open_points)


def test_since_then_after_a_span_that_ended_is_after_it():
    result = read("bought over Cyber Monday weekend last year and haven't bought since that weekend")
    assert same(result, "did order_completed between 2025-11-29 and 2025-12-01 and "
                        "did not order_completed after 2025-12-02"), result.dsl
    # after an open window, 'since then' is that window
    assert same(read("clicked an email since March 3 and haven't opened one since then"),
                "did email_clicked after 2026-03-03 and did not email_opened after 2026-03-03")


def test_a_shortened_name_is_the_value_said_before():
    result = read("received the Weekly Newsletter and clicked a link in the newsletter")
    assert same(result, 'did email_delivered where (campaign = "Weekly Newsletter") and '
                        'did email_clicked where (campaign = "Weekly Newsletter")'), result.dsl
    result = read("were sent the Weekly Newsletter and never opened a single one of them")
    assert same(result, 'did email_delivered where (campaign = "Weekly Newsletter") and '
                        'did not email_opened where (campaign = "Weekly Newsletter")'), result.dsl


def test_a_named_day_with_its_year_after_a_preposition_is_a_day():
    assert same(read("ordered on Thanksgiving 2024"), "did order_completed on thanksgiving of 2024")
    # without one it may be a campaign's name
    assert same(read("opened the Black Friday 2025 email"), 'did email_opened where (campaign = "Black Friday 2025")')


def test_money_spent_on_it_asks_which():
    result = read("ordered on Thanksgiving 2024 and spent over $80 on it")
    assert result.status == "partial" and any("the one said before" in p.reason for p in result.open_points)


@pytest.mark.parametrize("text,expected", [
    ("opened the app for the first time in the last 3 days", "first app_opened in last 3 days"),
    ("bought for the first time this month", "first order_completed in this month"),
])
def test_for_the_first_time_after_its_verb(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_pronoun_carries_the_window_of_what_it_names():
    result = read("received more than 5 emails this month but opened none of them")
    assert same(result, "did email_delivered at least 6 times in this month and "
                        "did not email_opened in this month"), result.dsl


def test_a_window_after_a_comma_tells_when_the_one_occurrence_was():
    result = read("bought exactly once, 10 to 20 days ago")
    assert same(result, "did order_completed exactly 1 time and did order_completed between 10 and 20 days ago")
    # a count of more than one keeps the window
    assert same(read("bought 3 times, in the last 90 days"), "did order_completed exactly 3 times in last 90 days")


def test_a_purpose_that_says_who_is_read():
    assert same(read("For Germany: bought shoes"), 'country = "DE" and did order_completed where (product_category = "shoes")')


@pytest.mark.parametrize("text,expected", [
    # a relative clause after a ranking or a measure is a condition of its own: its verb, negation and window
    ("top 20% by revenue who clicked an email yesterday",
     "top 20% by total amount of order_completed and did email_clicked yesterday"),
    ("people in the top 3 percent of lifetime spend who have not ordered in 75 days",
     "top 3% by total amount of order_completed and did not order_completed in last 75 days"),
    ("shoppers with an average order over $60 that bought in the last 10 days",
     "average amount of order_completed > 60 and did order_completed in last 10 days"),
])
def test_a_relative_clause_after_a_measure_keeps_its_own_verb_and_window(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_not_since_reads_as_written_and_says_who_it_includes():
    result = read("customers who haven't ordered since Thanksgiving")
    assert same(result, "did not order_completed after 2025-11-27"), result.dsl
    assert any("includes people who never did order_completed" in a for a in result.assumptions)


@pytest.mark.parametrize("text,expected", [
    ("opened an email before Christmas but not since",
     "did email_opened before 2025-12-25 and did not email_opened after 2025-12-25"),
    ("clicked an email more than 45 days ago but not since",
     "did email_clicked more than 45 days ago and did not email_clicked in last 45 days"),
    ("ordered in August but not since", "did order_completed in august and did not order_completed after 2026-09-01"),
])
def test_but_not_since_is_since_the_window_before(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("app users with no orders since July", "did app_opened and did not order_completed after 2026-07-01"),
    ("joined since February", "signup_at after 2026-02-01"),
])
def test_since_a_month_is_from_its_first_day(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


@pytest.mark.parametrize("text", ["people who haven't clicked an email in a while",
                                  "shoppers who have not ordered in a long time"])
def test_a_window_with_no_length_is_asked_about(text):
    result = read(text)
    assert result.status == "partial" and any("how long" in p.reason for p in result.open_points), result


@pytest.mark.parametrize("text,expected", [
    ("contacts who used dashboards during their first 10 days",
     'did feature_used where (feature = "dashboards") within 10 days after signup_at'),
    ("bought something in their first month", "did order_completed within 1 month after signup_at"),
])
def test_their_first_days_are_the_days_after_sign_up(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("top quintile by order count", "top 20% by count of order_completed"),
    ("the lowest decile of spenders", "bottom 10% by total amount of order_completed"),
    ("upper half by lifetime value", "top 50% by total amount of order_completed"),
])
def test_fractions_of_a_ranking(text, expected):
    result = read(text)
    assert same(result, expected), (result.dsl, result.status)


@pytest.mark.parametrize("text,expected", [
    ("started a trial within 5 days of starting checkout", "did trial_started within 5 days after checkout_started"),
    ("subscribed within 3 weeks of starting the trial", "did subscription_started within 3 weeks after trial_started"),
])
def test_a_verb_anchor_is_narrowed_by_its_object(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_within_of_something_unread_is_open_not_the_last_days():
    result = read("ordered within 4 days of the webinar")
    assert result.status != "complete" or "in last 4 days" not in (result.dsl or ""), result
    assert any("of what" in p.reason for p in result.open_points) or result.status == "question"


@pytest.mark.parametrize("text,expected", [
    ("looked at a product and added it to the cart within 2 hours of that view",
     "did product_viewed then did cart_added within 2 hours"),
    ("clicked an email and bought within a day of clicking", "did email_clicked then did order_completed within 1 day"),
])
def test_within_of_the_step_before_is_a_positive_sequence_step(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    # who people are may lead a run of negated nouns; the window said once covers each of them
    ("sms subscribers with no email clicks and no app opens in 20 days",
     "sms_consent = true and did not email_clicked in last 20 days and did not app_opened in last 20 days"),
    # a window before the negation belongs to the people; the negated or-run gets the one at its end
    ("people who added to cart this month but didn't order or start checkout this month",
     "did cart_added in this month and not (did order_completed in this month or did checkout_started in this month)"),
])
def test_a_negated_run_gets_its_own_window(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_bare_verb_means_the_event_of_it_said_before():
    result = read("clicked an sms in August but has not clicked anything in the last 3 weeks")
    assert same(result, "did sms_clicked in august and did not sms_clicked in last 3 weeks"), result.dsl
    assert any("said before" in a for a in result.assumptions)
    # with nothing said before, the catalog's own reading of the verb
    assert same(read("has not clicked anything in the last 3 weeks"), "did not email_clicked in last 3 weeks")


@pytest.mark.parametrize("text,expected,purpose", [
    ("people in Spain who ordered twice, so we can send them a thank-you code",
     'country = "ES" and did order_completed exactly 2 times', "so we can send them a thank-you code"),
    ("email subscribers who clicked last week - we want to invite them to the beta",
     "email_consent = true and did email_clicked in previous week", "we want to invite them to the beta"),
])
def test_a_purpose_after_the_audience_is_no_condition(text, expected, purpose):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl
    assert any(purpose in a and "purpose" in a for a in result.assumptions), result.assumptions


@pytest.mark.parametrize("text,expected", [
    ("people who got a second order in the last 60 days", "did order_completed at least 2 times in last 60 days"),
    ("app users with no third app session", "did app_opened and did not app_opened at least 3 times"),
])
def test_an_ordinal_before_an_event_is_a_count(text, expected):
    result = read(text)
    assert same(result, expected), (result.dsl, result.status)


@pytest.mark.parametrize("text,expected", [
    ("contacts w/o a city who clicked an email", "city is not set and did email_clicked"),
    ("joined 3 years ago or more", "signup_at more than 3 years ago"),
    ("trialists, minus anyone who submitted a form", 'plan = "trial" and did not form_submitted'),
    ("opened an email at least once in each of the last 4 weeks", "did email_opened in at least 4 of last 4 weeks"),
])
def test_shorthand_and_words_that_restate(text, expected):
    # ('lifetime', 'across all their orders' stay open: next to a narrowed event they say the measure is not)
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("clv top 2%", "top 2% by total amount of order_completed"),
    ("spend bottom 20, no app opens this month",
     "bottom 20 by total amount of order_completed and did not app_opened in this month"),
])
def test_a_measure_said_before_the_rank(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_rank_with_no_measure_asks_by_what():
    result = read("top 15% of our contacts in Italy")
    assert result.status != "complete"
    assert any("ranked by what" in p.reason for p in result.open_points), result.open_points


@pytest.mark.parametrize("text,expected", [
    ("subscribed within 10 days of their first visit", "did subscription_started within 10 days after page_viewed"),
    ("joined this month and have not made their first purchase yet",
     "signup_at in this month and did not order_completed"),
])
def test_first_where_it_adds_nothing(text, expected):
    """An anchor is already a person's first such event; 'not their first purchase' is no purchase at all."""
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_birthday_is_a_day_of_every_year():
    assert same(read("contacts whose birthday is today"), "birthday anniversary in next 1 day")
    result = read("contacts with a birthday this week")  # the language has no calendar anniversary: asked
    assert result.status != "complete" and any("birthday then" in p.reason for p in result.open_points)


@pytest.mark.parametrize("text,expected", [
    ("opened halloween emails on Halloween", "did email_opened on halloween"),
    ("bought flowers on Mother's Day last year",
     'did order_completed where (product_category = "flowers") on mothers day of last year'),
    ("ordered over Memorial Day weekend", "did order_completed between 2026-05-23 and 2026-05-25"),
    ("opened the app in the last fortnight", "did app_opened in last 2 weeks"),
])
def test_more_named_days_and_spans(text, expected):
    result = read(text)
    assert same(result, expected), (result.dsl, result.status, result.open_points)


def test_around_a_named_day_is_asked():
    result = read("people who ordered around Cyber Monday")
    assert result.status == "partial" and any("around it" in p.reason for p in result.open_points)


def test_not_both_is_asked():
    result = read("clicked an email or a text but not both")
    assert result.status == "partial" and any("exactly one" in p.reason for p in result.open_points)


@pytest.mark.parametrize("text,expected", [
    ("no orders, no app opens, 45d", "did not order_completed in last 45 days and did not app_opened in last 45 days"),
    ("viewed pricing, started checkout, last 10 days",
     'did page_viewed where (url = "/pricing") in last 10 days and did checkout_started in last 10 days'),
])
def test_a_lone_window_closing_a_comma_list_is_every_elements(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_a_lone_window_after_one_counted_event_is_when_it_was():
    assert same(read("ordered exactly once, 30 or more days ago"),
                "did order_completed exactly 1 time and did order_completed more than 30 days ago")


@pytest.mark.parametrize("text,expected", [
    # bullets, numbered lines and a heading line: each line is a criterion of its own
    ("- opened an email in the last 2 weeks\n- bought shoes\n- not in France",
     'did email_opened in last 2 weeks and did order_completed where (product_category = "shoes") '
     'and country != "FR"'),
    ("Audience:\n* app users on the team plan\n* no push opened in 60 days",
     'did app_opened and plan = "team" and did not push_opened in last 60 days'),
    ("1) signed up this year\n2) never ordered", "signup_at in this year and did not order_completed"),
    # an 'or' stays inside its line or after its semicolon; the window does not cross it
    ("clicked an email or opened the app in the last week; ordered in the last 90 days",
     "(did email_clicked in last 1 week or did app_opened in last 1 week) and did order_completed in last 90 days"),
    # an exclusion ends with its sentence
    ("Bought apparel in the last 60 days, except anyone who unsubscribed. Lives in Spain.",
     'did order_completed where (product_category = "apparel") in last 60 days and country = "ES" '
     "and did not email_unsubscribed"),
])
def test_criteria_on_lines_semicolons_and_sentences_are_each_read(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("opened an email and clicked a link in the last 3 weeks",
     "did email_opened in last 3 weeks and did email_clicked in last 3 weeks"),
    ("used exports and dashboards this month",
     'did feature_used where (feature = "exports") in this month and did feature_used where (feature = "dashboards") '
     "in this month"),
])
def test_a_window_closing_an_and_run_of_things_done_is_each_ones(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl
    assert any("too" in a for a in result.assumptions)  # the read-back says it


def test_a_window_said_by_an_earlier_step_stays_its_own():
    assert same(read("bought shoes in May and opened an email in the last 14 days"),
                'did order_completed where (product_category = "shoes") in may and did email_opened in last 14 days')


@pytest.mark.parametrize("text,expected", [
    ("customers who only ever ordered apparel",
     'did order_completed where (product_category = "apparel") and '
     'did not order_completed where (product_category != "apparel")'),
    ("shoppers who have only bought discounted items",
     "did order_completed where (discounted = true) and did not order_completed where (discounted = false)"),
])
def test_only_ever_means_nothing_else(text, expected):
    result = read(text)
    assert result.status == "complete" and same(result, expected), result.dsl


def test_counting_only_restricts_what_is_counted():
    assert "!=" not in (read("ordered twice in May, counting only orders above $20").dsl or "")


@pytest.mark.parametrize("text,expected", [
    ("orders >= 3", "did order_completed at least 3 times"),
    ("email opens > 4 this quarter", "did email_opened at least 5 times in this quarter"),
    ("orders > $50", "did order_completed where (amount > 50)"),
])
def test_a_comparison_sign_after_a_plural_noun_counts_it(text, expected):
    result = read(text)
    assert same(result, expected), result.dsl


@pytest.mark.parametrize("text", [
    "never opened an email but opened at least 3 emails last month",
    "never bought anything but spent over $300 in total",
])
def test_conditions_no_one_can_meet_together_are_asked_about(text):
    result = read(text)
    assert result.status == "question" and result.question.startswith("No one can be among both"), result.dsl


def test_a_value_too_common_to_stand_alone_is_read_next_to_its_property():
    assert same(read("submitted the contact form in the last 90 days"),
                'did form_submitted where (form = "contact") in last 90 days')


def test_a_title_the_definition_partly_restates_leaves_the_rest_open():
    # the definition says the title's 'app' again: 'Paying' may be a condition or only part of the name
    result = read("Paying app fans: opened the app 10+ times this month")
    assert result.status == "partial" and "Paying" in [p.text for p in result.open_points], result.open_points


def test_a_title_with_a_relative_clause_describes_people():
    # read, not dropped as a name: the title's 'buyers' stays (the segment itself is inlined without segments)
    result = read("Engaged buyers who still open emails - opened one in the last 7 days")
    assert "did order_completed" in result.dsl and "did email_opened in last 7 days" in result.dsl, result.dsl


def test_a_title_the_definition_says_again_in_other_words_is_its_name():
    # 'Converted' is the definition's subscription and 'trialists' its trial: not the plan = "trial" of now
    result = read("Converted trialists: started a subscription within 10 days of starting their trial")
    assert result.status != "complete" or 'plan = "trial"' not in result.dsl, result.dsl


def test_a_purpose_that_says_who_is_read():
    # 'list' names what the first sentence is, but 'in Italy on the SMS list' says who is in it
    result = read("Everyone in Italy on the SMS list. Leave out anyone who ordered this week.")
    assert same(result, 'country = "IT" and sms_consent = true and did not order_completed in this week'), result.dsl


def test_a_denied_total_says_each_one_counts_on_its_own():
    result = read("people with an order over 300, not in total")
    assert same(result, "did order_completed where (amount > 300)"), result.dsl
    assert any("not added up" in a for a in result.assumptions)


@pytest.mark.parametrize("text,expected", [
    ("bought 2+ times in oct", "did order_completed at least 2 times in october"),
    ("ppl w no orders but 3+ app opens in the last 2 wks",
     "did not order_completed and did app_opened at least 3 times in last 2 weeks"),
    ("carted frm yday", "did cart_added yesterday"),
])
def test_note_taking_shorthand(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("above the 80th percentile of lifetime spend", "top 20% by total amount of order_completed"),
    ("below the 25th percentile by number of orders", "bottom 25% by count of order_completed"),
])
def test_percentiles_are_shares_of_a_ranking(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("SMS Consent = no", "sms_consent = false"),
    ("email_consent: TRUE and plan_type = pro", 'email_consent = true and plan = "pro"'),
    ("Plan Type = Free AND Country__c != DE", 'plan = "free" and country != "DE"'),
    ("City = Lisbon or Porto", 'city in ["Lisbon", "Porto"]'),
])
def test_crm_filters_written_as_field_sign_value(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("opened an email but never once clicked", "did email_opened and did not email_clicked"),
    ("people with 4+ orders in total", "did order_completed at least 4 times"),
    ("app_opened >= 3 in 14d", "did app_opened at least 3 times in last 14 days"),
    ("used the dashboards and the reports features", 'did feature_used where (feature = "dashboards") and '
                                                    'did feature_used where (feature = "reports")'),
    ("shoe buyers with more than four shoe orders",
     'did order_completed where (product_category = "shoes") at least 5 times'),
    ("opened the 'Weekly Newsletter' email", 'did email_opened where (campaign = "Weekly Newsletter")'),
])
def test_counts_nouns_and_quoted_values(text, expected):
    assert_complete(text, expected)


def test_a_forwarded_request_in_quotes_is_read():
    result = read("Client ask: 'everyone in France who bought apparel in the last 90 days'")
    assert same(result, 'country = "FR" and did order_completed where (product_category = "apparel") '
                        "in last 90 days"), result.dsl


def test_they_after_an_exclusion_speaks_of_everyone_again():
    # the exclusion is of people in France; 'they are not unsubscribed' is said of everyone (not excluded twice)
    result = read("bought shoes except anyone in France, and they are not unsubscribed")
    assert same(result, 'did order_completed where (product_category = "shoes") and did not email_unsubscribed '
                        'and country != "FR"'), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("number of orders over 4", "did order_completed at least 5 times"),
    ("Total Orders between 3 and 6", "did order_completed between 3 and 6 times"),
    ("Order Count >= 2, Total Revenue greater than 150",
     "did order_completed at least 2 times and total amount of order_completed > 150"),
    ("Last Purchase Date older than 6 months", "last order_completed more than 6 months ago"),
    ("Birthday = unknown", "birthday is not set"),
    ("top 10% by # of app opens", "top 10% by count of app_opened"),
])
def test_crm_fields_named_after_events(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("never paid full price", "did not order_completed where (discounted = false)"),
    ("viewed a product, carted or bought in the last 5 days",
     "did product_viewed in last 5 days or did cart_added in last 5 days or did order_completed in last 5 days"),
    ("opened, clicked or bought - anything in the last 3 days",
     "did email_opened in last 3 days or did email_clicked in last 3 days or did order_completed in last 3 days"),
])
def test_verbs_in_lists_and_paying_for_what(text, expected):
    assert_complete(text, expected)


def test_a_quote_with_an_apostrophe_inside_is_still_a_forwarded_request():
    result = read("Client: 'buyers in Spain who've never opened an email from us'")
    assert same(result, 'did order_completed and country = "ES" and did not email_opened') or \
        same(result, 'country = "ES" and did order_completed and did not email_opened'), result.dsl


def test_people_in_a_place_no_catalog_value_names_may_be_in_a_city():
    # no verb of residence: the place may be a city, a state or a region, so the city reading is asked about
    result = read("ppl in Leeds or Bristol who ordered this month")
    assert same(result, 'city in ["Leeds", "Bristol"] and did order_completed in this month'), result.dsl
    assert result.status == "partial" and any("city?" in p.reason for p in result.open_points)


@pytest.mark.parametrize("text", ["customers in Brasil who ordered", "users in Nigeria who ordered"])
def test_a_country_the_catalog_does_not_list_is_no_city(text):
    result = read(text)
    assert result.status != "complete" and "city" not in (result.dsl or ""), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("viewed the pricing page and started a trial, both in the last 10 days",
     'did page_viewed where (url = "/pricing") in last 10 days and did trial_started in last 10 days'),
    ("ordered last quarter but not at all this quarter",
     "did order_completed in previous quarter and did not order_completed in this quarter"),
    ("bought shoes and apparel, both in 2025",
     'did order_completed where (product_category = "shoes") between 2025-01-01 and 2025-12-31 and '
     'did order_completed where (product_category = "apparel") between 2025-01-01 and 2025-12-31'),
    ("all shoppers in Spain", 'country = "ES"'),  # 'all' before no window says nothing
])
def test_both_or_all_before_a_window_gives_it_to_each(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("ordered once or twice", "did order_completed between 1 and 2 times"),
    ("opened the app three or four times this week", "did app_opened between 3 and 4 times in this week"),
    ("City = Leeds OR City = York, SMS Consent = yes", '(city = "Leeds" or city = "York") and sms_consent = true'),
    ("stopped opening the app and opened an email in the last week",
     "stopped app_opened for 30 days and did email_opened in last 1 week"),
    ("no app opens for 60 days but still opens our emails",
     "did not app_opened in last 60 days and did email_opened"),
])
def test_count_alternatives_or_runs_and_what_a_noun_names(text, expected):
    result = read(text)
    assert same(result, expected), (result.dsl, result.open_points)


@pytest.mark.parametrize("text,expected", [
    ("spent over 300 in one order", "did order_completed where (amount > 300)"),
    ("never spent more than $40 on a single order", "did not order_completed where (amount > 40)"),
    ("opened a Weekly Newsletter email but never clicked through on any of them",
     'did email_opened where (campaign = "Weekly Newsletter") and '
     'did not email_clicked where (campaign = "Weekly Newsletter")'),
])
def test_money_on_one_order_and_pronouns_after_a_particle(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("spent over one hundred and twenty on a single shoe order",
     'did order_completed where (amount > 120 and product_category = "shoes")'),
    ("Plan != trial, Plan != free", 'plan != "trial" and plan != "free"'),
    ("has a birthday in the next 10 days and has bought apparel before",
     'birthday anniversary in next 10 days and did order_completed where (product_category = "apparel")'),
])
def test_numbers_with_and_field_values_shorthand_and_future_windows(text, expected):
    assert_complete(text, expected)


def test_both_values_of_a_one_valued_trait_is_asked():
    result = read("customers on both the pro and the free plan")
    assert result.status == "partial" and any("no one has both" in p.reason for p in result.open_points)
    assert read("customers in Spain and Italy").status == "complete"  # said without 'both': either of them


@pytest.mark.parametrize("text,expected", [
    ("opened or clicked the Weekly Newsletter", 'did email_opened where (campaign = "Weekly Newsletter") or '
                                                'did email_clicked where (campaign = "Weekly Newsletter")'),
    ("looked at a shoe or added one to the cart this week",
     'did product_viewed where (product_category = "shoes") in this week or '
     'did cart_added where (product_category = "shoes") in this week'),
    ("signed up this year and never ordered (zero orders)", "signup_at in this year and did not order_completed"),
    ("viewed apparel in the app", 'did product_viewed where (product_category = "apparel" and channel = "app")'),
    ("customers looking the shoes", 'did product_viewed where (product_category = "shoes")'),
    ("every single order was over $90", "did order_completed where (amount > 90) and "
                                        "did not order_completed where (not amount > 90)"),
    ("every customer who bought home products", 'did order_completed where (product_category = "home")'),
    ("bought apparel, but not the ones on the free plan, and not anyone who ordered this week",
     'did order_completed where (product_category = "apparel") and plan != "free" '
     "and did not order_completed in this week"),
])
def test_shared_objects_pronouns_restated_negations_and_every(text, expected):
    assert_complete(text, expected)


def test_within_of_an_earlier_event_than_the_step_before_is_asked():
    result = read("received the Weekly Newsletter, opened an email, and bought within 2 days of receiving it")
    assert result.status == "partial" and any("of which" in p.reason for p in result.open_points), result.dsl


@pytest.mark.parametrize("text,expected", [
    ("trial_started in last 30d AND subscription_started IS NULL",
     "did trial_started in last 30 days and did not subscription_started"),
    ("viewed apparel many times (four or more) this month",
     'did product_viewed where (product_category = "apparel") at least 4 times in this month'),
    ("people looking shoes in the app", 'did product_viewed where (product_category = "shoes" and channel = "app")'),
])
def test_null_events_restated_counts_and_looking(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("signed up before 1 Jan 2025", "signup_at before 2025-01-01"),
    ("joined before Mar 15 2026", "signup_at before 2026-03-15"),
])
def test_short_month_names_next_to_a_day(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("the 15 people with the highest single order", "top 15 by max amount of order_completed"),
    ("bought apparel, but not those who ordered this week, and nobody from Japan",
     'did order_completed where (product_category = "apparel") and did not order_completed in this week '
     'and country != "JP"'),
    ("people opening our emails but never clicking, in the last two months",
     "did email_opened in last 2 months and did not email_clicked in last 2 months"),
])
def test_superlative_ranks_repeated_exclusions_and_a_closing_window(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    # parentheses group what they hold, whatever joins them to the rest
    ("SMS subscribers AND (bought shoes OR viewed apparel in the app)",
     'sms_consent = true and (did order_completed where (product_category = "shoes") or '
     'did product_viewed where (product_category = "apparel" and channel = "app"))'),
    ("(on the pro plan and in Canada) or (on the team plan and in Brazil)",
     '(plan = "pro" and country = "CA") or (plan = "team" and country = "BR")'),
    # 'either' begins an or-run that is one condition
    ("Italy plus either opened a push or launched the app this week",
     'country = "IT" and (did push_opened in this week or did app_opened in this week)'),
    # who people are, said before 'and' and an or-list of what they did, is said of every alternative
    ("in Japan and opened a push or launched the app", 'country = "JP" and (did push_opened or did app_opened)'),
])
def test_parentheses_either_and_a_leading_trait_group_an_or_run(text, expected):
    assert_complete(text, expected)


def test_an_or_between_two_sentences_of_people_stays_between_them():
    assert_complete("in Japan and opened a push, or in Brazil and launched the app",
                    '(country = "JP" and did push_opened) or (country = "BR" and did app_opened)')


@pytest.mark.parametrize("text,expected", [
    # a verb whose event cannot have the property after it is the event that can
    ("folks who got a discount on an order in Q3",
     'did order_completed where (discounted = true) between 2026-07-01 and 2026-09-30'),
    ("members who have never used a discount", "did not order_completed where (discounted = true)"),
    # a bare 'no' after something done in a window is what did not follow it
    ("checkout started in the last 48 hours, no order", "did checkout_started in last 48 hours then did not order_completed"),
])
def test_verbs_of_another_events_property_and_a_bare_no_after_a_window(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    # a bound that zero purchases also meets, said of customers or buyers, is of people who bought
    ("shoppers whose total spend is below 80", "did order_completed and total amount of order_completed < 80"),
    ("buyers in Spain with no more than 3 orders", 'did order_completed between 1 and 3 times and country = "ES"'),
    # said of people, zero stays in
    ("people with no more than 3 orders", "did order_completed at most 3 times"),
])
def test_customers_under_a_bound_have_bought(text, expected):
    assert_complete(text, expected)


def test_not_both_before_an_and_run_is_asked():
    result = read("users who have not both viewed pricing and started a trial")
    assert result.status == "partial" and "not the two together" in result.question, (result.dsl, result.question)


def test_a_value_the_data_cannot_have_is_left_out_and_said():
    result = read("SMS subscribers in Canada, Norway or Japan")
    assert result.status == "partial" and result.dsl == format_segment(
        parse('sms_consent = true and country in ["CA", "JP"]'))
    assert [p.text for p in result.open_points] == ["Norway"] and "no country NO in this data" in result.question


@pytest.mark.parametrize("text,expected", [
    # one negation said twice (negative concord) is one negation
    ("people that never opened no email", "did not email_opened"),
    # 'once' under a negation is 'even once'
    ("shoppers who did not view a product once this month", "did not product_viewed in this month"),
    # 'every one of', 'all of the orders': each order, not a count of one and not said of people
    ("every one of their orders was on sale", 'did order_completed where (discounted = true) and '
                                             'did not order_completed where (discounted = false)'),
    # a value is a thing, never a verb's form ('watched' is no 'watches')
    ("customers in India who bought watches", 'country = "IN" and did order_completed where '
                                              '(product_category = "accessories")'),
])
def test_negative_concord_even_once_each_of_and_verb_forms(text, expected):
    assert_complete(text, expected)


def test_every_order_after_orders_in_a_window_are_those_orders():
    assert_complete("bought 2+ times this quarter and each order was over 30",
                    "did order_completed at least 2 times in this quarter and did order_completed where (amount > 30) "
                    "in this quarter and did not order_completed where (not amount > 30) in this quarter")


def test_watched_is_not_a_category():
    result = read("watched electronics three times")
    assert "accessories" not in (result.dsl or ""), result.dsl


@pytest.mark.parametrize("text,expected", [
    # a window right after a date trait is the date's, even with no 'and' before the next verb
    ("joined more than 2 years ago never clicked an email", "signup_at more than 2 years ago and did not email_clicked"),
    # a verb whose event has no such property, where one event alone has it, is that event
    ("team accounts that have never opened integrations",
     'plan = "team" and did not feature_used where (feature = "integrations")'),
    # 'only' after a window is the purchases' exclusive reading, in that window
    ("bought in Q3 but only with a discount",
     "did order_completed where (discounted = true) between 2026-07-01 and 2026-09-30 and "
     "did not order_completed where (discounted = false) between 2026-07-01 and 2026-09-30"),
    # 'only' right after who people are is said of them
    ("contacts in Italy only that viewed apparel",
     'country = "IT" and did product_viewed where (product_category = "apparel")'),
])
def test_date_windows_owners_of_values_and_the_scope_of_only(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,word", [
    ("ordered apparel only", "only"),                       # only apparel, or only ordered?
    ("bought flowers but only with a coupon code", "only"),  # every flower order, or one?
    ("3 orders in total, all of them shoes", "all"),
    ("bought in Q3 but only at full price", "only"),
])
def test_only_and_all_said_after_the_values_are_asked(text, word):
    result = read(text)
    assert result.status == "partial" and word in [p.text.split()[0] for p in result.open_points], \
        (result.dsl, result.open_points)


@pytest.mark.parametrize("text,expected", [
    ("NL + IT sms subs", 'country in ["NL", "IT"] and sms_consent = true'),
    ("downloaded content this qtr", "did content_downloaded in this quarter"),
    ("trial custs excl Germany", 'plan = "trial" and country != "DE"'),
])
def test_code_lists_with_plus_and_shorthand(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    # a gap said of the person, and '30+ days' (a gap is at least what it says already)
    ("users who returned to the app this month after staying inactive for 45+ days",
     "restarted app_opened after 45 days in this month"),
    ("ordered again in the last 60 days after not ordering for 120+ days",
     "restarted order_completed after 120 days in last 60 days"),
    # the verb said again after 'without' is the event before 'again'
    ("clicked an email again this week after 3 weeks without clicking",
     "restarted email_clicked after 3 weeks in this week"),
])
def test_came_back_after_a_gap_said_many_ways(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    # the noun of another event of the same verb; 'one of our' is no count
    ("people who opened one of our push notifs this week", "did push_opened in this week"),
    ("clicked one of our emails in the last 10 days", "did email_clicked in last 10 days"),
    # a name before '=' and a definition of several words
    ("sleepers = no app open in 60 days", "did not app_opened in last 60 days"),
    # 'how many' asks for the segment
    ("how many trialists clicked a text this month", 'plan = "trial" and did sms_clicked in this month'),
    # the same window said with 'same'
    ("carted in the last 2 weeks and no purchase over the same period",
     "did cart_added in last 2 weeks and did not order_completed in last 2 weeks"),
    # a person's first days, said with what they follow
    ("used a feature within the first 3 days after registering", "did feature_used within 3 days after signup_at"),
])
def test_nouns_of_verbs_titles_with_equals_how_many_same_windows_and_first_days(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,expected", [
    ("spain + italy customers", 'country in ["ES", "IT"]'),                      # a plus between two values
    ("3+ orders L30D", "did order_completed at least 3 times in last 30 days"),   # analysts' shorthand
    ("opened the app again this week after being away 3 weeks or more", "restarted app_opened after 3 weeks in this week"),
    ("bought in 2025, excepting people in Japan", 'did order_completed between 2025-01-01 and 2025-12-31 and country != "JP"'),
    ("whoever clicked a text this month", "did sms_clicked in this month"),
    ("viewed shoes yesterday but did not buy that day",
     'did product_viewed where (product_category = "shoes") yesterday and did not order_completed yesterday'),
    ("email consent yes, sms consent no", "email_consent = true and sms_consent = false"),
])
def test_plus_lists_shorthand_that_day_and_consent_yes_no(text, expected):
    assert_complete(text, expected)


def test_sql_in_lists_are_not_india():
    assert_complete("(country IN ('JP','AU') AND plan = 'free') OR country NOT IN ('US','GB','DE')",
                    '(country in ["JP", "AU"] and plan = "free") or country not in ["US", "GB", "DE"]')


def test_recently_with_no_span_is_built_and_asked():
    result = read("people who clicked a text lately")
    assert result.status == "partial" and result.dsl == "did sms_clicked in last 30 days"
    assert result.question == "By 'lately', did you mean the last 30 days, or another span of time?"


def test_those_months_said_before_are_not_the_last_ones():
    result = read("spent over 300 in those 2 months")
    assert result.status == "partial" and "in last 2 months" not in (result.dsl or ""), result.dsl


@pytest.mark.parametrize("text,expected", [
    # 'every order was > 20' is each order's amount, not a count
    ("every order they placed was >= 15", "did order_completed where (amount >= 15) and "
                                          "did not order_completed where (not amount >= 15)"),
    # a window said first is when each and-ed thing after it was done
    ("in the past 2 weeks clicked a text and opened the app", "did sms_clicked in last 2 weeks and "
                                                              "did app_opened in last 2 weeks"),
    # values said with a ranking's measure are of what it sums
    ("top 20% by spend on flowers", 'top 20% by total amount of order_completed where (product_category = "flowers")'),
    ("bottom 10 by beauty revenue", 'bottom 10 by total amount of order_completed where (product_category = "beauty")'),
])
def test_each_orders_amount_leading_windows_and_filtered_rank_measures(text, expected):
    assert_complete(text, expected)


def test_a_window_between_a_saved_segment_and_who_is_not_the_verbs():
    result = read("vips from this month who clicked a text")
    assert result.status == "partial" and "this month" in [p.text for p in result.open_points], result.dsl


@pytest.mark.parametrize("text,expected", [
    # 'only' after 'who' is the verb's, even after who people are
    ("repeat buyers who only ever bought flowers", "did order_completed at least 2 times and did order_completed where "
     '(product_category = "flowers") and did not order_completed where (product_category != "flowers")'),
    # a bare verb with a pronoun object does it to what was named before (here a concept's event)
    ("app users who stopped opening it for 3 weeks", "did app_opened and stopped app_opened for 3 weeks"),
])
def test_only_after_who_and_a_pronoun_object_named_before(text, expected):
    assert_complete(text, expected)


def test_what_a_pronoun_carries_keeps_its_price_and_never_is_ever():
    assert_complete("viewed apparel priced over 90 this week but never added any of it to the cart",
                    'did product_viewed where (product_category = "apparel" and amount > 90) in this week and '
                    'did not cart_added where (product_category = "apparel" and amount > 90)')


@pytest.mark.parametrize("text,expected", [
    # a number said again after a correction replaces the one before it; a speaker's fillers say nothing
    ("um, everyone who ordered in the last uh forty five days, no wait, make that ninety days",
     "did order_completed in last 90 days"),
    ("opened the app 5 times, sorry, 6 times this week", "did app_opened exactly 6 times in this week"),
])
def test_spoken_corrections_and_fillers(text, expected):
    assert_complete(text, expected)


def test_values_of_one_trait_said_with_nothing_between_are_a_list():
    assert_complete("trial users in Japan Australia or Canada", 'plan = "trial" and country in ["JP", "AU", "CA"]')


@pytest.mark.parametrize("text,expected", [
    # half-SQL dates, quoted or not, with a comparison sign: days, so '>' starts the day after
    ("signup_at >= '2026-02-01' AND sms_consent", "signup_at after 2026-02-01 and sms_consent = true"),
    ("signup_at > 2026-02-01", "signup_at after 2026-02-02"),
    ("signup_at <= '2026-02-01'", "signup_at before 2026-02-02"),
    ("signup_at BETWEEN '2025-10-01' AND '2025-12-31'", "signup_at between 2025-10-01 and 2025-12-31"),
])
def test_half_sql_dates(text, expected):
    assert_complete(text, expected)


@pytest.mark.parametrize("text,word", [
    ("top 5% of Japanese shoppers by revenue", "Japanese"),
    ("the 20 biggest spenders on the pro plan", "pro"),
])
def test_who_people_are_inside_a_ranked_noun_is_asked(text, word):
    result = read(text)
    assert result.status == "partial" and any(word in p.text for p in result.open_points), (result.dsl, result.open_points)


def test_a_condition_after_who_is_no_ranking_subset():
    assert_complete("top 5% by revenue who live in Japan",
                    'top 5% by total amount of order_completed and country = "JP"')


@pytest.mark.parametrize("text,expected", [
    # headings of a brief: what 'Exclude:' heads is left out, 'Include:' says nothing more
    ("Include: trialists, FR\nExclude: clicked a text in the last 14 days",
     'plan = "trial" and country = "FR" and did not sms_clicked in last 14 days'),
    # a new request verb after an exclusion ends it
    ("please exclude people in Brazil and show me everyone on the team plan", 'plan = "team" and country != "BR"'),
    # 'within N days of that': the step said before
    ("started a trial and within 3 days of that opened the app", "did trial_started then did app_opened within 3 days"),
    # counted things are times done
    ("viewed 4+ products this week", "did product_viewed at least 4 times in this week"),
    # a catalog concept for the average order
    ("avg basket under 30", "average amount of order_completed < 30"),
])
def test_brief_headings_exclusion_scope_steps_counted_things_and_aov(text, expected):
    assert_complete(text, expected)


def test_saved_segments_listed_with_a_comma_are_asked():
    result = read("vips, at risk")
    assert result.status == "partial" and result.question.endswith("in both of them, or in either of them?")


@pytest.mark.parametrize("text,expected", [
    ("clicked a text on minimum 2 out of the last 5 weeks", "did sms_clicked in at least 2 of last 5 weeks"),
    ("ordered maximum 3 times", "did order_completed at most 3 times"),
])
def test_minimum_and_maximum_as_bounds(text, expected):
    assert_complete(text, expected)


def test_a_saved_segment_named_in_parentheses_says_what_a_vague_word_means():
    result = read("clicked a text recently (the engaged segment)")
    assert result.status == "complete" and result.open_points == [], result.open_points
    assert "'recently' read as the saved segment 'engaged segment' named after it says" in result.assumptions
