"""Concepts: named DSL fragments in the catalog (`concepts:`), checked when the catalog loads, read by the
offline translator (and named in its assumptions), listed in the model's prompt, named by explain(), and
stubbed by introspection. Plus vague quantities in words ('a couple', 'a few', 'a handful'). The phrasings
here are in no eval suite."""

from __future__ import annotations

import pytest
import yaml

from assistant.data.preview import Database, member_ids
from assistant.translate.offline import OfflineTranslator
from assistant.translate.prompt import build_messages
from grammar.catalog import DEMO_CATALOG_PATH, Catalog, CatalogError, load_catalog
from grammar.compile import compile_segment
from grammar.explain import explain
from grammar.format import format_segment
from grammar.parser import parse


def _demo_data() -> dict:
    return yaml.safe_load(DEMO_CATALOG_PATH.read_text())


def _load(tmp_path, concepts: dict) -> Catalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({**_demo_data(), "concepts": concepts}))
    return load_catalog(path)


def read(catalog, as_of, request: str):
    return OfflineTranslator().translate(request, catalog=catalog, as_of=as_of)


# ---- the catalog -----------------------------------------------------------------------------------------

def test_demo_concepts_are_parsed_and_checked(catalog):
    assert {"paying", "sms_subscribers", "email_subscribers", "customers", "lifetime_value"} <= set(catalog.concepts)
    assert format_segment(catalog.concepts["paying"].node) == 'plan in ["pro", "team"]'
    assert catalog.concept_labels()["lifetime value"] == parse("top 10% by total amount of order_completed").measure


def test_a_good_concept_loads(tmp_path):
    cat = _load(tmp_path, {"german_vips": {"dsl": 'country = "DE" and did order_completed at least 5 times',
                                          "synonyms": ["german regulars"]}})
    assert format_segment(cat.concepts["german_vips"].node) == 'country = "DE" and did order_completed at least 5 times'


@pytest.mark.parametrize("concepts, message", [
    ({"bad": {"dsl": 'tier = "pro"'}}, "concept 'bad': unknown trait 'tier'"),
    ({"bad": {"measure": "total url of page_viewed"}}, "concept 'bad'"),
    ({"bad": {"dsl": "did order_completed and"}}, "concept 'bad'"),
    ({"bad": {"dsl": "plan = \"pro\"", "measure": "count of app_opened"}}, "either dsl"),
    ({"plan": {"dsl": 'plan = "pro"'}}, "concept 'plan' has the name of a trait"),
    ({"app_opened": {"dsl": "did app_opened"}}, "concept 'app_opened' has the name of a event"),
    ({"amount": {"measure": "total amount of order_completed"}}, "has the name of a property"),
])
def test_a_bad_concept_is_a_catalog_error_naming_it(tmp_path, concepts, message):
    with pytest.raises(CatalogError, match=message.replace("(", r"\(")):
        _load(tmp_path, concepts)


def test_introspected_yaml_carries_a_commented_concepts_stub_that_loads_when_uncommented(catalog, tmp_path):
    bare = catalog.model_copy(update={"concepts": {}})
    text = bare.to_yaml()
    assert "# concepts:" in text and "#     dsl: " in text and "#     measure: " in text
    assert yaml.safe_load(text).get("concepts") is None  # comments only
    uncommented = text.replace("# concepts:", "concepts:").replace("#   ", "  ")
    path = tmp_path / "stubbed.yaml"
    path.write_text(uncommented)
    assert len(load_catalog(path).concepts) == 3
    assert "# concepts:" not in catalog.to_yaml()  # a catalog with concepts writes them instead


# ---- the offline translator ------------------------------------------------------------------------------

@pytest.mark.parametrize("request_, dsl, concept", [
    ("paid users from Canada", 'plan in ["pro", "team"] and country = "CA"', "paying"),
    ("trialists who opened the app this month", None, "trialists"),
    ("text subscribers in Italy", 'sms_consent = true and country = "IT"', "sms_subscribers"),
    ("email subscribers in Japan", 'email_consent = true and country = "JP"', "email_subscribers"),
    ("existing customers from Brazil", 'did order_completed and country = "BR"', "customers"),
    ("repeat purchasers in Spain", 'did order_completed at least 2 times and country = "ES"', "repeat_customers"),
    ("mobile app users in India", 'did app_opened and country = "IN"', "app_users"),
    ("everyone whose ltv is above 750", "total amount of order_completed > 750", "lifetime_value"),
    ("the bottom 5% by customer lifetime value", "bottom 5% by total amount of order_completed", "lifetime_value"),
])
def test_offline_reads_each_demo_concept_and_names_it(catalog, as_of, request_, dsl, concept):
    t = read(catalog, as_of, request_)
    assert any(f"read as the concept {concept}:" in a for a in t.assumptions), t.assumptions
    if dsl is not None:
        assert format_segment(t.condition) == dsl
        assert t.status == "complete"


def test_a_negated_concept(catalog, as_of):
    t = read(catalog, as_of, "contacts in France who are not paying users")
    assert format_segment(t.condition) == 'country = "FR" and plan not in ["pro", "team"]'


def test_bare_customers_stays_a_word_for_people(catalog, as_of):
    t = read(catalog, as_of, "customers in Australia")
    assert format_segment(t.condition) == 'country = "AU"' and t.status == "complete"


def test_concept_members_on_the_demo_store(catalog, as_of, demo_db):
    db = Database(demo_db)

    def members(node):
        return member_ids(db, compile_segment(node, catalog, "duckdb", as_of))

    everyone = members(parse("signup_at is set"))
    for request_, same_as in [("paid users", 'plan = "pro" or plan = "team"'),
                              ("text subscribers", "sms_consent = true"),
                              ("repeat purchasers", "did order_completed at least 2 times")]:
        got = members(read(catalog, as_of, request_).condition)
        assert got == members(parse(same_as)) and got and got != everyone


# ---- quantities in words ---------------------------------------------------------------------------------

@pytest.mark.parametrize("request_, dsl, note", [
    ("opened the app a couple of times", "did app_opened exactly 2 times", "'a couple' read as 2"),
    ("clicked an email more than a couple of times", "did email_clicked at least 3 times", "'a couple' read as 2"),
    ("viewed products a few times in the last 10 days", "did product_viewed exactly 3 times in last 10 days",
     "'a few' read as 3"),
    ("fewer than a few app opens", "did app_opened at most 2 times", "'a few' read as 3"),
    ("submitted at least a handful of forms", "did form_submitted at least 5 times", "'a handful' read as 5"),
    ("added to cart several times", "did cart_added at least 2 times", "'multiple' read as at least 2 times"),
])
def test_quantities_in_words(catalog, as_of, request_, dsl, note):
    t = read(catalog, as_of, request_)
    assert format_segment(t.condition) == dsl
    assert note in t.assumptions and t.status == "complete"


def test_few_without_an_article_is_no_number(catalog, as_of):
    for request_ in ("opened few emails", "opened quite a few emails"):
        t = read(catalog, as_of, request_)
        assert t.status == "partial", request_


def test_quantity_members(catalog, as_of, demo_db):
    db = Database(demo_db)
    got = read(catalog, as_of, "clicked an email more than a couple of times").condition
    assert member_ids(db, compile_segment(got, catalog, "duckdb", as_of)) == \
        member_ids(db, compile_segment(parse("did email_clicked at least 3 times"), catalog, "duckdb", as_of))


# ---- prompt and read-back --------------------------------------------------------------------------------

def test_prompt_lists_the_concepts(catalog, as_of):
    full = build_messages("paid users in Italy", catalog, as_of, version="v1")[0]["content"]
    assert 'plan in ["pro", "team"]' in full and "total amount of order_completed" in full  # every concept
    brief = build_messages("paid users in Italy", catalog, as_of, version="v2")[0]["content"]
    assert 'plan in ["pro", "team"]' in brief and "total amount of order_completed" not in brief  # the ones said
    quiet = build_messages("haven't opened an email in 90 days", catalog, as_of, version="v2")[0]["content"]
    assert "concepts:" not in quiet
    full = build_messages("paid users in Italy", catalog, as_of, version="v1")[0]["content"]
    assert "- paying (condition: plan in [\"pro\", \"team\"])" in full and "paid users" in full


def test_explain_names_concepts_only_when_given(catalog):
    node = parse('plan in ["pro", "team"] and country = "DE"')
    assert explain(node, catalog, catalog.concept_labels()) == \
        "People who are paying customers (plan is one of [pro, team]), and whose country is DE"
    assert explain(node, catalog) == "People whose plan is one of [pro, team], and whose country is DE"
    rank = parse("top 10% by total amount of order_completed")
    assert "by lifetime value (total amount" in explain(rank, catalog, catalog.concept_labels())


def test_a_subject_elided_before_a_concept(catalog, as_of):
    t = read(catalog, as_of, "email or text subscribers")
    assert format_segment(t.condition) == "email_consent = true or sms_consent = true" and t.status == "complete"
    # what follows the pair may be about both or the last only: asked, not guessed
    t = read(catalog, as_of, "email or text subscribers in Spain")
    assert t.status == "partial" and [p.text for p in t.open_points] == ["text subscribers"]
