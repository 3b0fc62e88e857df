"""The builder page and its assets, and `POST /v1/builder/check`: the live check behind every edit.

/v1/validate answers with line/column in DSL text; a tree editor also needs to know *which node* is wrong.
So this route checks a tree (or DSL) and gives each diagnostic the JSON path of its node in the builder JSON:
pydantic's error location for a tree that does not fit the schema, and for checked trees the deepest node
whose source span holds the error (the tree is formatted and parsed back, which is the identity on meaning,
to get spans). It also returns the canonical DSL and the tree even when the check fails, so the page keeps
the text and the tree in step while the person is still fixing things."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError, model_validator

from api.problems import ApiError, ProblemDiagnostic
from api.state import State
from grammar import ast as A
from grammar.check import check
from grammar.errors import Diagnostic, SegmentError
from grammar.explain import explain
from grammar.format import format_segment
from grammar.parser import parse

router = APIRouter(tags=["builder"])
ASSETS = "/static/builder"  # under /static/: public like the docs' assets (no API key needed for files)
_FILES = {"builder.css": "text/css", "tree.js": "text/javascript", "app.js": "text/javascript"}
# The page may talk to its own server only: no CDN, no inline script, nothing from elsewhere.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
Path = list[str | int]


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


@router.get("/", include_in_schema=False)
async def page() -> HTMLResponse:
    return HTMLResponse(_asset("index.html"), headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"})


@router.get(ASSETS + "/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    if name not in _FILES:
        raise ApiError(404, "not_found", f"no builder file {name!r}")
    return Response(_asset(name), media_type=_FILES[name], headers={"Cache-Control": "no-cache"})


class CheckRequest(BaseModel):
    """A segment as DSL text or as a builder tree not yet known to fit the schema (exactly one); `name`, the
    segment being edited, so a reference back to itself is a cycle."""

    dsl: str | None = Field(None, max_length=100_000)
    condition: dict[str, Any] | None = None
    name: str | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _one(self) -> "CheckRequest":
        if (self.dsl is None) == (self.condition is None):
            raise ValueError("give exactly one of 'dsl' or 'condition'")
        return self


class TreeDiagnostic(ProblemDiagnostic):
    path: Path | None = None  # where in the builder JSON: keys and list indexes from the root


class TreeChecked(BaseModel):
    valid: bool                          # parses, fits the schema and checks against the catalog
    dsl: str | None = None               # canonical DSL, whenever the segment parses or fits the schema
    condition: A.Condition | None = None
    explanation: str | None = None
    diagnostics: list[TreeDiagnostic] = []


@router.post("/v1/builder/check", response_model=TreeChecked)
async def check_tree(body: CheckRequest, state: State) -> TreeChecked:
    """Check a builder tree (or DSL) with every diagnostic placed on its node (`path`) and in the DSL
    (`line`, `column`: in the text sent, or in the canonical DSL returned for a tree). A 200 either way."""
    if body.condition is not None:
        try:
            node = A.condition_from_json(body.condition)
        except ValidationError as err:
            return TreeChecked(valid=False, diagnostics=[
                TreeDiagnostic(code=e["type"], message=_message(e), path=json_path(body.condition, e["loc"]))
                for e in err.errors()])
        dsl = format_segment(node)
        try:
            located = parse(dsl)  # the same tree with spans in `dsl`
        except SegmentError:  # format and parse disagree (a bug there): check the tree without positions
            located = node
    else:
        try:
            located = parse(body.dsl)
        except SegmentError as err:
            return TreeChecked(valid=False, diagnostics=[_placed(d, []) for d in err.diagnostics])
        node, dsl = located, format_segment(located)
    found = check(located, state.catalog, state.segments.conditions(), body.name)
    spans = list(_spans(located, []))
    errors = any(d.severity == "error" for d in found)
    return TreeChecked(valid=not errors, dsl=dsl, condition=node, diagnostics=[_placed(d, spans) for d in found],
                       explanation=None if errors else explain(node, state.catalog, state.catalog.concept_labels()))


def _message(error: dict) -> str:
    return error["msg"].removeprefix("Value error, ")


def json_path(data: Any, loc: tuple) -> Path:
    """Pydantic's error location as a path in the JSON: union tags in `loc` (the node `kind`, `int`,
    `list[...]`) are not in the data and are skipped; the path stops at the deepest part that exists."""
    path: Path = []
    here, tagged = data, False
    for part in loc:
        if isinstance(here, dict) and not tagged and part == here.get("kind"):
            tagged = True  # the discriminator: the same object, seen as that kind
        elif isinstance(here, dict) and isinstance(part, str) and part in here:
            here, tagged = here[part], False
            path.append(part)
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            here, tagged = here[part], False
            path.append(part)
    return path


def _spans(node: Any, path: Path):
    """(span, path) of every node of a parsed tree that has a source position, parents first."""
    if isinstance(node, A.Node):
        if node.span is not None:
            yield node.span, path
        for name in type(node).model_fields:
            if name != "span":
                yield from _spans(getattr(node, name), path + [name])
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _spans(item, path + [i])


def _placed(d: Diagnostic, spans: list) -> TreeDiagnostic:
    """The diagnostic on the deepest node whose span holds it."""
    out = TreeDiagnostic(**ProblemDiagnostic.of(d).model_dump())
    if d.line is None or d.column is None:
        return out
    start = (d.line, d.column)
    end = (d.end_line or d.line, d.end_column or d.column)
    holding = [p for s, p in spans if (s.line, s.column) <= start and end <= (s.end_line, s.end_column)]
    out.path = max(holding, key=len) if holding else []
    return out
