"""`segment-assistant refresh [NAME...]`: saved segments written as tables in the target engine, with a
snapshot each (assistant/refresh.py); kept apart from cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segment_assistant import inputs
from segment_assistant.help import PlainCommand
from segment_assistant.store_cli import JsonOpt, StoreOpt


def register(app: typer.Typer) -> None:
    @app.command("refresh", cls=PlainCommand)
    def refresh(names: Optional[list[str]] = typer.Argument(None, help="Segments (default: every saved one)."),
                db: Optional[str] = typer.Option(None, "--db", envvar="SEGMENT_DB",
                                                 help="Where the tables go: a DuckDB file, a PostgreSQL URL, "
                                                      "chdb:PATH, clickhouse://... or spark:FOLDER."),
                prefix: str = typer.Option("segment_", "--prefix", help="Table name = prefix + segment name."),
                as_of: Optional[str] = typer.Option(None, "--as-of"),
                catalog: Optional[Path] = typer.Option(None, "--catalog"),
                store: Optional[Path] = StoreOpt, as_json: bool = JsonOpt) -> None:
        """Write each saved segment's members as a table named prefix + segment name (one column, contact_id)
        where the data lives, replaced atomically, and record a snapshot of each."""
        from assistant import refresh as refreshing
        from assistant.data.tables import RefreshError

        st = inputs.store(store)
        database = inputs.database(db)
        cat = inputs.catalog(catalog)
        when = inputs.as_of(as_of, database.target)
        try:
            count = len(names or refreshing.saved_names(st))
            if count > 1 and not as_json:
                with inputs.progress() as bar:
                    task = bar.add_task("writing segment tables", total=count)
                    done = refreshing.refresh(st, database, cat, when, names or (), prefix,
                                              lambda i, total: bar.update(task, completed=i))
            else:
                done = refreshing.refresh(st, database, cat, when, names or (), prefix)
        except RefreshError as err:
            raise inputs.CliError("refresh_failed", str(err)) from None
        if as_json:
            inputs.emit_json({"as_of": when.isoformat(sep=" "), "target": database.target,
                              "tables": [r.model_dump() for r in done]})
            return
        if not done:
            inputs.console.print(f"no saved segments in {st.db.target}: nothing to refresh (save one with: "
                                 f"segment-assistant segments save NAME -e '...')", highlight=False)
        for r in done:
            inputs.console.print(f"{r.table}: {r.count:,} members ({r.name}, snapshot {r.snapshot_id})",
                                 highlight=False)
