"""Members of many segments at once: one statement (`grammar/batch.py`) that shares one scan of the events
between every segment, run on a DuckDB file or a PostgreSQL URL under the adapter's time limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from assistant.data.database import Database
from grammar import ast as A
from grammar.batch import LIST_DIALECTS, batch_sql, lists_sql
from grammar.catalog import Catalog, load_catalog


def members_of_many(database: Database, segments: Mapping[str, A.Condition], as_of: datetime, *,
                    catalog: Catalog | None = None,
                    references: Mapping[str, A.Condition] | None = None) -> dict[str, set[int]]:
    """name -> member contact ids of every segment in `segments` (checked conditions) at `as_of`, from one
    statement. `references` resolves `in segment "..."` (default: `segments` itself); `catalog` defaults to the
    demo catalog. The same members as each segment compiled and run alone."""
    if not segments:
        return {}
    sql = batch_sql(segments, catalog or load_catalog(), database.dialect, as_of, references, pretty=False)
    return fetch_members(lambda query: database.rows(query)[1], sql, database.dialect, segments)


def fetch_members(rows: Callable[[str], list[tuple]], batch: str, dialect: str,
                  names: Iterable[str]) -> dict[str, set[int]]:
    """name -> member ids from a batch statement's rows (segment_name, contact_id), run by `rows`: on DuckDB and
    PostgreSQL as one array per segment (half the time of one row per member), elsewhere row by row."""
    out: dict[str, set[int]] = {name: set() for name in names}
    if dialect in LIST_DIALECTS:
        out.update({name: set(contacts) for name, contacts in rows(lists_sql(batch))})
        return out
    for name, contact in rows(batch):
        out[name].add(contact)
    return out
