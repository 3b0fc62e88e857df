"""Serve stage: the whole pipeline over HTTP under /v1, one router per resource. State (catalog, stores,
database, translator) is created once in the lifespan and handed to routes with `Depends`; every error is a
problem+json document; a guard layer adds request ids, the API key, the body limit and the access log."""

from __future__ import annotations

import gc
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import problems
from api.builder import routes as builder
from api.middleware import Guard, access_log
from api.routers import chats, draft, language, members, meta, preview, refresh, segments
from api.routers.meta import ASSETS
from api.settings import Settings
from api.state import AppState


def create_app(db: str | None = None, store: str | Path | None = None, catalog: str | Path | None = None,
               settings: Settings | None = None) -> FastAPI:
    """The API over one database (default: the demo store), one SQLite store and one catalog. Arguments
    win over `settings`, which default to the environment (api/settings.py)."""
    settings = settings or Settings.from_env()
    for field, value in (("db", db), ("store", store), ("catalog", catalog)):
        if value is not None:
            setattr(settings, field, value)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assistant = AppState(settings)
        if getattr(app.state, "serving", False):  # a server process (app_from_env)
            app.state.assistant.compiled.warm()
            gc.collect()
            gc.freeze()  # startup's objects live as long as the process: full collections skip them
        yield

    app = FastAPI(title="Segment assistant", version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  separate_input_output_schemas=False,  # one schema per AST node: "Did", not "Did-Output"
                  description="Plain English -> checked segment DSL -> SQL -> preview, and the builder JSON. "
                              "Errors are application/problem+json (RFC 9457).",
                  responses=problems.PROBLEM_RESPONSES)
    problems.install(app)
    # refresh before segments: `POST /v1/segments/{name}` would take `refresh` for a segment name
    for router in (builder.router, meta.router, language.router, preview.router, draft.router, refresh.router,
                   segments.router, members.router, chats.router):
        app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.add_middleware(Guard, settings=settings)
    if settings.cors_origins:  # outermost: preflight requests are answered before the key check
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID"])
    if not access_log.handlers:  # JSON lines on stderr unless the host application configured logging
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory api.app:app_from_env` (several workers read the same settings)."""
    app = create_app()
    app.state.serving = True
    return app
