"""Compile stage: a checked AST -> one SQL query whose only column is contact_id, in any sqlglot dialect.

SQL is built as sqlglot expressions, never concatenated: literals are sqlglot literals and identifiers come
only from the catalog. Two plans select the same members:

- `planned` (the default, `planner.py`): each condition reads only the events it needs, as semi-/anti-joins
  with its (event, window) in the scan's WHERE; rankings as top-N; per dialect.
- `reference` (`reference.py`): the simple plan, one grouped scan of every event condition, kept to check the
  planned SQL against (property tests) and to measure it against (benchmarks).

`as_of` is a parameter: every window boundary is computed here and emitted as a timestamp literal, so the
same definition selects the same people whenever it runs, and no dialect's interval arithmetic is needed
except `t + INTERVAL 'n' SECOND` inside sequences, restarts and anchored windows. Units: a month is 30 days,
a year 365; calendar windows (`in previous month`, `on black friday`) take their bounds from
grammar/calendar.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlglot import exp

from grammar import ast as A
from grammar.catalog import Catalog
from grammar.compile.planner import _Compiler, plan_forms
from grammar.compile.reference import EV, ReferenceCompiler, compile_flags, compile_measures  # noqa: F401 (EV: the scan's alias, for grammar/split.py)
from grammar.compile.sql import BOUNDS as _BOUNDS, anniversary_days, window_bounds, window_predicate  # noqa: F401 (_BOUNDS: the window kinds, for tests)

__all__ = ["DIALECTS", "PLANS", "UnknownDialect", "anniversary_days", "check_dialect", "compile_expression",
           "compile_flags", "compile_measures", "compile_segment", "compile_universe", "same_plan", "to_sql", "window_bounds", "window_predicate"]

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "clickhouse", "redshift", "spark", "trino", "mysql")
PLANS = ("planned", "reference")


def compile_expression(node: A.Condition, catalog: Catalog, as_of: datetime | None = None,
                       segments: Mapping[str, A.Condition] | None = None, *, plan: str = "planned",
                       dialect: str = "duckdb") -> exp.Select:
    """The sqlglot expression of a segment: compile once, then `to_sql` it and hand the same expression to the
    preview. `dialect` picks the plan's forms (EXISTS or IN, a computed LIMIT or ROW_NUMBER); the DuckDB plan
    also runs on PostgreSQL. `plan="reference"` is the simple plan (see the module docstring)."""
    as_of = (as_of or datetime.now()).replace(microsecond=0)
    if plan == "reference":
        return ReferenceCompiler(catalog, as_of, segments or {}).build(node)
    if plan != "planned":
        raise ValueError(f"unknown plan {plan!r}; choose one of {', '.join(PLANS)}")
    return _Compiler(catalog, as_of, segments or {}, check_dialect(dialect)).build(node)


def compile_universe(catalog: Catalog, as_of: datetime) -> exp.Select:
    """Every contact that exists at `as_of` (the denominator of a segment's share)."""
    return _Compiler(catalog, as_of.replace(microsecond=0), {}).build(None)


def same_plan(dialect: str, other: str) -> bool:
    """Whether a segment compiled for `dialect` is the same plan as for `other` (DuckDB's runs on PostgreSQL):
    the pipeline then compiles once for the SQL it shows and the preview it runs."""
    return plan_forms(check_dialect(dialect)) == plan_forms(check_dialect(other))


class UnknownDialect(ValueError):
    """A dialect the compiler does not emit; the message lists the ones it does."""


def check_dialect(name: str) -> str:
    """`name` if the compiler emits that dialect; else UnknownDialect saying which ones it does. The one
    dialect check: the CLI, the API and the evals call it rather than testing DIALECTS themselves."""
    if name not in DIALECTS:
        raise UnknownDialect(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}")
    return name


def to_sql(expression: exp.Expression, dialect: str = "duckdb", pretty: bool = True) -> str:
    """SQL text of a compiled expression in `dialect`."""
    return expression.sql(dialect=check_dialect(dialect), pretty=pretty)


def compile_segment(node: A.Condition, catalog: Catalog, dialect: str = "duckdb", as_of: datetime | None = None,
                    segments: Mapping[str, A.Condition] | None = None, pretty: bool = True, *,
                    plan: str = "planned") -> str:
    """SQL text of a checked segment in `dialect`; its only column is the contact id."""
    check_dialect(dialect)
    return to_sql(compile_expression(node, catalog, as_of, segments, plan=plan, dialect=dialect), dialect, pretty)
