"""Honest answers: every answer says whether it understood everything. The accounting of quantities that any
translator's answer goes through, and the model path's own open points (scripted OpenAI-compatible server over
real HTTP), down to `draft`'s status."""

from __future__ import annotations

import json
import re
from datetime import datetime

from tests.scripted_model import _scripted_server, scripted_model, text, tool_call  # noqa: F401 (pytest fixtures)

from assistant.config import ModelConfig
from assistant.pipeline import draft
from assistant.translate.accounting import quantities, unplaced_quantities
from assistant.translate.contract import status_of
from assistant.translate.model import ModelTranslator
from grammar.catalog import load_catalog
from grammar.parser import parse

AS_OF = datetime(2026, 11, 1)
CATALOG = load_catalog()


def model(url: str, mode: str = "text") -> ModelTranslator:
    return ModelTranslator(ModelConfig.model_validate({"name": "scripted-1", "base_url": url, "api_key": "k",
                                                       "mode": mode, "timeout": 10, "max_retries": 0}))


# ---- the status rule ----------------------------------------------------------------------------------

def test_status_rule():
    assert status_of(segment="x", refusal=None, question=None, open_points=[]) == "complete"
    assert status_of(segment="x", refusal=None, question="which?", open_points=[]) == "partial"
    assert status_of(segment=None, refusal=None, question="which?", open_points=[]) == "question"
    assert status_of(segment=None, refusal="no SQL", question=None, open_points=[]) == "refused"


# ---- quantities of a request ---------------------------------------------------------------------------

def test_quantities_in_digits_words_and_dates_with_their_spans():
    request = "ordered thirty two times, a dozen emails, $50, top 10%, twice, since 2026-01-05, 4 months"
    found = [(q.text, q.value, request[q.start:q.end]) for q in quantities(request)]
    assert found == [("thirty two", 32, "thirty two"), ("a dozen", 12, "a dozen"), ("$50", 50, "$50"),
                     ("10%", 10, "10%"), ("twice", 2, "twice"), ("2026-01-05", 2026, "2026-01-05"),
                     ("4", 4, "4")]
    assert quantities("4 months")[0].seconds == 4 * 30 * 86400


def test_one_as_a_pronoun_is_no_quantity():
    assert quantities("the one who bought, one of them") == []


def test_a_quantity_is_placed_as_the_same_number_duration_neighbour_or_year():
    def unplaced(request: str, dsl: str) -> list[str]:
        return [p.text for p in unplaced_quantities(request, parse(dsl))]

    assert unplaced("bought 3 times in 2 weeks", "did order_completed at least 3 times in last 14 days") == []
    assert unplaced("more than 2 orders", "did order_completed at least 3 times") == []
    assert unplaced("signed up in 2025", "signup_at between 2025-01-01 and 2025-12-31") == []
    assert unplaced("top 10% by spend", "top 10% by total amount of order_completed") == []
    assert unplaced("ordered thirty two times", "did order_completed exactly 2 times") == ["thirty two"]
    assert unplaced("bought shoes between March 1 and March 15 this year",
                    'did order_completed where (product_category = "shoes") after 2026-01-01') == ["March 1", "March 15"]
    assert unplaced("signed up between January 1 and March 31, 2026",
                    "signup_at between 2026-01-01 and 2026-03-31") == []
    assert unplaced("opened the Black Friday 2025 email", 'did email_opened where (campaign = "Black Friday 2025")') == []


# ---- the model path reports status ---------------------------------------------------------------------

def test_model_text_mode_unplaced_words_make_a_partial_answer_with_spans(scripted_model):
    scripted_model.push(text("UNPLACED: over the weekend\ndid email_opened"))
    request = "people who opened an email over the weekend"
    result = model(scripted_model.base_url).translate(request, catalog=CATALOG, as_of=AS_OF)
    assert result.status == "partial" and result.dsl == "did email_opened"
    [point] = result.open_points
    assert (point.text, request[point.start:point.end]) == ("over the weekend", "over the weekend")
    assert "over the weekend" in result.question


def test_model_json_mode_open_points(scripted_model):
    scripted_model.push(text(json.dumps({"dsl": "email_consent = true", "assumptions": [],
                                         "open_points": ["not to text messages"], "question": None, "refusal": None})))
    request = "opted in to email but not to text messages"
    result = model(scripted_model.base_url, "json").translate(request, catalog=CATALOG, as_of=AS_OF)
    assert result.status == "partial"
    assert [(p.start, p.end) for p in result.open_points] == [(request.index("not"), len(request))]


def test_model_grammar_mode_notes_before_the_tool_call(scripted_model):
    scripted_model.push(tool_call("did order_completed", notes="UNPLACED: first"))
    result = model(scripted_model.base_url, "grammar").translate("first purchase came within 10 days of signing up",
                                                                 catalog=CATALOG, as_of=AS_OF)
    assert result.status == "partial" and [p.text for p in result.open_points] == ["first"]


def test_a_model_answer_is_complete_when_it_places_everything(scripted_model):
    scripted_model.push(text("did order_completed at least 3 times in last 90 days"))
    result = draft("bought 3+ times in the last 90 days", translator=model(scripted_model.base_url),
                   catalog=CATALOG, as_of=AS_OF)
    assert (result.status, result.open_points, result.question) == ("complete", [], None)


def test_draft_confirms_a_model_answer_that_silently_dropped_a_number(scripted_model):
    scripted_model.push(text("did order_completed exactly 2 times"))
    request = "ordered thirty two times"
    result = draft(request, translator=model(scripted_model.base_url), catalog=CATALOG, as_of=AS_OF)
    assert result.status == "partial"
    [point] = result.open_points
    assert request[point.start:point.end] == "thirty two"
    assert "'thirty two'" in result.question


def test_a_number_the_chat_refers_to_in_the_current_segment_is_placed(scripted_model):
    scripted_model.push(text("did order_completed in last 60 days"))
    result = draft("change 30 to 60", translator=model(scripted_model.base_url), catalog=CATALOG, as_of=AS_OF,
                   current=parse("did order_completed in last 30 days"))
    assert result.status == "complete"


# ---- the offline translator: each content-word class left unplaced makes the answer partial ------------

def _offline(request: str):
    from assistant.translate.offline import OfflineTranslator

    return OfflineTranslator().translate(request, catalog=CATALOG, as_of=AS_OF)


def _open(request: str) -> list[str]:
    result = _offline(request)
    assert result.status == "partial" and result.question, (result.dsl, result.open_points)
    assert all(request[p.start:p.end] == p.text for p in result.open_points)
    return [p.text for p in result.open_points]


def test_an_unplaced_number_is_open_with_its_span():
    assert _open("customers with a loyalty score above 80 in Germany") == ["loyalty score above 80"]


def test_an_unplaced_date_is_open():
    # (a day without a year, "on March 3", is the most recent March 3: a date the translator places)
    assert _open("people in France who bought shoes on March the 3rd") == ["March the 3rd"]


def test_an_unplaced_quantifier_is_open():
    # (an anchor is a person's first such event, so 'their first order' is placed; their last one is not)
    assert "last" in _open("people who opened an email within 2 days of their last order")


def test_an_unplaced_event_phrase_is_open():
    assert _open("people in Germany who redeemed a coupon") == ["redeemed a coupon"]


def test_an_unplaced_trait_value_is_open():
    assert _open("contacts in Germany except the ones from Berlin") == ["Berlin"]


def test_a_guessed_event_is_open():
    """'sms' is a channel of eleven events: reading it as one of them is a guess, said as an open point."""
    assert _open("subscribers who opted in to email but not to sms") == ["sms"]


def test_a_real_word_is_never_spell_corrected_into_a_name():
    """'finished' is English, not a typo of 'finnish': it stays open instead of becoming country = FI."""
    result = _offline("started a checkout in the last 4 days and never finished buying")
    assert "FI" not in (result.dsl or "") and "finished" in [p.text for p in result.open_points]
    assert _offline("custmers who purchsed in the last 90 days").dsl == "did order_completed in last 90 days"


def test_filler_words_never_make_an_answer_partial():
    for request in ("hey folks, please find everyone in Germany, thanks!", "pls gimme ppl in France",
                    "people who bought shoes but never clicked"):
        result = _offline(request)
        assert result.status == "complete", (request, result.open_points)


def test_a_negation_is_kept_in_scope_or_left_open():
    assert _offline("contacts not in Germany or France").dsl == 'country not in ["DE", "FR"]'
    assert _offline("customers who have not bought anything").dsl == "did not order_completed"


# ---- one as-of, said aloud ------------------------------------------------------------------------------

def test_a_window_after_the_newest_event_is_warned_about(demo_db):
    from assistant.data.preview import Database
    from assistant.translate.offline import OfflineTranslator

    db = Database(demo_db)
    late = draft("bought in the last 7 days", translator=OfflineTranslator(), catalog=CATALOG,
                 as_of=datetime(2026, 12, 1), db=db)
    assert late.count == 0 and late.as_of == "2026-12-01 00:00:00"
    [warning] = late.warnings
    assert re.fullmatch(r"no events after 2026-10-31 23:\d\d in this database: 'in last 7 days' selects none "
                        r"at as-of 2026-12-01 00:00", warning), warning
    on_time = draft("bought in the last 7 days", translator=OfflineTranslator(), catalog=CATALOG, as_of=AS_OF, db=db)
    assert on_time.count > 0 and on_time.warnings == []


def test_a_trailing_negation_with_nothing_to_negate_is_open_not_turned_backwards():
    request = "people in Germany who did not frobnicate"
    result = _offline(request)
    assert result.dsl == 'country = "DE"'  # never country != "DE"
    assert [(p.text, p.reason) for p in result.open_points] == [("did not frobnicate", "a negation")]
    assert _offline("people not in Germany").dsl == 'country != "DE"'


def test_a_short_title_before_a_colon_names_the_segment():
    result = _offline("Drifting fans: opened the app in the last 90 days but not in the last 14 days")
    assert result.dsl == "did app_opened in last 90 days and did not app_opened in last 14 days"
    assert result.status == "complete"
    assert "'Drifting fans' read as the name of the segment being defined, not a condition" in result.assumptions


def test_a_negation_before_an_or_of_verbs_covers_both_and_not_what_comes_before():
    result = _offline("people on the pro plan who haven't opened or clicked an email in 45 days")
    assert result.dsl == ('plan = "pro" and not (did email_opened in last 45 days '
                          'or did email_clicked in last 45 days)')


def test_a_bare_trait_word_read_as_is_set_is_open():
    result = _offline("people in France by town")
    assert result.dsl == 'country = "FR" and city is set' and [p.text for p in result.open_points] == ["town"]
    assert _offline("contacts in Spain without a birthday").status == "complete"
