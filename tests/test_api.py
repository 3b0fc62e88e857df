"""The HTTP API under /v1, served for real by uvicorn on loopback and called with httpx: the full pipeline,
builder JSON round trips, saved segments with diffs, and clear 4xx problems (never a 500) for bad input."""

import httpx
import pytest

from api.app import create_app
from assistant.data.preview import Database, member_ids
from grammar.compile import compile_segment
from grammar.parser import parse
from tests.live_server import live_server


@pytest.fixture(scope="module")
def api(demo_db, tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "segments.db"
    with live_server(create_app(db=demo_db, store=store), "API") as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client


def test_validate_returns_builder_json_that_round_trips(api):
    r = api.post("/v1/validate", json={"dsl": 'did order_completed where (amount > 50) at least 2 times and country in ["DE", "FR"]'})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True
    assert body["condition"]["kind"] == "and"
    again = api.post("/v1/validate", json={"condition": body["condition"]}).json()
    assert again["dsl"] == body["dsl"] == 'did order_completed where (amount > 50) at least 2 times and country in ["DE", "FR"]'


def test_validate_reports_positions_and_suggestions(api):
    body = api.post("/v1/validate", json={"dsl": 'did purchase in last 3 days and contry = "DE"'}).json()
    assert body["valid"] is False
    assert [(d["line"], d["column"], d["message"], d["suggestion"]) for d in body["diagnostics"]] == [
        (1, 5, "unknown event 'purchase'", "order_completed"),
        (1, 33, "unknown trait 'contry'", "country"),
    ]


def test_preview_counts_the_members(api, demo_db, catalog, as_of):
    dsl = "did order_completed at least 3 times"
    body = api.post("/v1/preview", json={"dsl": dsl, "as_of": "2026-11-01T00:00:00", "sample_size": 3}).json()
    want = member_ids(Database(demo_db), compile_segment(parse(dsl), catalog, "duckdb", as_of))
    assert body["count"] == len(want)
    assert body["total"] == 2000
    assert [row["contact_id"] for row in body["sample"]] == sorted(want)[:3]
    assert all("***" in row["email"] for row in body["sample"])  # PII masked by default
    assert {s["label"] for s in body["stats"]} >= {"orders per member", "revenue per member"}


def test_compile_every_dialect(api):
    for dialect in ["duckdb", "postgres", "snowflake", "bigquery", "clickhouse", "redshift", "spark", "trino", "mysql"]:
        r = api.post("/v1/compile", json={"dsl": "signup_at in last 7 days", "dialect": dialect, "as_of": "2026-11-01T00:00:00"})
        assert r.status_code == 200, r.text
        assert "2026-10-25 00:00:00" in r.json()["sql"]
    r = api.post("/v1/compile", json={"dsl": "signup_at in last 7 days", "dialect": "oracle"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_request"
    assert r.json()["diagnostics"][0]["field"] == "body.dialect" and "'duckdb'" in r.json()["diagnostics"][0]["message"]


def test_bad_input_is_a_clear_4xx(api):
    cases = [
        ({"dsl": "did order_completed at least"}, "invalid_segment"),
        ({}, "invalid_request"),
        ({"dsl": "plan = \"pro\"", "condition": {"kind": "segment", "name": "x"}}, "invalid_request"),
        ({"condition": {"kind": "teleport"}}, "invalid_request"),
        ({"condition": {"kind": "did", "event": {"name": "nope"}}}, "invalid_segment"),
    ]
    for body, code in cases:
        r = api.post("/v1/compile", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code
    r = api.post("/v1/compile", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_saved_segments_versions_and_membership_diff(api, demo_db, catalog, as_of):
    assert api.post("/v1/segments/buyers", json={"dsl": "did order_completed in last 30 days"}).status_code == 201
    r = api.post("/v1/segments/buyers", json={"dsl": "did order_completed in last 60 days", "note": "wider"})
    assert r.json()["version"] == 2
    diff = api.get("/v1/segments/buyers/diff", params={"old": 1, "new": 2, "as_of": "2026-11-01T00:00:00"}).json()
    assert diff["definition"][-2:] == ["-did order_completed in last 30 days", "+did order_completed in last 60 days"]
    db = Database(demo_db)
    m30 = member_ids(db, compile_segment(parse("did order_completed in last 30 days"), catalog, "duckdb", as_of))
    m60 = member_ids(db, compile_segment(parse("did order_completed in last 60 days"), catalog, "duckdb", as_of))
    assert set(diff["entered"]) == m60 - m30 and diff["entered"]
    assert diff["left"] == []
    # saved segments are referenceable, and cycles are refused
    assert api.post("/v1/validate", json={"dsl": 'in segment "buyers" and in segment "vips"'}).json()["valid"]
    assert api.post("/v1/segments/a", json={"dsl": 'in segment "buyers"'}).status_code == 201
    r = api.post("/v1/segments/buyers", json={"dsl": 'in segment "a"'})
    assert r.status_code == 422
    assert "cycle" in r.json()["diagnostics"][0]["message"]
    assert api.get("/v1/segments/nope").status_code == 404


def test_openapi_schema_names_the_builder_nodes(api):
    spec = api.get("/openapi.json").json()
    names = set(spec["components"]["schemas"])
    assert {"Did", "Sequence", "Rank", "Aggregate", "TraitCondition", "And", "Or", "Not"} <= names


def test_chat_refines_a_segment_turn_by_turn(api, demo_db, catalog, as_of):
    chat = api.post("/v1/chats", json={"as_of": "2026-11-01T00:00:00"}).json()
    first = api.post(f"/v1/chats/{chat['id']}/messages", json={"text": "bought in the last 90 days"}).json()
    assert first["version"] == 1 and first["dsl"] == "did order_completed in last 90 days"
    second = api.post(f"/v1/chats/{chat['id']}/messages", json={"text": "only those in Germany"}).json()
    assert second["version"] == 2
    assert second["dsl"] == 'did order_completed in last 90 days and country = "DE"'
    db = Database(demo_db)
    before = member_ids(db, compile_segment(parse(first["dsl"]), catalog, "duckdb", as_of))
    after = member_ids(db, compile_segment(parse(second["dsl"]), catalog, "duckdb", as_of))
    assert (second["entered"], second["left"]) == (0, len(before - after)) and second["left"] > 0
    undone = api.post(f"/v1/chats/{chat['id']}/messages", json={"text": "undo"}).json()
    assert undone["version"] == 1 and undone["dsl"] == first["dsl"]
    third = api.post(f"/v1/chats/{chat['id']}/messages", json={"text": "only those in France"}).json()
    assert third["version"] == 3  # a version number is never reused after an undo
    assert api.post("/v1/chats/nope/messages", json={"text": "x"}).status_code == 404


def test_model_failures_in_a_chat_are_a_clear_502(demo_db, monkeypatch, tmp_path):
    # a configured model that nobody serves: the real client gets a refused connection
    from tests.live_server import free_port

    monkeypatch.setenv("SEGMENT_MODEL", "m")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("SEGMENT_MAX_RETRIES", "0")
    with live_server(create_app(db=demo_db, store=tmp_path / "s.db"), "API") as url:
        chat = httpx.post(f"{url}/v1/chats").json()
        r = httpx.post(f"{url}/v1/chats/{chat['id']}/messages", json={"text": "bought shoes"}, timeout=60)
    assert r.status_code == 502
    assert r.json()["code"] == "model_error"
    assert r.json()["detail"].startswith("cannot reach the model at http://127.0.0.1:")
