"""The builder's server side, over real HTTP: the page and its files at `/` (no key needed, a strict content
policy), and POST /v1/builder/check, which places every diagnostic on its node of the builder JSON."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.builder.routes import json_path
from api.settings import Settings
from assistant.data import demo_store
from assistant.data.local_postgres import free_port
from grammar import ast as A
from grammar.parser import parse
from tests.live_server import live_server


@pytest.fixture(scope="module")
def api(demo_db, tmp_path_factory):
    app = create_app(db=demo_db, store=tmp_path_factory.mktemp("builder-api") / "segments.db")
    with live_server(app, "API") as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def check(api, **body) -> dict:
    r = api.post("/v1/builder/check", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_page_and_its_files_are_served_from_the_package(api):
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/builder/app.js">' in page.text
    assert 'href="/static/builder/builder.css"' in page.text
    assert 'from "./tree.js"' in api.get("/static/builder/app.js").text
    for name, media in (("app.js", "text/javascript"), ("tree.js", "text/javascript"), ("builder.css", "text/css")):
        r = api.get(f"/static/builder/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert "http://" not in page.text and "https://" not in page.text
    missing = api.get("/static/builder/secret.py")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api.get("/docs").status_code == 200


def test_schema_errors_are_placed_on_their_node(api):
    tree = {"kind": "and", "conditions": [
        {"kind": "did", "event": {"name": "order_completed"}, "count": {"op": "between", "n": 2}},
        {"kind": "trait", "trait": "country", "op": "in", "value": "DE"}]}
    out = check(api, condition=tree)
    assert out["valid"] is False and out["dsl"] is None
    assert [(d["path"], d["message"]) for d in out["diagnostics"]] == [
        (["conditions", 0, "count"], "only 'between' takes a second number"),
        (["conditions", 1], "'in' takes a non-empty list of values")]


def test_catalog_errors_are_placed_on_their_node_and_in_the_canonical_text(api):
    tree = {"kind": "and", "conditions": [
        {"kind": "trait", "trait": "country", "op": "=", "value": "DE"},
        {"kind": "did", "event": {"name": "order_completed", "where": {
            "kind": "filter_or", "conditions": [
                {"kind": "property", "property": "amount", "op": ">", "value": 50},
                {"kind": "property", "property": "colour", "op": "=", "value": "red"}]}}}]}
    out = check(api, condition=tree)
    assert out["valid"] is False and out["explanation"] is None
    assert out["dsl"] == 'country = "DE" and did order_completed where (amount > 50 or colour = "red")'
    assert A.condition_from_json(out["condition"]) == A.condition_from_json(tree)
    [d] = out["diagnostics"]
    assert d["path"] == ["conditions", 1, "event", "where", "conditions", 1]
    assert out["dsl"][d["column"] - 1:d["span"]["end_column"] - 1] == 'colour = "red"'


def test_dsl_is_checked_with_positions_in_the_text_sent(api):
    out = check(api, dsl='plan = "trial"\n  and did purchase in last 3 days')
    assert out["valid"] is False and out["dsl"] == 'plan = "trial" and did purchase in last 3 days'
    [d] = out["diagnostics"]
    assert (d["line"], d["column"], d["suggestion"], d["path"]) == (2, 11, "order_completed", ["conditions", 1, "event"])
    broken = check(api, dsl="did order_completed where (amount > 5")
    assert broken["valid"] is False and broken["dsl"] is None and broken["condition"] is None
    assert broken["diagnostics"][0]["code"] == "syntax" and broken["diagnostics"][0]["path"] == []
    fine = check(api, dsl="did order_completed at least 2 times in last 30 days")
    assert fine["valid"] and fine["diagnostics"] == []
    assert fine["explanation"] == "People who completed an order at least 2 times in the last 30 days"
    assert A.condition_from_json(fine["condition"]) == parse("did order_completed at least 2 times in last 30 days")


def test_a_reference_to_the_segment_being_edited_is_a_cycle(api):
    assert api.post("/v1/segments/germans", json={"dsl": 'country = "DE"'}).status_code == 201
    assert check(api, dsl='in segment "germans"')["valid"]
    out = check(api, dsl='in segment "germans" and plan = "pro"', name="germans")
    assert out["valid"] is False
    assert [(d["code"], d["path"]) for d in out["diagnostics"]] == [("cycle", ["conditions", 0])]


def test_exactly_one_input(api):
    r = api.post("/v1/builder/check", json={"dsl": "did x", "condition": {"kind": "segment", "name": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"


def test_json_path_skips_union_tags():
    data = {"kind": "trait", "trait": "country", "op": "in", "value": ["DE"]}
    assert json_path(data, ("trait", "trait")) == ["trait"]
    assert json_path(data, ("trait",)) == []
    assert json_path({"kind": "not", "condition": data}, ("not", "condition", "trait", "value", "list[...]", 0)) == \
        ["condition", "value", 0]
    assert json_path({"kind": "and", "conditions": [data]}, ("and", "conditions", 3, "trait")) == ["conditions"]


def test_the_page_needs_no_key_but_the_check_does(demo_db, tmp_path):
    settings = Settings(api_key="s3cret")
    with live_server(create_app(db=demo_db, store=tmp_path / "k.db", settings=settings), "API") as url:
        assert httpx.get(f"{url}/").status_code == 200
        assert httpx.get(f"{url}/static/builder/app.js").status_code == 200
        assert httpx.post(f"{url}/v1/builder/check", json={"dsl": "did order_completed"}).status_code == 401
        assert httpx.post(f"{url}/v1/builder/check", json={"dsl": "did order_completed"},
                          headers={"X-API-Key": "s3cret"}).json()["valid"]


def test_serve_starts_the_builder_on_the_embedded_default(tmp_path):
    """`segment-assistant serve` with no --db serves the page and the API on the default demo store (here a
    small one under the default name in the cache, as the README tour's test does), at the store's as-of."""
    cache = tmp_path / "cache"
    cache.mkdir()
    demo_store.write_demo_store(cache / demo_store.default_db_path().name, contacts=2000, seed=7)
    port = free_port()
    env = {**os.environ, "SEGMENT_CACHE": str(cache), "SEGMENT_STORE": str(tmp_path / "s.db"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(["segment-assistant", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        assert "Segment builder" in httpx.get(f"{url}/").text
        out = httpx.post(f"{url}/v1/preview", json={"dsl": "did order_completed at least 3 times in last 90 days"},
                         timeout=60).json()
        assert (out["total"], out["as_of"]) == (2000, "2026-11-01 00:00:00")
    finally:
        proc.terminate()
        printed = proc.communicate(timeout=30)[0]
    assert f"serving the builder on http://127.0.0.1:{port}/" in printed
