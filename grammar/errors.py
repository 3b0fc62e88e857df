"""Diagnostics shared by every stage: what is wrong, where (1-based line/column), and a suggestion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel

from grammar.ast import Span


class Diagnostic(BaseModel):
    code: str
    message: str
    severity: Literal["error", "warning"] = "error"
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    suggestion: str | None = None

    @classmethod
    def at(cls, span: Span | None, code: str, message: str, suggestion: str | None = None,
           severity: Literal["error", "warning"] = "error") -> "Diagnostic":
        where = span.model_dump() if span else {}
        return cls(code=code, message=message, suggestion=suggestion, severity=severity, **where)

    def render(self, source: str | None = None) -> str:
        """One line 'line L, column C: message (did you mean ...?)', plus the source line and a caret."""
        head = f"line {self.line}, column {self.column}: " if self.line else ""
        text = f"{self.severity}: {head}{self.message}"
        if self.suggestion:
            text += f" (did you mean {self.suggestion}?)"
        if source is not None and self.line:
            lines = source.splitlines() or [""]
            if self.line <= len(lines):
                src = lines[self.line - 1]
                width = 1
                if self.end_line == self.line and self.end_column and self.column:
                    width = max(1, self.end_column - self.column)
                text += f"\n  {src}\n  {' ' * ((self.column or 1) - 1)}{'^' * width}"
        return text


class ErrorInfo(BaseModel):
    """What went wrong, for programs: a stable code, a sentence, and the positioned diagnostics if any."""

    code: str
    message: str
    diagnostics: list[Diagnostic] = []

    def envelope(self) -> dict[str, Any]:
        return error_envelope(self.code, self.message, self.diagnostics)


def error_envelope(code: str, message: str, diagnostics: Iterable[Diagnostic] = (), **extra: Any) -> dict[str, Any]:
    """The one error body every interface answers with: {"error": {"code", "message", "diagnostics"}}
    (diagnostics without their unset fields); `extra` adds fields next to them (the API's "problems")."""
    return {"error": {"code": code, "message": message,
                      "diagnostics": [d.model_dump(exclude_none=True) for d in diagnostics], **extra}}


class SegmentError(Exception):
    """Raised when text or a tree cannot become a valid segment; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic], source: str | None = None):
        self.diagnostics = diagnostics
        self.source = source
        super().__init__("\n".join(d.render(source) for d in diagnostics))


def validation_problems(err, limit: int | None = None) -> str:
    """A pydantic ValidationError as 'where: what; where: what' (dotted field paths)."""
    errors = err.errors()[:limit]
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)


def read_yaml(path, error: type[Exception], what: str):
    """The parsed YAML of a file; `error` with the path and the reason when it is missing or not YAML."""
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except yaml.YAMLError as err:
        raise error(f"{path}: not valid YAML: {err}") from None
