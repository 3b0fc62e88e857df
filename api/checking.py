"""A segment from a request body (DSL text or builder tree), parsed once and checked against the catalog
and the saved segments; errors become a 422 problem with positioned diagnostics."""

from __future__ import annotations

from api.models import SegmentInput
from api.problems import ApiError
from api.state import AppState
from grammar import ast as A
from grammar.check import check
from grammar.errors import Diagnostic, SegmentError
from grammar.parser import parse


def parsed(body: SegmentInput) -> A.Condition:
    try:
        return parse(body.dsl) if body.dsl is not None else body.condition
    except SegmentError as err:
        raise ApiError(422, "invalid_segment", "the segment does not parse", err.diagnostics) from None


def checked(body: SegmentInput, state: AppState,
            segments: dict[str, A.Condition] | None = None) -> tuple[A.Condition, list[Diagnostic]]:
    node = parsed(body)
    diagnostics = check(node, state.catalog, state.segments.conditions() if segments is None else segments)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise ApiError(422, "invalid_segment", "the segment is not valid", errors)
    return node, diagnostics
