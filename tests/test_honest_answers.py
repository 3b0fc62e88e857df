"""Honest answers: every answer says whether it understood everything. The accounting of quantities that any
translator's answer goes through, and the model path's own open points (scripted OpenAI-compatible server over
real HTTP), down to `draft`'s status."""

from __future__ import annotations

import json
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
                    'did order_completed where (product_category = "shoes") after 2026-01-01') == ["1", "15"]


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
