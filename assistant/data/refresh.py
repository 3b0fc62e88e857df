"""Members of many segments at once: one statement (`grammar/batch.py`) that shares one scan of the events
between every segment, run on a DuckDB file or a PostgreSQL URL under the adapter's time limit."""

from __future__ import annotations

from collections.abc import Mapping
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
    out: dict[str, set[int]] = {name: set() for name in segments}
    if database.dialect in LIST_DIALECTS:  # one array per segment: half the time of one row per member
        for name, contacts in database.rows(lists_sql(sql))[1]:
            out[name] = set(contacts)
        return out
    for name, contact in database.rows(sql)[1]:
        out[name].add(contact)
    return out
