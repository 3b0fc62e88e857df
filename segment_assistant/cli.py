"""`segment-assistant`: the command line. Every command reads DSL from a file or stdin (`-`) or `--expr`,
prints rich output for people and one JSON object with `--json` for programs, and exits non-zero with a
clear message on any error: never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typer.exceptions import TyperException

from assistant.data import demo_store  # light: duckdb and the generator load on first use
from segment_assistant import inputs, terminal
from segment_assistant.help import PlainCommand, PlainGroup, RootGroup
from segment_assistant.inputs import (AsOfOpt, CatalogOpt, CliError, ConfigOpt, DbOpt, DialectOpt, ExprOpt, JsonOpt,
                                      ModelOpt, ProviderOpt, SampleOpt, SourceArg, SqlOpt, StoreOpt, VerboseOpt,
                                      console, err_console)

# Everything else (duckdb, numpy, sqlglot, pydantic models, the api, the evals) is imported inside the command
# that needs it, so that `--help` and a mistyped option answer at once.


class _Root(RootGroup):
    """The root group runs every command through `_run`, so the console script and in-process tests
    (typer.testing.CliRunner) see the same messages, JSON error objects and exit codes."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        code = _run(self, list(sys.argv[1:] if args is None else args), prog_name, extra)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(cls=_Root, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Natural-language segment assistant: English -> checked segment DSL -> SQL -> preview.")
catalog_app = typer.Typer(cls=PlainGroup, help="Inspect or build catalogs.", no_args_is_help=True)
segments_app = typer.Typer(cls=PlainGroup, help="Saved segments: list, show, save new versions, diff versions.",
                           no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(segments_app, name="segments")


def command(group: typer.Typer = app, name: str | None = None):
    """`@group.command` with plain option types in --help."""
    return group.command(name, cls=PlainCommand)


# ---- commands -----------------------------------------------------------------------------------------------

@command(name="demo-data")
def demo_data_cmd(
    out: Path = typer.Option(..., "--out", metavar="PATH", help="Where to write the DuckDB file."),
    contacts: int = typer.Option(demo_store.DEMO_CONTACTS, "--contacts", min=1, help="How many contacts."),
    seed: int = typer.Option(demo_store.DEMO_SEED, "--seed", help="Random seed: same seed, same data."),
    postgres: Optional[str] = typer.Option(None, "--postgres", metavar="URL", help="Also load it into this PostgreSQL URL."),
    parquet: Optional[Path] = typer.Option(None, "--parquet", metavar="FOLDER",
                                           help="Also write it as Parquet there (read it with --db spark:FOLDER)."),
    chdb: Optional[Path] = typer.Option(None, "--chdb", metavar="PATH",
                                        help="Also load it into embedded ClickHouse there (--db chdb:PATH); needs --parquet."),
    as_json: bool = JsonOpt,
) -> None:
    """Write the deterministic demo store (contacts + events) to a DuckDB file."""
    if out.exists() and out.is_dir():
        raise CliError("usage", f"--out is a directory: {out}")
    if chdb and not parquet:
        raise CliError("usage", "--chdb loads the Parquet files: give --parquet FOLDER too")
    out.parent.mkdir(parents=True, exist_ok=True)
    with inputs.progress() as bar:
        task = bar.add_task(f"generating {contacts:,} contacts", total=contacts)
        summary = demo_store.write_demo_store(out, contacts=contacts, seed=seed,
                                            progress=lambda done, total: bar.update(task, completed=done))
    if postgres:
        from assistant.data.postgres import copy_to_postgres

        try:
            summary["postgres"] = copy_to_postgres(str(out), postgres)
        except Exception as err:
            raise CliError("postgres", f"could not load the demo data into PostgreSQL: {str(err).strip()}") from None
    if parquet:
        summary.update(_engines_copy(out, parquet, chdb))
    if as_json:
        inputs.emit_json(summary)
    else:
        console.print(f"wrote {summary['contacts']:,} contacts and {summary['events']:,} events to [bold]{out}[/]")


def _engines_copy(out: Path, parquet: Path, chdb: Optional[Path]) -> dict:
    """The demo store as Parquet (for Spark) and, from those files, in embedded ClickHouse."""
    from assistant.data.parquet import export_parquet

    copied = {"parquet": export_parquet(str(out), parquet)}
    if chdb:
        from assistant.data import clickhouse
        from assistant.data.database import Database, DatabaseError

        try:
            with Database(f"chdb:{chdb}").connect() as conn:
                copied["chdb"] = clickhouse.load_parquet(conn.raw, parquet)
        except (DatabaseError, clickhouse.ClickHouseError) as err:
            raise CliError("clickhouse", f"could not load the demo data into ClickHouse: {err}") from None
    return copied


@command()
def validate(source: Optional[str] = SourceArg, expr: Optional[str] = ExprOpt,
             catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Parse and check a segment against the catalog."""
    text = inputs.source(source, expr)
    node, warnings, _ = inputs.checked(text, inputs.catalog(catalog), inputs.store(store))
    from grammar.format import format_segment

    if as_json:
        inputs.emit_json({"valid": True, "dsl": format_segment(node), "warnings": [w.model_dump(exclude_none=True) for w in warnings]})
    else:
        console.print("[green]valid[/]")
        terminal.show_warnings(console, [w.render(text) for w in warnings])


@command(name="format")
def format_cmd(source: Optional[str] = typer.Argument(None, help="DSL file (or builder JSON with --from-json), or -."),
               expr: Optional[str] = ExprOpt,
               from_json: bool = typer.Option(False, "--from-json", help="SOURCE is builder JSON; print its DSL."),
               to_json: bool = typer.Option(False, "--to-json", help="Print the builder JSON instead of DSL.")) -> None:
    """Print the canonical DSL of a segment (or convert between DSL and builder JSON)."""
    from pydantic import ValidationError

    from grammar import ast as A
    from grammar.errors import SegmentError, validation_problems
    from grammar.format import format_segment
    from grammar.parser import parse

    text = inputs.source(source, expr)
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
        inputs.emit_json(A.condition_to_json(node))
    else:
        sys.stdout.write(format_segment(node) + "\n")


@command()
def explain(source: Optional[str] = SourceArg, expr: Optional[str] = ExprOpt, catalog: Optional[Path] = CatalogOpt,
            store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Read a segment back in plain English."""
    from grammar.explain import explain as explain_segment

    cat = inputs.catalog(catalog)
    node, _, _ = inputs.checked(inputs.source(source, expr), cat, inputs.store(store))
    text = explain_segment(node, cat)
    inputs.emit_json({"explanation": text}) if as_json else console.print(text)


@command(name="compile")
def compile_cmd(source: Optional[str] = SourceArg, expr: Optional[str] = ExprOpt, dialect: str = DialectOpt,
                as_of: Optional[str] = AsOfOpt, db: Optional[str] = DbOpt, catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt,
                as_json: bool = JsonOpt) -> None:
    """Compile a segment to SQL (one column: the contact id). Nothing runs: --db only sets the as-of."""
    from grammar.compile import compile_segment

    inputs.check_dialect(dialect)
    cat = inputs.catalog(catalog)
    node, _, segments = inputs.checked(inputs.source(source, expr), cat, inputs.store(store))
    when = inputs.as_of(as_of, db)
    sql = compile_segment(node, cat, dialect, when, segments)
    if as_json:
        inputs.emit_json({"sql": sql, "dialect": dialect, "as_of": when.isoformat(sep=" ")})
    else:
        sys.stdout.write(sql + "\n")


@command()
def preview(source: Optional[str] = SourceArg, expr: Optional[str] = ExprOpt, db: Optional[str] = DbOpt,
            as_of: Optional[str] = AsOfOpt, sample: int = SampleOpt, sql: bool = SqlOpt,
            show_pii: bool = typer.Option(False, "--show-pii", help="Show emails and names unmasked."),
            timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, metavar="SECONDS",
                                                    help="Statement timeout (default 30 s; 300 s on Spark)."),
            catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Run a segment: count, share, a sample of members and segment stats."""
    from assistant.pipeline import build_result

    cat = inputs.catalog(catalog)
    text = inputs.source(source, expr)
    node, _, segments = inputs.checked(text, cat, inputs.store(store))
    database = inputs.database(db)
    if timeout:
        database.timeout = timeout
    when = inputs.as_of(as_of, database.target)
    result = build_result("", None, catalog=cat, as_of=when, dialect=database.dialect, db=database,
                          segments=segments, condition=node, sample_size=sample, show_pii=show_pii)
    _finish(result, as_json, sql=sql, stats=True)  # the stats are what a preview is for


def _finish(result, as_json: bool, *, sql: bool, stats: bool) -> None:
    if result.error:
        raise CliError(result.error.code, result.error.message, result.error.diagnostics, result.dsl)
    if as_json:
        inputs.emit_json(result.model_dump())
    else:
        terminal.show_result(console, result, sql=sql, stats=stats)


@command()
def draft(text: str = typer.Argument(..., metavar="TEXT", help="What you want, in plain English."),
          db: Optional[str] = DbOpt, as_of: Optional[str] = AsOfOpt, dialect: str = DialectOpt,
          current: Optional[str] = typer.Option(None, "--current", metavar="DSL", help="The segment to refine."),
          provider: Optional[str] = ProviderOpt, model: Optional[str] = ModelOpt, config: Optional[str] = ConfigOpt,
          sample: int = SampleOpt, sql: bool = SqlOpt,
          stats: bool = typer.Option(False, "--stats", help="Also print the segment stats."),
          no_preview: bool = typer.Option(False, "--no-preview", help="Translate, check and compile only."),
          catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt,
          verbose: bool = VerboseOpt) -> None:
    """Translate plain English into a checked segment, compile it and preview it.

    The answer comes first: the read-back, the status (complete, partial, question or refused), how many \
contacts match as of which date, the segment, a sample. --sql and --stats add the rest."""
    from assistant.pipeline import draft as run_draft

    inputs.check_dialect(dialect)
    if not text.strip():
        raise CliError("usage", "the request is empty: say who you want to reach")
    inputs.verbose(verbose)
    cat = inputs.catalog(catalog)
    database = None if no_preview else inputs.database(db)
    when = inputs.as_of(as_of, database.target if database else db)
    translator = inputs.translator(provider, model, config)
    st = inputs.store(store)
    base = inputs.checked(current, cat, st)[0] if current else None  # the edge: the current segment as text
    result = run_draft(text, translator=translator, catalog=cat, as_of=when, dialect=dialect, db=database,
                       current=base, segments=st.conditions(), sample_size=sample)
    _finish(result, as_json, sql=sql, stats=stats)


@command()
def chat(db: Optional[str] = DbOpt, as_of: Optional[str] = AsOfOpt,
         provider: Optional[str] = ProviderOpt, model: Optional[str] = ModelOpt, config: Optional[str] = ConfigOpt,
         catalog: Optional[Path] = CatalogOpt, store: Optional[Path] = StoreOpt, verbose: bool = VerboseOpt) -> None:
    """Build a segment in a conversation: each message refines it; 'undo' steps back, 'quit' ends."""
    from assistant.chat import ChatSession
    from assistant.data.preview import PreviewError, member_ids
    from grammar.compile import compile_segment

    inputs.verbose(verbose)
    cat = inputs.catalog(catalog)
    database = inputs.database(db)
    when = inputs.as_of(as_of, database.target)
    st = inputs.store(store)
    segments = st.conditions()
    session = ChatSession(inputs.translator(provider, model, config), cat, when, segments)

    def count(node) -> int:  # the chat version, a tree
        try:
            return len(member_ids(database, compile_segment(node, cat, database.dialect, when, segments)))
        except PreviewError as err:
            raise RuntimeError(str(err)) from None

    console.print(f"[dim]as of {terminal.as_of_text(when.isoformat(sep=' '))}, database {database.target}[/]")
    terminal.run_terminal_chat(session, console, preview=count)


@command()
def schema() -> None:
    """Print the JSON Schema of the builder payload (the segment tree)."""
    from grammar import ast as A

    inputs.emit_json(A.json_schema())


@command(catalog_app, "introspect")
def catalog_introspect(db: str = typer.Option(..., "--db", metavar="PATH|URL", help="DuckDB file or postgresql:// URL."),
                       out: Optional[Path] = typer.Option(None, "--out", metavar="FILE",
                                                          help="Write the catalog YAML here (default: stdout)."),
                       json_column: Optional[str] = typer.Option("properties", "--json-column",
                                                                 help="JSON properties column of the events table.")) -> None:
    """Build a catalog from a live database: events, properties (columns and JSON keys), traits, sample values."""
    from assistant.data.introspect import introspect_with_warnings
    from grammar.catalog import CatalogError

    with inputs.progress() as bar:
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


@command(segments_app, "list")
def segments_list(store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Saved segments and templates."""
    from rich.table import Table

    from assistant.segments import templates

    st = inputs.store(store)
    rows = [{"name": n, "versions": len(st.history(n)), "template": n in templates() and len(st.history(n)) == 1
             and st.history(n)[0].note == "template", "dsl": st.dsl(n)} for n in st.names()]
    if as_json:
        inputs.emit_json({"segments": rows})
        return
    table = Table("name", "versions", "definition")
    for r in rows:
        table.add_row(r["name"] + (" (template)" if r["template"] else ""), str(r["versions"]), r["dsl"])
    console.print(table)


@command(segments_app, "save")
def segments_save(name: str, source: Optional[str] = SourceArg, expr: Optional[str] = ExprOpt,
                  note: str = typer.Option("", "--note"), catalog: Optional[Path] = CatalogOpt,
                  store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Save a new version of a segment (checked, cycles refused)."""
    from grammar.errors import SegmentError
    from grammar.parser import parse

    text = inputs.source(source, expr)
    st = inputs.store(store)
    try:
        version = st.save(name, parse(text), inputs.catalog(catalog), note)
    except SegmentError as err:
        raise CliError("invalid_segment", f"cannot save {name!r}", err.diagnostics, text) from None
    inputs.emit_json(version.model_dump()) if as_json else console.print(f"saved {name} version {version.version}")


@command(segments_app, "show")
def segments_show(name: str, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Every version of a segment."""
    try:
        versions = inputs.store(store).history(name)
    except KeyError:
        raise CliError("not_found", f"no segment named {name!r}") from None
    if as_json:
        inputs.emit_json({"name": name, "versions": [v.model_dump() for v in versions]})
        return
    for v in versions:
        console.print(f"[bold]v{v.version}[/] {v.saved_at} {v.note}")
        terminal.show_dsl(console, v.dsl, title=name)


@command(segments_app, "diff")
def segments_diff(name: str, old: int = typer.Argument(..., help="Older version number."),
                  new: int = typer.Argument(..., help="Newer version number."), db: Optional[str] = DbOpt,
                  as_of: Optional[str] = AsOfOpt, catalog: Optional[Path] = CatalogOpt,
                  store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
    """What changed between two versions: the definition, and who enters and who leaves."""
    from assistant.data.preview import PreviewError, membership_diff
    from assistant.segments import definition_diff

    st = inputs.store(store)
    try:
        before, after = st.version(name, old), st.version(name, new)
    except KeyError as err:
        raise CliError("not_found", str(err).strip("'\"")) from None
    database = inputs.database(db)
    when = inputs.as_of(as_of, database.target)
    try:
        entered, left = membership_diff(database, inputs.catalog(catalog), when, before.condition, after.condition,
                                        st.conditions())
    except PreviewError as err:
        raise CliError("preview_failed", str(err)) from None
    lines = definition_diff(before.condition, after.condition)
    if as_json:
        inputs.emit_json({"definition": lines, "entered": sorted(entered), "left": sorted(left)})
        return
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        console.print(f"[{style}]{line}[/]", highlight=False)
    console.print(f"[green]{len(entered):,} enter[/], [red]{len(left):,} leave[/] "
                  f"(as of {terminal.as_of_text(when.isoformat(sep=' '))})")


@command()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          db: Optional[str] = DbOpt, store: Optional[Path] = StoreOpt, catalog: Optional[Path] = CatalogOpt,
          workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                                help="Worker processes (default: one per CPU core).")) -> None:
    """Serve the web builder at / and the HTTP API under /v1 (FastAPI; OpenAPI docs at /docs)."""
    import os

    import uvicorn

    from api.app import app_from_env  # imported here too: a broken app fails now, not in every worker

    database = inputs.database(db)
    workers = workers or len(os.sched_getaffinity(0))  # the API is CPU-bound Python: one process per core
    # Workers are separate processes that build the app themselves (api.app:app_from_env) from these settings.
    os.environ["SEGMENT_DB"] = database.target
    for name, value in (("SEGMENT_STORE", store), ("SEGMENT_CATALOG", catalog)):
        if value is not None:
            os.environ[name] = str(value)
    console.print(f"serving the builder on http://{host}:{port}/ (API docs: /docs), database {database.target}, "
                  f"{workers} worker(s)")
    # access_log off: the API writes its own JSON access line (api/middleware.py); a second one costs CPU
    uvicorn.run(f"{app_from_env.__module__}:{app_from_env.__name__}", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=False)


# ---- the SQLite store: import, rename, archive, snapshots, export (segment_assistant/store_cli.py) ---------

from segment_assistant.store_cli import register as _register_store_commands  # noqa: E402

_register_store_commands(segments_app)

# ---- refresh: segments as tables in the target engine (segment_assistant/refresh_cli.py) ------------------

from segment_assistant.refresh_cli import register as _register_refresh  # noqa: E402

_register_refresh(app)


# ---- errors -------------------------------------------------------------------------------------------------

def _report(err: CliError, as_json: bool) -> None:
    if as_json:
        inputs.emit_json({"error": {"code": err.code, "message": err.message,
                              "diagnostics": [d.model_dump(exclude_none=True) for d in err.diagnostics]}})
        return
    err_console.print(f"[bold red]error:[/] {err.message}", highlight=False)
    for d in err.diagnostics:
        err_console.print(d.render(err.source), highlight=False, markup=False)


def _run(command: Any, args: list[str], prog_name: str | None, extra: dict) -> int:
    """Run the command line; expected errors become messages and exit 1, never tracebacks."""
    as_json = "--json" in args
    try:
        RootGroup.main(command, args=args, prog_name=prog_name, standalone_mode=False, **extra)
        return 0
    except CliError as err:
        _report(err, as_json)
        return 1
    except (typer.Exit, SystemExit) as done:
        return getattr(done, "exit_code", getattr(done, "code", 0)) or 0
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except TyperException as err:  # usage errors: an unknown option, a missing argument
        if as_json:
            inputs.emit_json({"error": {"code": "usage", "message": err.format_message(), "diagnostics": []}})
        else:
            err.show()
        return err.exit_code
    except Exception as err:  # anything unexpected: still a message, never a traceback
        _report(CliError("internal", f"internal error: {type(err).__name__}: {err} (please report this)"), as_json)
        return 70


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # python -m segment_assistant.cli, as the console script
    main()
