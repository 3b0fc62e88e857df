"""The whole job in one call: plain English -> translated, checked, explained, compiled and previewed segment.
Used alike by the CLI (`draft`), the API and the eval runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from assistant.data.preview import Database, Preview, PreviewError, preview
from assistant.translate.accounting import confirm
from assistant.translate.contract import OpenPoint, Status, Translation, Translator, status_of
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.check import check
from grammar.compile import compile_expression, same_plan, to_sql, window_bounds
from grammar.errors import ErrorInfo, SegmentError
from grammar.explain import explain
from grammar.format import format_segment, window_text


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
                 dialect: str, db: Database | None, segments: dict[str, A.Condition],
                 condition: A.Condition | None = None, sample_size: int = 10, show_pii: bool = False) -> DraftResult:
    """Check, explain, compile and preview a segment (from a translation, or given directly as `condition`):
    no DSL text is parsed here, and the segment is compiled once."""
    result = DraftResult(request=request, dialect=dialect, as_of=as_of.isoformat(sep=" "))
    if translation is not None:
        result = result.model_copy(update=dict(
            warnings=list(translation.warnings), assumptions=list(translation.assumptions),
            question=translation.question, refusal=translation.refusal, tries=translation.tries,
            open_points=list(translation.open_points),
            provider=translation.provider, model=translation.model,
            prompt_tokens=translation.usage.prompt_tokens, completion_tokens=translation.usage.completion_tokens))
        condition = translation.condition
    result.status = status_of(segment=condition, refusal=result.refusal, question=result.question,
                              open_points=result.open_points)
    if condition is None:
        return result
    diagnostics = check(condition, catalog, segments, as_of=as_of)
    errors = [d for d in diagnostics if d.severity == "error"]
    result.dsl = format_segment(condition)
    if errors:
        result.error = ErrorInfo(code="invalid_segment", message=str(SegmentError(errors)), diagnostics=errors)
        result.status = "question"  # nothing usable came back
        return result
    result.condition = A.condition_to_json(condition)
    result.explanation = explain(condition, catalog, catalog.concept_labels(), as_of=as_of)  # concepts, dates
    result.warnings += [d.render() for d in diagnostics]
    expression = compile_expression(condition, catalog, as_of, segments, dialect=dialect)
    result.sql = to_sql(expression, dialect)
    if db is not None and not same_plan(dialect, db.dialect):
        expression = None  # the preview's engine needs another plan: it compiles its own
    if db is not None:
        try:
            shown: Preview = preview(db, condition, catalog, as_of, segments, sample_size=sample_size,
                                     show_pii=show_pii, expression=expression)
        except PreviewError as err:
            result.error = ErrorInfo(code="preview_failed", message=str(err))
            return result
        result.count, result.total, result.share = shown.count, shown.total, shown.share
        result.sample = shown.sample
        result.stats = [s.model_dump() for s in shown.stats]
        result.warnings += empty_windows(condition, as_of, shown.latest_event)
    return result


def empty_windows(node: A.Condition, as_of: datetime, latest: datetime | None) -> list[str]:
    """A warning for each event window that starts after the newest event in the database: at this as-of it
    selects nothing (a demo store's data ends at its own as-of; the clock may be past it)."""
    if latest is None:
        return []
    out = []
    for n in A.walk(node):
        window = getattr(n, "window", None) if getattr(n, "event", None) is not None else None
        if window is None:
            continue
        low, _, _, _ = window_bounds(window, as_of)
        text = f"no events after {latest:%Y-%m-%d %H:%M} in this database: '{window_text(window)}' selects none " \
               f"at as-of {as_of:%Y-%m-%d %H:%M}"
        if low is not None and low > latest and text not in out:
            out.append(text)
    return out


def draft(request: str, *, translator: Translator, catalog: Catalog, as_of: datetime, dialect: str = "duckdb",
          db: Database | None = None, current: A.Condition | None = None,
          segments: dict[str, A.Condition] | None = None, sample_size: int = 10, show_pii: bool = False) -> DraftResult:
    from assistant.translate.model import ModelError

    segments = segments or {}
    try:
        translation = translator.translate(request, catalog=catalog, as_of=as_of, current=current, segments=segments)
    except ModelError as err:  # the endpoint failed for good (after its retries): say so, never a traceback
        return DraftResult(request=request, dialect=dialect, as_of=as_of.isoformat(sep=" "),
                           error=ErrorInfo(code="model_error", message=str(err)))
    translation = confirm(request, translation, current, segments)
    return build_result(request, translation, catalog=catalog, as_of=as_of, dialect=dialect, db=db,
                        segments=segments, sample_size=sample_size, show_pii=show_pii)
