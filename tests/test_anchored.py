"""Windows anchored on a person's own dates (`did order_completed within 7 days after signup_at`, `first
order_completed within 10 days after signup_at`, `did x within 30 days after trial_started`): parse, format,
check and explain, every form run on the demo store against hand-written SQL (DuckDB, PostgreSQL) and compiled
for every dialect."""

from datetime import datetime

import pytest
import sqlglot

from assistant.data.preview import Database, member_ids
from grammar import ast as A
from grammar.check import validate
from grammar.compile import DIALECTS, compile_segment
from grammar.errors import SegmentError
from grammar.explain import explain
from grammar.format import format_segment
from grammar.parser import parse

AS_OF = datetime(2026, 11, 1)
CAP = "TIMESTAMP '2026-11-01 00:00:00'"


@pytest.mark.parametrize("text, canonical", [
    ("did order_completed within 7 days of signup_at", "did order_completed within 7 days after signup_at"),
    ("DID order_completed WITHIN 1 Week AFTER signup_at", "did order_completed within 1 week after signup_at"),
    ("first order_completed within 10 days after signup_at", "first order_completed within 10 days after signup_at"),
    ("did order_completed at least 2 times within 30 days after trial_started",
     "did order_completed at least 2 times within 30 days after trial_started"),
    ("total amount of order_completed within 1 month of signup_at > 100",
     "total amount of order_completed within 1 month after signup_at > 100"),
    ("not did order_completed within 3 days of signup_at", "did not order_completed within 3 days after signup_at"),
])
def test_parse_and_format(text, canonical):
    node = parse(text)
    assert format_segment(node) == canonical
    assert parse(canonical) == node


def test_the_window_in_the_ast_and_builder_json():
    w = parse("did order_completed within 7 days of signup_at").window
    assert w == A.Anchored(amount=7, unit="day", anchor="signup_at")
    assert A.condition_from_json(A.condition_to_json(parse("first x within 2 hours after y"))).window.anchor == "y"


@pytest.mark.parametrize("text, reading", [
    ("did order_completed within 7 days of signup_at", "within 7 days of their signup date"),
    ("did order_completed within 30 days after trial_started", "within 30 days of their first trial started"),
])
def test_explain(text, reading, catalog):
    assert explain(parse(text), catalog).endswith(reading)


@pytest.mark.parametrize("text, message", [
    ("did order_completed within 0 days after signup_at", "use at least 1"),
    ("did order_completed within 7 days after country", "not a date"),
    ("did order_completed within 7 days after signup", "unknown date trait or event"),
    ("did cart_added within 7 days after signup_at then did order_completed", "not with sequences"),
])
def test_check(text, message, catalog):
    with pytest.raises(SegmentError) as err:
        validate(text, catalog)
    assert message in str(err.value)


# ---- on the demo store -----------------------------------------------------------------------------------

def within_signup(event: str, seconds: int) -> str:
    return (f"SELECT e.contact_id FROM events e JOIN contacts c ON c.contact_id = e.contact_id WHERE e.event = "
            f"'{event}' AND e.occurred_at <= {CAP} AND e.occurred_at >= c.signup_at AND e.occurred_at <= "
            f"c.signup_at + INTERVAL {seconds} SECOND")


FIRST_TRIAL = (f"SELECT contact_id, min(occurred_at) AS at FROM events WHERE event = 'trial_started' AND "
               f"occurred_at <= {CAP} GROUP BY 1")

CASES = {
    "did_trait": ("did order_completed within 7 days of signup_at", within_signup("order_completed", 7 * 86400)),
    "did_trait_hours": ("did page_viewed within 12 hours after signup_at", within_signup("page_viewed", 12 * 3600)),
    "count_event": ("did order_completed at least 2 times within 30 days after trial_started",
                    f"SELECT e.contact_id FROM events e JOIN ({FIRST_TRIAL}) a ON a.contact_id = e.contact_id "
                    f"WHERE e.event = 'order_completed' AND e.occurred_at <= {CAP} AND e.occurred_at >= a.at AND "
                    f"e.occurred_at <= a.at + INTERVAL 30 DAY GROUP BY 1 HAVING count(*) >= 2"),
    "first_trait": ("first order_completed within 10 days after signup_at",
                    f"SELECT e.contact_id FROM events e JOIN contacts c ON c.contact_id = e.contact_id WHERE "
                    f"e.event = 'order_completed' AND e.occurred_at <= {CAP} GROUP BY e.contact_id, c.signup_at "
                    f"HAVING min(e.occurred_at) >= c.signup_at AND min(e.occurred_at) <= c.signup_at + INTERVAL 10 DAY"),
    # the complement: everyone (who exists at as-of) but those; nobody without the anchor is lost or gained
    "not_did_event": ("not did order_completed within 30 days after trial_started",
                      f"SELECT contact_id FROM contacts WHERE signup_at <= {CAP} EXCEPT SELECT e.contact_id FROM "
                      f"events e JOIN ({FIRST_TRIAL}) a ON a.contact_id = e.contact_id WHERE e.event = "
                      f"'order_completed' AND e.occurred_at <= {CAP} AND e.occurred_at >= a.at AND e.occurred_at <= "
                      f"a.at + INTERVAL 30 DAY"),
    # at most 0 times needs the anchor: people who never started a trial are not members
    "none_after_trial": ("did order_completed at most 0 times within 30 days after trial_started",
                         f"SELECT a.contact_id FROM ({FIRST_TRIAL}) a EXCEPT SELECT e.contact_id FROM events e JOIN "
                         f"({FIRST_TRIAL}) a ON a.contact_id = e.contact_id WHERE e.event = 'order_completed' AND "
                         f"e.occurred_at <= {CAP} AND e.occurred_at >= a.at AND e.occurred_at <= a.at + INTERVAL 30 DAY"),
}


def test_a_date_trait_in_an_anchored_window(demo_db, catalog):
    """Nobody in the demo store starts a trial before signing up, so this selects the same nobody as the SQL."""
    text = "signup_at within 3 days after trial_started"
    reference = (f"SELECT c.contact_id FROM contacts c JOIN ({FIRST_TRIAL}) a ON a.contact_id = c.contact_id "
                 f"WHERE c.signup_at >= a.at AND c.signup_at <= a.at + INTERVAL 3 DAY")
    db = Database(demo_db)
    assert member_ids(db, compile_segment(validate(text, catalog)[0], catalog, "duckdb", AS_OF)) == \
        member_ids(db, reference)
    for dialect in DIALECTS:
        assert sqlglot.parse_one(compile_segment(parse(text), catalog, dialect, AS_OF), read=dialect)


@pytest.mark.parametrize("name", list(CASES))
def test_anchored_windows_match_reference_sql(name, demo_db, catalog):
    text, reference = CASES[name]
    node, _ = validate(text, catalog)
    db = Database(demo_db)
    got = member_ids(db, compile_segment(node, catalog, "duckdb", AS_OF))
    want = member_ids(db, reference)
    assert got == want
    assert want and len(want) < 2000, f"{name}: pick a sharper case"


def test_not_is_the_exact_complement(demo_db, catalog):
    db = Database(demo_db)
    everyone = member_ids(db, f"SELECT contact_id FROM contacts WHERE signup_at <= {CAP}")
    for text in ("did order_completed at most 0 times within 30 days after trial_started",
                 "first order_completed within 10 days after signup_at",
                 "total amount of order_completed within 30 days after trial_started < 50"):
        yes = member_ids(db, compile_segment(parse(text), catalog, "duckdb", AS_OF))
        no = member_ids(db, compile_segment(parse(f"not ({text})"), catalog, "duckdb", AS_OF))
        assert yes and not yes & no and yes | no == everyone


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(CASES))
def test_postgres_selects_the_same_members_as_duckdb(name, pg_demo, demo_db, catalog):
    text, _ = CASES[name]
    node = parse(text)
    on_duckdb = member_ids(Database(demo_db), compile_segment(node, catalog, "duckdb", AS_OF))
    assert member_ids(Database(pg_demo), compile_segment(node, catalog, "postgres", AS_OF)) == on_duckdb


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(dialect, catalog):
    for text, _ in CASES.values():
        sql = compile_segment(parse(text), catalog, dialect, AS_OF)
        assert "INTERVAL" in sql.upper()
        assert sqlglot.parse_one(sql, read=dialect).find(sqlglot.exp.Select) is not None


# ---- the offline translator ------------------------------------------------------------------------------

def _offline(request: str, catalog):
    from assistant.translate.offline.translator import OfflineTranslator

    return OfflineTranslator().translate(request, catalog=catalog, as_of=AS_OF)


@pytest.mark.parametrize("request_text, dsl", [
    ("contacts who placed an order within 4 days of signup", "did order_completed within 4 days after signup_at"),
    ("ordered at most once within a month after signing up",
     "did order_completed at most 1 time within 1 month after signup_at"),
    ("people whose first order came within 3 weeks of their registration",
     "first order_completed within 3 weeks after signup_at"),
    ("bought within a fortnight of opening the app", None),  # 'fortnight' is no unit: not read as anchored
])
def test_the_offline_translator_reads_anchors(request_text, dsl, catalog):
    result = _offline(request_text, catalog)
    if dsl is None:
        assert "after" not in (result.dsl or "")
    else:
        assert result.dsl == format_segment(parse(dsl))


def test_an_anchor_it_cannot_place_stays_open(catalog):
    """A catalog with no sign-up time: 'within 7 days of signing up' is an open point, never a guess."""
    no_signup = catalog.model_copy(update={"contacts": catalog.contacts.model_copy(update={"created_at": None})})
    result = _offline("customers who ordered within 7 days of signing up", no_signup)
    assert result.status == "partial"
    assert any("signing up" in p.text for p in result.open_points)
    assert "signup_at" not in (result.dsl or "")
    # a bare verb naming several events is no anchor either
    result = _offline("ordered within 3 days after their start", catalog)
    assert result.status == "partial"
