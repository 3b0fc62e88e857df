"""`segment-assistant`: the command line. Every command reads DSL from a file or stdin (`-`) or `--expr`,
prints rich output for people and one JSON object with `--json` for programs, and exits non-zero with a
clear message on any error: never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typer.exceptions import TyperException
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.syntax import Syntax
from rich.table import Table

from assistant.data import demo_store
from segment_assistant.terminal import highlight
from assistant.data.preview import Database, PreviewError
from evals.cli import evals_app
from grammar import ast as A
from grammar.catalog import Catalog, CatalogError, load_catalog
from grammar.errors import Diagnostic, SegmentError, validation_problems

app = typer.Typer(help="Natural-language segment assistant: English -> checked segment DSL -> SQL -> preview.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
catalog_app = typer.Typer(help="Inspect or build catalogs.", no_args_is_help=True)
segments_app = typer.Typer(help="Saved segments: list, show, save new versions, diff versions.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(segments_app, name="segments")
app.add_typer(evals_app, name="evals")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """An expected failure: printed as a message (or an `error` object with --json), exit code 1."""

    def __init__(self, code: str, message: str, diagnostics: list[Diagnostic] | None = None, source: str | None = None):
        super().__init__(message)
        self.code, self.message, self.diagnostics, self.source = code, message, diagnostics or [], source


# ---- shared options ---------------------------------------------------------------------------------------

CatalogOpt = typer.Option(None, "--catalog", help="Catalog YAML (default: the demo catalog).")
StoreOpt = typer.Option(None, "--store", envvar="SEGMENT_STORE",
                        help="Saved-segments store (SQLite .db/.sqlite; default: segments.db in the cache folder). "
                        "Templates are always available by name.")
JsonOpt = typer.Option(False, "--json", help="Print one JSON object (for programs).")
ExprOpt = typer.Option(None, "--expr", "-e", help="The DSL text itself, instead of SOURCE.")
AsOfOpt = typer.Option(None, "--as-of", help="The instant windows count back from (default: the demo store's, else now).")
ProviderOpt = typer.Option(None, "--provider", help="offline, openai or local (default: openai when a model is "
                           "configured, else offline).")
ModelOpt = typer.Option(None, "--model", help="Model name (openai), or a GGUF file (local).")
ConfigOpt = typer.Option(None, "--config", envvar="SEGMENT_CONFIG", help="Model configuration YAML.")
DbOpt = typer.Option(None, "--db", envvar="SEGMENT_DB",
                     help="DuckDB file or postgresql:// URL (default: the demo store, generated on first use).")


def _catalog(path: Optional[Path]) -> Catalog:
    try:
        return load_catalog(path)
    except CatalogError as err:
        raise CliError("catalog", str(err)) from None


def _store(path: Optional[Path]):
    from assistant.segments import SegmentStore
    from assistant.store import StoreError

    try:
        return SegmentStore.from_setting(path)
    except StoreError as err:
        raise CliError("store", str(err)) from None
    except Exception as err:  # a broken store file is a user error, not a crash
        raise CliError("store", f"cannot read the segment store {path}: {err}") from None


def _source(source: Optional[str], expr: Optional[str]) -> str:
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


def _progress() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True)


def _database(db: Optional[str]) -> Database:
    if db:
        return Database(db)
    with _progress() as bar:
        task = None

        def tick(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("generating the demo store (first run only)", total=total)
            bar.update(task, completed=done)

        return Database(str(demo_store.demo_db_path(progress=tick)))


def _translator(provider: Optional[str], model: Optional[str], config: Optional[str]):
    from assistant.translate.factory import make_translator

    try:
        return make_translator(provider, model, config_path=config)
    except ValueError as err:
        raise CliError("model_config", str(err)) from None


def _as_of(text: Optional[str], db: Optional[Database]):
    try:
        return demo_store.resolve_as_of(text, db.target if db else None)
    except ValueError as err:
        raise CliError("usage", str(err)) from None


def _checked(text: str, catalog: Catalog, store) -> tuple[A.Condition, list[Diagnostic], dict]:
    from grammar.check import validate

    segments = store.conditions()
    try:
        node, warnings = validate(text, catalog, segments)
    except SegmentError as err:
        raise CliError("invalid_segment", "the segment is not valid", err.diagnostics, text) from None
    return node, warnings, segments


def _emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def _show_dsl(text: str, title: str = "segment") -> None:
    console.print(Panel(highlight(text), title=title, expand=False))


def _show_sql(sql: str, dialect: str) -> None:
    console.print(Panel(Syntax(sql, "sql", word_wrap=True), title=f"SQL ({dialect})", expand=False))


def _warnings(warnings: list[str]) -> None:
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")


# ---- commands -----------------------------------------------------------------------------------------------

@app.command("demo-data")
def demo_data_cmd(
    out: Path = typer.Option(..., "--out", help="Where to write the DuckDB file."),
    contacts: int = typer.Option(demo_store.DEMO_CONTACTS, "--contacts", min=1, help="How many contacts."),
    seed: int = typer.Option(demo_store.DEMO_SEED, "--seed", help="Random seed: same seed, same data."),
    postgres: Optional[str] = typer.Option(None, "--postgres", help="Also load it into this PostgreSQL URL."),
    as_json: bool = JsonOpt,
) -> None:
    """Write the deterministic demo store (contacts + events) to a DuckDB file."""
    if out.exists() and out.is_dir():
        raise CliError("usage", f"--out is a directory: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _progress() as bar:
        task = bar.add_task(f"generating {contacts:,} contacts", total=contacts)
        summary = demo_store.write_demo_store(out, contacts=contacts, seed=seed,
                                            progress=lambda done, total: bar.update(task, completed=done))
    if postgres:
        from assistant.data.postgres import copy_to_postgres

        try:
            summary["postgres"] = copy_to_postgres(str(out), postgres)
        except Exception as err:
            raise CliError("postgres", f"could not load the demo data into PostgreSQL: {str(err).strip()}") from None
    if as_json:
        _emit_json(summary)
    else:
        console.print(f"wrote {summary['contacts']:,} contacts and {summary['events']:,} events to [bold]{out}[/]")


@app.command()
def validate(source: Optional[str] = typer.Argument(None, help="DSL file, or - for stdin."), expr: Optional[str] = ExprOpt,
             catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Parse and check a segment against the catalog."""
    text = _source(source, expr)
    node, warnings, _ = _checked(text, _catalog(catalog), _store(store))
    from grammar.format import format_segment

    if as_json:
        _emit_json({"valid": True, "dsl": format_segment(node), "warnings": [w.model_dump(exclude_none=True) for w in warnings]})
    else:
        console.print("[green]valid[/]")
        _warnings([w.render(text) for w in warnings])


@app.command("format")
def format_cmd(source: Optional[str] = typer.Argument(None, help="DSL file (or builder JSON with --from-json), or -."),
               expr: Optional[str] = ExprOpt,
               from_json: bool = typer.Option(False, "--from-json", help="SOURCE is builder JSON; print its DSL."),
               to_json: bool = typer.Option(False, "--to-json", help="Print the builder JSON instead of DSL.")) -> None:
    """Print the canonical DSL of a segment (or convert between DSL and builder JSON)."""
    from pydantic import ValidationError

    from grammar.format import format_segment
    from grammar.parser import parse

    text = _source(source, expr)
    if from_json:
        try:
            node = A.condition_from_json(text)
        except ValidationError as err:
            raise CliError("invalid_json", f"not a valid segment tree: {validation_problems(err, 5)}") from None
    else:
        try:
            node = parse(text)
        except SegmentError as err:
            raise CliError("invalid_segment", "the segment does not parse", err.diagnostics, text) from None
    if to_json:
        _emit_json(A.condition_to_json(node))
    else:
        sys.stdout.write(format_segment(node) + "\n")


@app.command()
def explain(source: Optional[str] = typer.Argument(None), expr: Optional[str] = ExprOpt, catalog: Optional[Path] = CatalogOpt,
            store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Read a segment back in plain English."""
    from grammar.explain import explain as explain_segment

    cat = _catalog(catalog)
    node, _, _ = _checked(_source(source, expr), cat, _store(store))
    text = explain_segment(node, cat)
    _emit_json({"explanation": text}) if as_json else console.print(text)


@app.command("compile")
def compile_cmd(source: Optional[str] = typer.Argument(None), expr: Optional[str] = ExprOpt,
                dialect: str = typer.Option("duckdb", "--dialect", help="duckdb, postgres, snowflake, bigquery, clickhouse, "
                                            "redshift, spark, trino or mysql."),
                as_of: Optional[str] = AsOfOpt, catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt,
                as_json: bool = JsonOpt) -> None:
    """Compile a segment to SQL (one column: the contact id)."""
    from grammar.compile import DIALECTS, compile_segment

    if dialect not in DIALECTS:
        raise CliError("usage", f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    cat = _catalog(catalog)
    node, _, segments = _checked(_source(source, expr), cat, _store(store))
    when = _as_of(as_of, None)
    sql = compile_segment(node, cat, dialect, when, segments)
    if as_json:
        _emit_json({"sql": sql, "dialect": dialect, "as_of": when.isoformat(sep=" ")})
    else:
        sys.stdout.write(sql + "\n")


def _show_result(result) -> None:
    if result.question:
        console.print(f"[bold yellow]question:[/] {result.question}")
    if result.refusal:
        console.print(f"[bold red]refused:[/] {result.refusal}")
    if result.dsl:
        _show_dsl(result.dsl)
    if result.explanation:
        console.print(f"[bold]Read back:[/] {result.explanation}")
    for a in result.assumptions:
        console.print(f"[cyan]assumed:[/] {a}")
    _warnings(result.warnings)
    if result.sql:
        _show_sql(result.sql, result.dialect)
    if result.count is not None:
        console.print(f"[bold]{result.count:,}[/] of {result.total:,} contacts ({result.share:.1%}) as of {result.as_of}")
        if result.sample:
            # a terminal is narrow: the id and the first traits, times to the minute (--json has everything)
            columns = list(result.sample[0])[:7]
            table = Table(title="sample members", show_lines=False)
            for col in columns:
                table.add_column(col, no_wrap=True, overflow="ellipsis")
            for row in result.sample:
                table.add_row(*["" if row[c] is None else str(row[c])[:16] for c in columns])
            console.print(table)
        if result.stats:
            stats = Table(title="segment stats")
            stats.add_column("stat")
            stats.add_column("value", justify="right")
            for s in result.stats:
                value = s["value"]
                shown = "-" if value is None else f"{value:.1%}" if s["kind"] == "rate" else f"{value:,.2f}"
                stats.add_row(s["label"], shown)
            console.print(stats)
    if result.tries > 1 or result.provider != "offline":
        console.print(f"[dim]{result.provider} {result.model or ''}: {result.tries} tries[/]")


@app.command()
def preview(source: Optional[str] = typer.Argument(None), expr: Optional[str] = ExprOpt, db: Optional[str] = DbOpt,
            as_of: Optional[str] = AsOfOpt, sample: int = typer.Option(10, "--sample", min=0, max=1000),
            show_pii: bool = typer.Option(False, "--show-pii", help="Show emails and names unmasked."),
            timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Statement timeout in seconds."),
            catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Run a segment: count, share, a sample of members and segment stats."""
    from assistant.pipeline import build_result

    cat = _catalog(catalog)
    text = _source(source, expr)
    node, _, segments = _checked(text, cat, _store(store))
    database = _database(db)
    database.timeout = timeout
    when = _as_of(as_of, database)
    result = build_result("", None, catalog=cat, as_of=when, dialect=database.dialect, db=database,
                          segments=segments, condition=node, sample_size=sample, show_pii=show_pii)
    _finish(result, as_json)


def _finish(result, as_json: bool) -> None:
    if result.error:
        raise CliError(result.error.code, result.error.message, result.error.diagnostics, result.dsl)
    if as_json:
        _emit_json(result.model_dump())
    else:
        _show_result(result)


@app.command()
def draft(text: str = typer.Argument(..., help="What you want, in plain English."), db: Optional[str] = DbOpt,
          as_of: Optional[str] = AsOfOpt, dialect: str = typer.Option("duckdb", "--dialect"),
          current: Optional[str] = typer.Option(None, "--current", help="DSL of the segment to refine."),
          provider: Optional[str] = ProviderOpt, model: Optional[str] = ModelOpt, config: Optional[str] = ConfigOpt,
          sample: int = typer.Option(10, "--sample", min=0, max=1000),
          no_preview: bool = typer.Option(False, "--no-preview", help="Translate, check and compile only."),
          catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Translate plain English into a checked segment, compile it and preview it."""
    from assistant.pipeline import draft as run_draft
    from grammar.compile import DIALECTS

    if dialect not in DIALECTS:
        raise CliError("usage", f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    if not text.strip():
        raise CliError("usage", "the request is empty: say who you want to reach")
    cat = _catalog(catalog)
    database = None if no_preview else _database(db)
    when = _as_of(as_of, database)
    translator = _translator(provider, model, config)
    st = _store(store)
    base = _checked(current, cat, st)[0] if current else None
    result = run_draft(text, translator=translator, catalog=cat, as_of=when, dialect=dialect, db=database,
                       current=base, segments=st.conditions(), sample_size=sample)
    _finish(result, as_json)


@app.command()
def chat(db: Optional[str] = DbOpt, as_of: Optional[str] = AsOfOpt,
         provider: Optional[str] = ProviderOpt, model: Optional[str] = ModelOpt, config: Optional[str] = ConfigOpt,
         catalog: Optional[Path] = CatalogOpt,
         store: Optional[Path] = StoreOpt) -> None:
    """Build a segment in a conversation: each message refines it; 'undo' steps back, 'quit' ends."""
    from assistant.chat import ChatSession
    from segment_assistant.terminal import run_terminal_chat
    from assistant.data.preview import member_ids
    from grammar.compile import compile_segment

    cat = _catalog(catalog)
    database = _database(db)
    when = _as_of(as_of, database)
    st = _store(store)
    segments = st.conditions()
    session = ChatSession(_translator(provider, model, config), cat, when, segments)

    def count(node: A.Condition) -> int:
        try:
            return len(member_ids(database, compile_segment(node, cat, database.dialect, when, segments)))
        except PreviewError as err:
            raise RuntimeError(str(err)) from None

    console.print(f"[dim]as of {when}, database {database.target}[/]")
    run_terminal_chat(session, console, preview=count)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the builder payload (the segment tree)."""
    _emit_json(A.json_schema())


@catalog_app.command("introspect")
def catalog_introspect(db: str = typer.Option(..., "--db", help="DuckDB file or postgresql:// URL."),
                       out: Optional[Path] = typer.Option(None, "--out", help="Write the catalog YAML here (default: stdout)."),
                       json_column: Optional[str] = typer.Option("properties", "--json-column",
                                                                 help="JSON properties column of the events table.")) -> None:
    """Build a catalog from a live database: events, properties (columns and JSON keys), traits, sample values."""
    from assistant.data.introspect import introspect_with_warnings

    with _progress() as bar:
        task = bar.add_task("introspecting", total=None)
        try:
            cat, warnings = introspect_with_warnings(
                db, json_column=json_column, progress=lambda done, total: bar.update(task, completed=done, total=total))
        except (ValueError, CatalogError) as err:
            raise CliError("introspect", str(err)) from None
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {w}")
    text = cat.to_yaml()
    if out:
        out.write_text(text)
        console.print(f"wrote {len(cat.events)} events, {len(cat.properties)} properties and {len(cat.traits)} traits to {out}")
    else:
        sys.stdout.write(text)


@segments_app.command("list")
def segments_list(store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Saved segments and templates."""
    from assistant.segments import templates

    st = _store(store)
    rows = [{"name": n, "versions": len(st.history(n)), "template": n in templates() and len(st.history(n)) == 1
             and st.history(n)[0].note == "template", "dsl": st.dsl(n)} for n in st.names()]
    if as_json:
        _emit_json({"segments": rows})
        return
    table = Table("name", "versions", "definition")
    for r in rows:
        table.add_row(r["name"] + (" (template)" if r["template"] else ""), str(r["versions"]), r["dsl"])
    console.print(table)


@segments_app.command("save")
def segments_save(name: str, source: Optional[str] = typer.Argument(None), expr: Optional[str] = ExprOpt,
                  note: str = typer.Option("", "--note"), catalog: Optional[Path] = CatalogOpt,
                  store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Save a new version of a segment (checked, cycles refused)."""
    from grammar.parser import parse

    text = _source(source, expr)
    st = _store(store)
    try:
        version = st.save(name, parse(text), _catalog(catalog), note)
    except SegmentError as err:
        raise CliError("invalid_segment", f"cannot save {name!r}", err.diagnostics, text) from None
    _emit_json(version.model_dump()) if as_json else console.print(f"saved {name} version {version.version}")


@segments_app.command("show")
def segments_show(name: str, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Every version of a segment."""
    try:
        versions = _store(store).history(name)
    except KeyError:
        raise CliError("not_found", f"no segment named {name!r}") from None
    if as_json:
        _emit_json({"name": name, "versions": [v.model_dump() for v in versions]})
        return
    for v in versions:
        console.print(f"[bold]v{v.version}[/] {v.saved_at} {v.note}")
        _show_dsl(v.dsl, title=name)


@segments_app.command("diff")
def segments_diff(name: str, old: int = typer.Argument(..., help="Older version number."),
                  new: int = typer.Argument(..., help="Newer version number."), db: Optional[str] = DbOpt,
                  as_of: Optional[str] = AsOfOpt, catalog: Optional[Path] = CatalogOpt,
                  store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """What changed between two versions: the definition, and who enters and who leaves."""
    from assistant.data.preview import membership_diff
    from assistant.segments import definition_diff

    st = _store(store)
    try:
        before, after = st.version(name, old), st.version(name, new)
    except KeyError as err:
        raise CliError("not_found", str(err).strip("'\"")) from None
    database = _database(db)
    when = _as_of(as_of, database)
    try:
        entered, left = membership_diff(database, _catalog(catalog), when, before.condition, after.condition,
                                        st.conditions())
    except PreviewError as err:
        raise CliError("preview_failed", str(err)) from None
    lines = definition_diff(before.condition, after.condition)
    if as_json:
        _emit_json({"definition": lines, "entered": sorted(entered), "left": sorted(left)})
        return
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        console.print(f"[{style}]{line}[/]", highlight=False)
    console.print(f"[green]{len(entered):,} enter[/], [red]{len(left):,} leave[/] (as of {when})")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          db: Optional[str] = DbOpt, store: Optional[Path] = StoreOpt, catalog: Optional[Path] = CatalogOpt) -> None:
    """Serve the HTTP API (FastAPI; OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app

    database = _database(db)
    console.print(f"serving on http://{host}:{port} (docs: /docs), database {database.target}")
    uvicorn.run(create_app(db=database.target, store=store, catalog=catalog), host=host, port=port, log_level="info")


# ---- the SQLite store: import, rename, archive, snapshots, export (segment_assistant/store_cli.py) ---------

from segment_assistant.store_cli import register as _register_store_commands  # noqa: E402

_register_store_commands(segments_app)


# ---- errors -------------------------------------------------------------------------------------------------

def _report(err: CliError, as_json: bool) -> None:
    if as_json:
        _emit_json({"error": {"code": err.code, "message": err.message,
                              "diagnostics": [d.model_dump(exclude_none=True) for d in err.diagnostics]}})
        return
    err_console.print(f"[bold red]error:[/] {err.message}", highlight=False)
    for d in err.diagnostics:
        err_console.print(d.render(err.source), highlight=False, markup=False)


def main() -> None:
    """Console-script entry point: expected errors become messages and exit 1, never tracebacks."""
    as_json = "--json" in sys.argv
    try:
        app(standalone_mode=False)
    except CliError as err:
        _report(err, as_json)
        sys.exit(1)
    except (typer.Exit, SystemExit) as done:
        sys.exit(getattr(done, "exit_code", getattr(done, "code", 0)))
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except TyperException as err:  # usage errors: an unknown option, a missing argument
        if as_json:
            _emit_json({"error": {"code": "usage", "message": err.format_message(), "diagnostics": []}})
        else:
            err.show()
        sys.exit(err.exit_code)
    except Exception as err:  # anything unexpected: still a message, never a traceback
        _report(CliError("internal", f"internal error: {type(err).__name__}: {err} (please report this)"), as_json)
        sys.exit(70)
