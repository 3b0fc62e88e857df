"""What every command shares: the consoles, the options, the expected error (CliError), and turning options
into a catalog, a segment store, DSL text, a database, a translator and the as-of instant. Heavy modules are
imported inside the functions (see cli.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console

from assistant.data import demo_store  # light: duckdb and the generator load on first use

if TYPE_CHECKING:
    from assistant.data.preview import Database
    from grammar import ast as A
    from grammar.catalog import Catalog
    from grammar.errors import Diagnostic


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """An expected failure: printed as a message (or an `error` object with --json), exit code 1."""

    def __init__(self, code: str, message: str, diagnostics: list[Diagnostic] | None = None, source: str | None = None):
        super().__init__(message)
        self.code, self.message, self.diagnostics, self.source = code, message, diagnostics or [], source


# ---- shared options ---------------------------------------------------------------------------------------

CatalogOpt = typer.Option(None, "--catalog", metavar="FILE", help="Catalog YAML (default: the demo catalog).")
StoreOpt = typer.Option(None, "--store", envvar="SEGMENT_STORE", metavar="FILE",
                        help="Saved-segments store (SQLite .db/.sqlite; default: segments.db in the cache folder). "
                        "Templates are always available by name.")
JsonOpt = typer.Option(False, "--json", help="Print one JSON object (for programs).")
ExprOpt = typer.Option(None, "--expr", "-e", metavar="DSL", help="The DSL text itself, instead of SOURCE.")
SourceArg = typer.Argument(None, metavar="SOURCE", help="DSL file, or - for standard input.")
AsOfOpt = typer.Option(None, "--as-of", metavar="DATE", help="The instant windows count back from (default: the "
                       "database's own, as the demo store records it, else now).")
ProviderOpt = typer.Option(None, "--provider", help="offline, openai or local (default: openai when a model is "
                           "configured, else offline).")
ModelOpt = typer.Option(None, "--model", help="Model name (openai), or a GGUF file (local).")
ConfigOpt = typer.Option(None, "--config", envvar="SEGMENT_CONFIG", metavar="FILE", help="Model configuration YAML.")
DbOpt = typer.Option(None, "--db", envvar="SEGMENT_DB", metavar="PATH|URL",
                     help="DuckDB file, postgresql:// URL, spark:FOLDER (Parquet), sc://host:port (Spark Connect), "
                          "chdb:PATH or clickhouse:// URL (default: the demo store, generated on first use).")
DialectOpt = typer.Option("duckdb", "--dialect", help="duckdb, postgres, snowflake, bigquery, clickhouse, redshift, "
                          "spark, trino or mysql.")
SampleOpt = typer.Option(10, "--sample", min=0, max=1000, help="How many members to show.")
SqlOpt = typer.Option(False, "--sql", help="Also print the SQL.")
VerboseOpt = typer.Option(False, "--verbose", help="Let library logs (llama.cpp) through to the terminal.")


def catalog(path: Optional[Path]) -> Catalog:
    from grammar.catalog import CatalogError, load_catalog

    try:
        return load_catalog(path)
    except CatalogError as err:
        raise CliError("catalog", str(err)) from None


def store(path: Optional[Path]):
    from assistant.segments import SegmentStore
    from assistant.store import StoreError

    try:
        return SegmentStore.from_setting(path)
    except StoreError as err:
        raise CliError("store", str(err)) from None
    except Exception as err:  # a broken store file is a user error, not a crash
        raise CliError("store", f"cannot read the segment store {path}: {err}") from None


def source(source: Optional[str], expr: Optional[str]) -> str:
    if expr is not None:
        return expr
    if source is None:
        raise CliError("usage", "give a DSL file, '-' for standard input, or --expr 'DSL'")
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise CliError("usage", f"no such file: {source} (use '-' to read standard input, or --expr 'DSL')")
    return path.read_text()


def progress():
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True)


def database(db: Optional[str]) -> Database:
    from assistant.data.preview import Database

    if db:
        return Database(db)
    with progress() as bar:
        task = None

        def tick(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("generating the demo store (first run only)", total=total)
            bar.update(task, completed=done)

        return Database(str(demo_store.demo_db_path(progress=tick)))


def translator(provider: Optional[str], model: Optional[str], config: Optional[str]):
    from assistant.translate.factory import make_translator

    try:
        return make_translator(provider, model, config_path=config)
    except ValueError as err:
        raise CliError("model_config", str(err)) from None


def as_of(text: Optional[str], db: Optional[str]):
    """One rule for every command: --as-of, else the database's own (--db, else the default demo store, even
    when nothing runs on it), else now."""
    try:
        return demo_store.resolve_as_of(text, db or str(demo_store.default_db_path()))
    except ValueError as err:
        raise CliError("usage", str(err)) from None


def checked(text: str, catalog: Catalog, store) -> tuple[A.Condition, list[Diagnostic], dict]:
    from grammar.check import validate
    from grammar.errors import SegmentError

    segments = store.conditions()
    try:
        node, warnings = validate(text, catalog, segments)
    except SegmentError as err:
        raise CliError("invalid_segment", "the segment is not valid", err.diagnostics, text) from None
    return node, warnings, segments


def check_dialect(dialect: str) -> None:
    from grammar.compile import DIALECTS

    if dialect not in DIALECTS:
        raise CliError("usage", f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")


def verbose(on: bool) -> None:
    if on:
        os.environ["SEGMENT_VERBOSE"] = "1"  # read where a library's logging is set up (the local model)


def emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
