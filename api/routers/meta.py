"""Health probes and the API docs, served from a pinned package (swagger-ui-bundle, Apache-2.0) so /docs
works with no internet (FastAPI's self-hosting recipe: docs_url=None + get_swagger_ui_html)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.models import Health

router = APIRouter(tags=["meta"])
ASSETS = "/static/swagger"


@router.get("/health", response_model=Health)
@router.get("/v1/health", response_model=Health)
async def health() -> Health:
    """Liveness: answers from the event loop, so it stays fast while slow work runs in the thread pool."""
    return Health()


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title=f"{request.app.title} - docs",
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
