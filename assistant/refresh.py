"""`refresh`: saved segments written as tables in the target engine (`assistant/data/tables.py`), each with a
membership snapshot (its count) recorded in the segment store, so a campaign tool reads members from the
warehouse instead of pulling them through the assistant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from pydantic import BaseModel
from sqlglot import exp

from assistant.data.database import Database, DatabaseError
from assistant.data.tables import PREFIX, RefreshError, check_prefix, write_tables
from assistant.membership import _current_version
from assistant.segments import SegmentStore
from grammar.catalog import Catalog
from grammar.compile import compile_universe


class Refreshed(BaseModel):
    name: str
    table: str
    count: int
    snapshot_id: int


def saved_names(store: SegmentStore) -> list[str]:
    """Every saved, non-archived segment."""
    return [n for n in store.names() if store.is_saved(n) and not store.archived(n)]


def refresh(store: SegmentStore, database: Database, catalog: Catalog, as_of: datetime,
            names: Sequence[str] = (), prefix: str = PREFIX,
            progress: Callable[[int, int], None] | None = None) -> list[Refreshed]:
    """Write `names` (default: every saved segment; none saved: nothing) as tables `<prefix><name>` in
    `database` and record a snapshot of each. Unknown names are refused before anything is written."""
    check_prefix(prefix)
    known = store.names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RefreshError(f"no segment named {', '.join(map(repr, unknown))} in the store {store.db.target} "
                           f"(list them with: segment-assistant segments list)")
    chosen = list(dict.fromkeys(names)) or saved_names(store)
    if not chosen:  # nothing saved yet: nothing to write
        return []
    references = store.conditions()
    written = write_tables(database, {n: store.condition(n) for n in chosen}, catalog, as_of, references,
                           prefix, progress)
    total = _total(database, catalog, as_of)
    taken = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = []
    with store.db.write() as conn:
        for w in written:
            cur = conn.execute("INSERT INTO snapshots (name, version, as_of, taken_at, count, total, members) "
                               "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                               (w.name, _current_version(store, w.name), as_of.isoformat(sep=" "), taken,
                                w.count, total))
            out.append(Refreshed(name=w.name, table=w.table, count=w.count, snapshot_id=cur.lastrowid))
    return out


def _total(database: Database, catalog: Catalog, as_of: datetime) -> int:
    sql = exp.select(exp.Count(this=exp.Star())).from_(compile_universe(catalog, as_of).subquery("u"))
    try:
        return database.rows(sql.sql(database.dialect))[1][0][0]
    except DatabaseError as err:
        raise RefreshError(f"the tables were written, but counting the contacts in {database.target} failed: "
                           f"{err.detail}") from None
