"""`segment-assistant segments import | rename | archive | snapshot | snapshots | export`: the commands of the
SQLite segment store, kept apart from cli.py; they share its inputs and errors (segment_assistant/inputs.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from segment_assistant import inputs
from segment_assistant.help import PlainCommand

StoreOpt = typer.Option(None, "--store", envvar="SEGMENT_STORE",
                        help="SQLite store (.db/.sqlite; default: segments.db in the cache folder).")
JsonOpt = typer.Option(False, "--json", help="Print one JSON object (for programs).")


def register(segments_app: typer.Typer) -> None:
    @segments_app.command("import", cls=PlainCommand)
    def segments_import(source: Path = typer.Argument(..., help="A YAML store written by older versions."),
                        store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
        """Bring a YAML segment store over into the SQLite store (importing twice adds nothing)."""
        from assistant.store import StoreError
        from grammar.errors import SegmentError

        if not source.is_file():
            raise inputs.CliError("usage", f"no such file: {source}")
        st = inputs.store(store)
        try:
            added = st.import_yaml(source)
        except (StoreError, SegmentError, ValueError, TypeError) as err:
            raise inputs.CliError("store", f"cannot import {source}: {err}") from None
        target = st.db.path
        if as_json:
            inputs.emit_json({"imported": added, "store": str(target)})
        else:
            inputs.console.print(f"imported {added} versions into {target}")

    @segments_app.command("rename", cls=PlainCommand)
    def segments_rename(name: str, new_name: str, store: Optional[Path] = StoreOpt) -> None:
        """Rename a saved segment (refused while other segments reference it)."""
        from assistant.store import StoreError
        from grammar.errors import SegmentError

        try:
            inputs.store(store).rename(name, new_name)
        except KeyError:
            raise inputs.CliError("not_found", f"no saved segment named {name!r}") from None
        except (StoreError, SegmentError) as err:
            raise inputs.CliError("conflict", str(err)) from None
        inputs.console.print(f"renamed {name} to {new_name}")

    @segments_app.command("archive", cls=PlainCommand)
    def segments_archive(name: str, store: Optional[Path] = StoreOpt) -> None:
        """Hide a saved segment from lists and references (its history stays; saving it again restores it)."""
        from assistant.store import StoreError

        try:
            inputs.store(store).archive(name)
        except KeyError:
            raise inputs.CliError("not_found", f"no saved segment named {name!r}") from None
        except StoreError as err:
            raise inputs.CliError("conflict", str(err)) from None
        inputs.console.print(f"archived {name}")

    @segments_app.command("snapshot", cls=PlainCommand)
    def segments_snapshot(name: str, keep_members: bool = typer.Option(False, "--keep-members",
                                                                       help="Also keep who the members are."),
                          db: Optional[str] = typer.Option(None, "--db", envvar="SEGMENT_DB"),
                          as_of: Optional[str] = typer.Option(None, "--as-of"),
                          catalog: Optional[Path] = typer.Option(None, "--catalog"),
                          store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
        """Record how many people a segment selects now (its size history: `segments snapshots NAME`)."""
        from assistant import membership
        from assistant.data.preview import PreviewError

        st = inputs.store(store)
        if name not in st.names():
            raise inputs.CliError("not_found", f"no segment named {name!r}")
        database = inputs.database(db)
        try:
            shot = membership.take_snapshot(st, name, database, inputs.catalog(catalog), inputs.as_of(as_of, database.target),
                                            keep_members)
        except PreviewError as err:
            raise inputs.CliError("preview_failed", str(err)) from None
        if as_json:
            inputs.emit_json(shot.model_dump())
        else:
            inputs.console.print(f"{name} v{shot.version}: {shot.count:,} of {shot.total:,} contacts as of {shot.as_of}")

    @segments_app.command("snapshots", cls=PlainCommand)
    def segments_snapshots(name: str, store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
        """A segment's size history, oldest first."""
        from assistant import membership

        shots = membership.snapshots(inputs.store(store), name)
        if as_json:
            inputs.emit_json({"name": name, "snapshots": [s.model_dump() for s in shots]})
            return
        for s in shots:
            inputs.console.print(f"{s.taken_at}  v{s.version}  as of {s.as_of}: {s.count:,} of {s.total:,}")

    @segments_app.command("export", cls=PlainCommand)
    def segments_export(name: str, fmt: str = typer.Option("csv", "--format", help="csv or jsonl"),
                        out: Optional[Path] = typer.Option(None, "--out", help="Write here (default: stdout)."),
                        hash_emails: bool = typer.Option(False, "--hash-emails",
                                                         help="Add email_sha256 (lower-cased, trimmed email)."),
                        show_pii: bool = typer.Option(False, "--show-pii", help="Emails unmasked."),
                        db: Optional[str] = typer.Option(None, "--db", envvar="SEGMENT_DB"),
                        as_of: Optional[str] = typer.Option(None, "--as-of"),
                        catalog: Optional[Path] = typer.Option(None, "--catalog"),
                        store: Optional[Path] = StoreOpt) -> None:
        """Stream a segment's members as CSV or JSON lines (contact id, masked email, optional hash)."""
        from assistant import membership
        from assistant.data.preview import PreviewError

        if fmt not in ("csv", "jsonl"):
            raise inputs.CliError("usage", f"--format is csv or jsonl, not {fmt!r}")
        st = inputs.store(store)
        if name not in st.names():
            raise inputs.CliError("not_found", f"no segment named {name!r}")
        cat = inputs.catalog(catalog)
        database = inputs.database(db)
        try:
            rows = membership.export_rows(st, name, database, cat, inputs.as_of(as_of, database.target),
                                          show_pii=show_pii, hash_emails=hash_emails)
        except PreviewError as err:
            raise inputs.CliError("preview_failed", str(err)) from None
        lines = membership.export_lines(rows, fmt, membership.export_header(cat, hash_emails))
        if out is None:
            try:
                sys.stdout.writelines(lines)
                sys.stdout.flush()
            except BrokenPipeError:  # `| head`: the reader has enough; stop quietly (Python's documented recipe)
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(lines)
        inputs.err_console.print(f"wrote {out}")
