"""The language itself: validate, format, explain, compile, and the schema and catalog a UI codes against."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.checking import checked, parsed
from api.models import Checked, Compiled, CompileRequest, Explained, Formatted, SegmentInput
from api.problems import ApiError, ProblemDiagnostic
from api.state import State
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile import compile_segment
from grammar.explain import explain
from grammar.format import format_segment

router = APIRouter(prefix="/v1", tags=["language"])
# validate / format / explain take well under a millisecond of CPU: they run on the event loop, where they
# cost less than a hop to the thread pool (and the pool's threads do not fight the loop for the GIL);
# compile (sqlglot, milliseconds) stays in the pool.


@router.post("/validate", response_model=Checked)
async def validate(body: SegmentInput, state: State) -> Checked:
    """Parse and check a segment: a 200 either way, with `valid` and positioned diagnostics."""
    try:
        node, diagnostics = checked(body, state)
    except ApiError as err:
        return Checked(valid=False, dsl=body.dsl, diagnostics=err.diagnostics)
    return Checked(valid=True, dsl=format_segment(node), condition=node, explanation=explain(node, state.catalog, state.catalog.concept_labels()),
                   diagnostics=[ProblemDiagnostic.of(d) for d in diagnostics])


@router.post("/format", response_model=Formatted)
async def format_(body: SegmentInput) -> Formatted:
    """The canonical DSL and the builder JSON of a segment (parsed, not checked)."""
    node = parsed(body)
    return Formatted(dsl=format_segment(node), condition=node)


@router.post("/explain", response_model=Explained)
async def explain_(body: SegmentInput, state: State) -> Explained:
    node, _ = checked(body, state)
    return Explained(dsl=format_segment(node), explanation=explain(node, state.catalog, state.catalog.concept_labels()))


@router.post("/compile", response_model=Compiled)
def compile_(body: CompileRequest, state: State) -> Compiled:
    segments = state.segments.conditions()
    node, _ = checked(body, state, segments)
    when = state.as_of(body.as_of)
    return Compiled(sql=compile_segment(node, state.catalog, body.dialect, when, segments), dialect=body.dialect,
                    as_of=when.isoformat(sep=" "))


@router.get("/schema", response_model=dict[str, Any])
async def schema() -> dict[str, Any]:
    """The JSON Schema of the builder payload (one condition tree)."""
    return A.json_schema()


@router.get("/catalog", response_model=Catalog, response_model_by_alias=True)
async def catalog(state: State) -> Catalog:
    return state.catalog
