"""One pure-ASGI layer in front of every route: a request id (kept from `X-Request-ID` when sane, echoed on
the response), the API key, a bound on requests in flight (503 + Retry-After past it), the body-size limit
(413 from Content-Length before reading anything, and from counted bytes for streamed bodies) and one JSON
access-log line per request."""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem
from api.settings import Settings

access_log = logging.getLogger("segment_assistant.access")
OPEN_PATHS = frozenset({"/", "/health", "/v1/health"})  # no key needed: probes and the static page
OPEN_PREFIXES = ("/static/",)                           # public files (the Swagger UI assets)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Guard:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app, self.settings = app, settings
        self.inflight = 0  # requests this worker holds now (one event loop: no lock needed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started, status = time.perf_counter(), [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                out = MutableHeaders(scope=message)
                if "x-request-id" not in out:
                    out["X-Request-ID"] = rid
            await send(message)

        self.inflight += 1
        try:
            refusal = self._refusal(scope, headers, rid)
            if refusal is not None:
                await refusal(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            self.inflight -= 1
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(json.dumps({
                    "request_id": rid, "method": scope["method"], "path": scope["path"], "status": status[0],
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2)}))

    def _refusal(self, scope: Scope, headers: Headers, rid: str):
        path = scope["path"]
        key = self.settings.api_key
        if key and path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES) and scope["method"] != "OPTIONS":
            auth = headers.get("authorization", "")
            given = headers.get("x-api-key") or (auth[7:] if auth.lower().startswith("bearer ") else "")
            if not hmac.compare_digest(given.encode(), key.encode()):
                return problem(401, "unauthorized", "give the API key in X-API-Key or Authorization: Bearer",
                               None, rid, {"WWW-Authenticate": "Bearer"})
        if self.inflight > self.settings.max_inflight and path not in OPEN_PATHS:
            # overloaded: say so at once (clients and balancers retry) rather than queue without bound
            return problem(503, "overloaded", "the server is at capacity; retry shortly", None, rid,
                           {"Retry-After": "1"})
        length = headers.get("content-length")
        if length is not None and not length.isdigit():
            return problem(400, "bad_request", "Content-Length is not a number", None, rid, {"Connection": "close"})
        if length is not None and int(length) > self.settings.max_body:
            return problem(413, "too_large", f"the request body is over the limit of {self.settings.max_body} bytes",
                           None, rid, {"Connection": "close"})
        return None

    def _limited(self, receive: Receive) -> Receive:
        seen, limit = [0], self.settings.max_body

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:  # a streamed body without Content-Length: stop at the limit
                    raise HTTPException(413, f"the request body is over the limit of {limit} bytes")
            return message

        return counted
