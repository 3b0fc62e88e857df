"""The whole job in one call: plain English -> translated, checked, explained, compiled and previewed segment.
Used alike by the CLI (`draft`), the API and the eval runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from assistant.data.preview import Database, Preview, PreviewError, preview
from assistant.translate.accounting import confirm, referenced
from assistant.translate.contract import OpenPoint, Status, Translation, Translator, status_of
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.check import validate
from grammar.compile import compile_segment
from grammar.errors import Diagnostic, SegmentError
from grammar.explain import explain
from grammar.format import format_condition, format_segment
from grammar.parser import parse


class ErrorInfo(BaseModel):
    code: str
    message: str
    diagnostics: list[Diagnostic] = []


class DraftResult(BaseModel):
    request: str
    status: Status = "question"  # complete | partial | question | refused: how much of the request was understood
    open_points: list[OpenPoint] = []  # words that change the meaning but were not placed (with spans)
    dsl: str | None = None
    condition: dict[str, Any] | None = None  # the builder JSON
    explanation: str | None = None
    sql: str | None = None
    dialect: str = "duckdb"
    as_of: str
    count: int | None = None
    total: int | None = None
    share: float | None = None
    sample: list[dict[str, Any]] = []
    stats: list[dict[str, Any]] = []
    warnings: list[str] = []
    assumptions: list[str] = []
    question: str | None = None
    refusal: str | None = None
    tries: int = 1
    provider: str = "offline"
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: ErrorInfo | None = None


def build_result(request: str, translation: Translation | None, *, catalog: Catalog, as_of: datetime,
                 dialect: str, db: Database | None, segments: dict[str, A.Condition], dsl: str | None = None,
                 sample_size: int = 10, show_pii: bool = False) -> DraftResult:
    """Check, explain, compile and preview a DSL text (from a translation, or given directly)."""
    result = DraftResult(request=request, dialect=dialect, as_of=as_of.isoformat(sep=" "))
    if translation is not None:
        result = result.model_copy(update=dict(
            warnings=list(translation.warnings), assumptions=list(translation.assumptions),
            question=translation.question, refusal=translation.refusal, tries=translation.tries,
            open_points=list(translation.open_points),
            provider=translation.provider, model=translation.model,
            prompt_tokens=translation.usage.prompt_tokens, completion_tokens=translation.usage.completion_tokens))
        dsl = translation.dsl
    result.status = status_of(dsl=dsl, refusal=result.refusal, question=result.question,
                              open_points=result.open_points)
    if dsl is None:
        return result
    try:
        node, diagnostics = validate(dsl, catalog, segments)
    except SegmentError as err:
        result.dsl = dsl
        result.error = ErrorInfo(code="invalid_segment", message=str(err), diagnostics=err.diagnostics)
        result.status = "question"  # nothing usable came back
        return result
    result.dsl = format_segment(node)
    result.condition = A.condition_to_json(node)
    result.explanation = explain(node, catalog)
    result.warnings += [d.render() for d in diagnostics]
    result.sql = compile_segment(node, catalog, dialect, as_of, segments)
    if db is not None:
        try:
            shown: Preview = preview(db, node, catalog, as_of, segments, sample_size=sample_size, show_pii=show_pii)
        except PreviewError as err:
            result.error = ErrorInfo(code="preview_failed", message=str(err))
            return result
        result.count, result.total, result.share = shown.count, shown.total, shown.share
        result.sample = shown.sample
        result.stats = [s.model_dump() for s in shown.stats]
    return result


def draft(request: str, *, translator: Translator, catalog: Catalog, as_of: datetime, dialect: str = "duckdb",
          db: Database | None = None, current: str | None = None, segments: dict[str, A.Condition] | None = None,
          sample_size: int = 10, show_pii: bool = False) -> DraftResult:
    from assistant.translate.model import ModelError

    segments = segments or {}
    try:
        translation = translator.translate(request, catalog=catalog, as_of=as_of, current=current,
                                           segments={k: format_condition(v) for k, v in segments.items()})
    except ModelError as err:  # the endpoint failed for good (after its retries): say so, never a traceback
        return DraftResult(request=request, dialect=dialect, as_of=as_of.isoformat(sep=" "),
                           error=ErrorInfo(code="model_error", message=str(err)))
    node = parse(translation.dsl) if translation.dsl else None
    base = parse(current) if current else None
    translation = confirm(request, translation, node, [*([base] if base else []), *referenced(node, segments)])
    return build_result(request, translation, catalog=catalog, as_of=as_of, dialect=dialect, db=db,
                        segments=segments, sample_size=sample_size, show_pii=show_pii)
