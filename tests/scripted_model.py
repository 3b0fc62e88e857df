"""A scripted OpenAI-compatible model server for tests: a small FastAPI app on 127.0.0.1 (a free port, a
background thread) that answers /v1/chat/completions and /v1/responses from a queue of scripted steps
and records every request it receives. The real `openai` client talks to it over HTTP.

Steps (build them with the helpers below): a chat answer (`text`), a Responses custom tool call
(`tool_call`), a function call (`function_call`), an HTTP error (`error`), a delayed step (`slow`),
and a raw body that is not an API response at all (`raw`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.live_server import live_server

PROMPT_TOKENS = 100
COMPLETION_TOKENS = 10


def text(content: str) -> dict:
    """An assistant message (chat completions) or an output_text message (responses)."""
    return {"kind": "text", "content": content}


def tool_call(dsl: str, name: str = "segment_dsl", notes: str | None = None) -> dict:
    """A custom tool call (responses), optionally after an output_text message with the model's notes."""
    return {"kind": "tool_call", "name": name, "input": dsl, "notes": notes}


def function_call(name: str, **arguments: Any) -> dict:
    return {"kind": "function_call", "name": name, "arguments": json.dumps(arguments)}


def error(status: int, message: str = "scripted error", retry_after_ms: int | None = 10) -> dict:
    return {"kind": "error", "status": status, "message": message, "retry_after_ms": retry_after_ms}


def slow(seconds: float, step: dict) -> dict:
    return {"kind": "slow", "seconds": seconds, "step": step}


def raw(body: str, content_type: str = "text/html") -> dict:
    return {"kind": "raw", "body": body, "content_type": content_type}


class ScriptedModel:
    """The script (a queue of steps) and the record of requests (path and JSON body)."""

    def __init__(self) -> None:
        self.steps: deque[dict] = deque()
        self.requests: list[dict] = []
        self.base_url = ""
        self._ids = itertools.count(1)
        self.app = self._build_app()

    def push(self, *steps: dict) -> None:
        self.steps.extend(steps)

    def reset(self) -> None:
        self.steps.clear()
        self.requests.clear()

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            return await self._answer(request, self._chat_body)

        @app.post("/v1/responses")
        async def responses(request: Request) -> Response:
            return await self._answer(request, self._responses_body)

        return app

    async def _answer(self, request: Request, render) -> Response:
        body = await request.json()
        self.requests.append({"path": request.url.path, "body": body})
        if not self.steps:
            # 400, not 5xx: the client must not retry, and the test sees the script ran out.
            return JSONResponse({"error": {"message": "script exhausted", "type": "invalid_request_error"}},
                                status_code=400)
        step = self.steps.popleft()
        if step["kind"] == "slow":
            await asyncio.sleep(step["seconds"])
            step = step["step"]
        if step["kind"] == "error":
            headers = {"retry-after-ms": str(step["retry_after_ms"])} if step["retry_after_ms"] is not None else {}
            return JSONResponse({"error": {"message": step["message"], "type": "scripted"}},
                                status_code=step["status"], headers=headers)
        if step["kind"] == "raw":
            return Response(step["body"], media_type=step["content_type"])
        return JSONResponse(render(body, step))

    def _usage_chat(self) -> dict:
        return {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}

    def _chat_body(self, body: dict, step: dict) -> dict:
        if step["kind"] != "text":
            raise ValueError(f"a chat completion cannot answer with a {step['kind']} step")
        return {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "scripted"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": step["content"]}}],
                "usage": self._usage_chat()}

    def _responses_body(self, body: dict, step: dict) -> dict:
        n = next(self._ids)
        if step["kind"] == "text":
            item = {"type": "message", "id": f"msg_{n}", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": step["content"], "annotations": []}]}
        elif step["kind"] == "tool_call":
            item = {"type": "custom_tool_call", "id": f"ctc_{n}", "call_id": f"call_{n}", "name": step["name"],
                    "input": step["input"], "status": "completed"}
        else:
            item = {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}", "name": step["name"],
                    "arguments": step["arguments"], "status": "completed"}
        output = [item]
        if step.get("notes"):
            output.insert(0, {"type": "message", "id": f"msg_{n}", "role": "assistant", "status": "completed",
                              "content": [{"type": "output_text", "text": step["notes"], "annotations": []}]})
        return {"id": f"resp_{n}", "object": "response", "created_at": int(time.time()), "status": "completed",
                "model": body.get("model", "scripted"), "output": output, "parallel_tool_calls": False,
                "tool_choice": body.get("tool_choice", "auto"), "tools": [], "error": None,
                "incomplete_details": None, "instructions": None, "metadata": {},
                "usage": {"input_tokens": PROMPT_TOKENS, "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens": COMPLETION_TOKENS, "output_tokens_details": {"reasoning_tokens": 0},
                          "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS}}


@contextmanager
def serving(model: ScriptedModel):
    """Serve the scripted model for real (uvicorn on a free loopback port) while the block runs."""
    with live_server(model.app, "scripted model server") as url:
        model.base_url = f"{url}/v1"
        yield model


@pytest.fixture(scope="module")
def _scripted_server():
    with serving(ScriptedModel()) as model:
        yield model


@pytest.fixture
def scripted_model(_scripted_server: ScriptedModel) -> ScriptedModel:
    """The module's scripted server with an empty script and record."""
    _scripted_server.reset()
    yield _scripted_server
    _scripted_server.reset()
