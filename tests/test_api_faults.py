"""A model endpoint that misbehaves (a 200 with a non-JSON body, truncated JSON, an empty choice list, a tool
call with the wrong name) gives a clear `model_error` problem (502) from /v1/draft and the chat, never an
`internal` 500. The scripted OpenAI-compatible server answers over real HTTP; the API's translator points at it."""

from __future__ import annotations

import json

import httpx
import pytest

from api.app import create_app
from tests.live_server import live_server
from tests.scripted_model import _scripted_server, raw, scripted_model, tool_call  # noqa: F401 (fixtures)

FAULTS = {
    "non-json body": ("text", raw("<html><body>502 Bad Gateway</body></html>")),
    "truncated json": ("text", raw('{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "mess',
                                   "application/json")),
    "empty choice list": ("text", raw(json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                                                  "model": "m", "choices": []}), "application/json")),
    "wrong tool name": ("grammar", tool_call("DROP TABLE contacts", name="run_sql")),
}


@pytest.fixture
def api_for(scripted_model, demo_db, tmp_path, monkeypatch):
    def serve(mode: str):
        monkeypatch.setenv("SEGMENT_MODEL", "scripted")
        monkeypatch.setenv("OPENAI_BASE_URL", scripted_model.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        monkeypatch.setenv("SEGMENT_MODE", mode)
        monkeypatch.setenv("SEGMENT_MAX_TRIES", "2")
        monkeypatch.setenv("SEGMENT_MAX_RETRIES", "0")
        return live_server(create_app(db=demo_db, store=tmp_path / f"{mode}.db"), "API")

    return serve


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_broken_model_reply_is_a_502_model_error(fault, api_for, scripted_model):
    mode, step = FAULTS[fault]
    with api_for(mode) as url:
        scripted_model.push(step, step)
        r = httpx.post(f"{url}/v1/draft", json={"request": "bought shoes", "preview": False}, timeout=60)
        assert r.status_code == 502, r.text
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["code"] == "model_error" and body["status"] == 502 and body["detail"]
        scripted_model.reset()
        scripted_model.push(step, step)
        chat = httpx.post(f"{url}/v1/chats", json={}).json()
        r = httpx.post(f"{url}/v1/chats/{chat['id']}/messages", json={"text": "bought shoes"}, timeout=60)
        assert (r.status_code, r.json()["code"]) == (502, "model_error"), r.text
        read_back = httpx.get(f"{url}/v1/chats/{chat['id']}").json()
        assert read_back["turns"] == [] and read_back["version"] == 0  # a failed turn leaves no trace
    assert 1 <= len(scripted_model.requests) <= 2  # the chat's turn asked the model (a repair try at most)


def test_a_good_model_reply_after_a_broken_one_is_repaired(api_for, scripted_model):
    with api_for("grammar") as url:
        scripted_model.push(raw("not json"), tool_call("did order_completed where (product_category = \"shoes\")"))
        r = httpx.post(f"{url}/v1/draft", json={"request": "bought shoes", "preview": False}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dsl"] == 'did order_completed where (product_category = "shoes")' and body["tries"] == 2
    assert body["status"] in ("complete", "partial") and "open_points" in body
