"""The language itself: validate, format, explain, compile, and the schema and catalog a UI codes against."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.checking import checked, parsed
from api.models import Checked, Compiled, CompileRequest, Explained, Formatted, SegmentInput
from api.problems import ApiError, ProblemDiagnostic
from api.state import State
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.explain import explain
from grammar.format import format_segment

router = APIRouter(prefix="/v1", tags=["language"])
# The language routes are CPU-bound and short (validate well under a millisecond, compile 1-3 ms of sqlglot,
# less when remembered): they run on the event loop, one after another. In the thread pool each request
# also paid for the hop, and 40 threads fought the loop for the GIL (switches every 5 ms), which made
# latency under load both longer and uneven.


@router.post("/validate", response_model=Checked)
async def validate(body: SegmentInput, state: State) -> Checked:
    """Parse and check a segment: a 200 either way, with `valid` and positioned diagnostics."""
    try:
        node, diagnostics = checked(body, state)
    except ApiError as err:
        return Checked(valid=False, dsl=body.dsl, diagnostics=err.diagnostics)
    return Checked(valid=True, dsl=format_segment(node), condition=node, explanation=explain(node, state.catalog, state.concept_labels),
                   diagnostics=[ProblemDiagnostic.of(d) for d in diagnostics])


@router.post("/format", response_model=Formatted)
async def format_(body: SegmentInput) -> Formatted:
    """The canonical DSL and the builder JSON of a segment (parsed, not checked)."""
    node = parsed(body)
    return Formatted(dsl=format_segment(node), condition=node)


@router.post("/explain", response_model=Explained)
async def explain_(body: SegmentInput, state: State) -> Explained:
    node, _ = checked(body, state)
    return Explained(dsl=format_segment(node), explanation=explain(node, state.catalog, state.concept_labels))


@router.post("/compile", response_model=Compiled)
async def compile_(body: CompileRequest, state: State, response: Response) -> Compiled:
    """SQL in a dialect. Compiled results are remembered (api/compiled.py): `X-Cache: hit` says this one was."""
    revision, segments = state.segments.conditions_at()
    node, _ = checked(body, state, segments)
    when = state.as_of(body.as_of)
    sql, hit = state.compiled.sql(format_segment(node), node, body.dialect, when, revision, segments)
    response.headers["X-Cache"] = "hit" if hit else "miss"
    return Compiled(sql=sql, dialect=body.dialect, as_of=when.isoformat(sep=" "))


@router.get("/schema", response_model=dict[str, Any])
async def schema() -> dict[str, Any]:
    """The JSON Schema of the builder payload (one condition tree)."""
    return A.json_schema()


@router.get("/catalog", response_model=Catalog, response_model_by_alias=True)
async def catalog(state: State) -> Catalog:
    return state.catalog
