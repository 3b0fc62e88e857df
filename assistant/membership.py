"""Membership over time and out of the system: snapshots record how many people a saved segment (or a
template) selected at an instant, optionally who; exports stream the members as CSV or JSONL, emails masked
unless asked, with an optional SHA-256 of the normalised email (the form ad platforms match on)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel
from sqlglot import exp

from assistant.data.preview import Database, PreviewError, mask_email, member_ids
from assistant.segments import SegmentStore
from grammar.catalog import Catalog
from grammar.compile import compile_expression, compile_segment, compile_universe

Format = Literal["csv", "jsonl"]
BATCH = 5000


class Snapshot(BaseModel):
    id: int
    name: str
    version: int                 # the version it was taken of (0: a template)
    as_of: str
    taken_at: str
    count: int
    total: int
    members: bool                # whether the member ids were kept


def _current_version(store: SegmentStore, name: str) -> int:
    history = store.history(name)  # KeyError when unknown
    return 0 if history[-1].note == "template" and not store.is_saved(name) else history[-1].version


def take_snapshot(store: SegmentStore, name: str, database: Database, catalog: Catalog, as_of: datetime,
                  keep_members: bool = False) -> Snapshot:
    """Count (and optionally keep) the members of `name`'s current definition at `as_of`."""
    version = _current_version(store, name)
    segments = store.conditions()
    node = store.condition(name)
    members = member_ids(database, compile_segment(node, catalog, database.dialect, as_of, segments))
    total_sql = exp.select(exp.Count(this=exp.Star())).from_(compile_universe(catalog, as_of).subquery("u"))
    total = database.rows(total_sql.sql(database.dialect))[1][0][0]
    taken = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with store.db.write() as conn:
        cur = conn.execute("INSERT INTO snapshots (name, version, as_of, taken_at, count, total, members) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (name, version, as_of.isoformat(sep=" "), taken, len(members), total,
                            json.dumps(sorted(members)) if keep_members else None))
    return Snapshot(id=cur.lastrowid, name=name, version=version, as_of=as_of.isoformat(sep=" "), taken_at=taken,
                    count=len(members), total=total, members=keep_members)


def snapshots(store: SegmentStore, name: str) -> list[Snapshot]:
    """The size history of a segment, oldest first."""
    rows = store.db.conn.execute(
        "SELECT id, name, version, as_of, taken_at, count, total, members IS NOT NULL FROM snapshots "
        "WHERE name = ? ORDER BY taken_at, id", (name,)).fetchall()
    return [Snapshot(id=r[0], name=r[1], version=r[2], as_of=r[3], taken_at=r[4], count=r[5], total=r[6],
                     members=bool(r[7])) for r in rows]


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def export_rows(store: SegmentStore, name: str, database: Database, catalog: Catalog, as_of: datetime,
                show_pii: bool = False, hash_emails: bool = False) -> Iterator[dict]:
    """Members in contact-id order, read in batches: `contact_id`, `email` (masked unless `show_pii`), and
    `email_sha256` when asked. The query runs before the first row is yielded, so a failure is raised
    before anything was sent."""
    segments = store.conditions()
    node = store.condition(name)
    cid = catalog.contacts.id
    email_col = catalog.trait_column("email") if "email" in catalog.traits else None
    columns = [exp.column(cid, "c")] + ([exp.column(email_col, "c")] if email_col else [])
    sql = (exp.select(*columns).from_(exp.alias_(exp.to_table(catalog.contacts.table), "c", table=True))
           .where(exp.In(this=exp.column(cid, "c"), query=compile_expression(node, catalog, as_of, segments,
                                                                             dialect=database.dialect).subquery()))
           .order_by(exp.column(cid, "c"))).sql(database.dialect)
    connection = database.connect()
    conn = connection.__enter__()
    try:
        cursor = conn.cursor(sql)
    except Exception as err:
        connection.__exit__(None, None, None)
        raise PreviewError(f"the export query failed: {str(err).strip()}") from None
    return _rows(connection, cursor, email_col is not None, show_pii, hash_emails)


def _rows(connection, cursor, has_email: bool, show_pii: bool, hash_emails: bool) -> Iterator[dict]:
    try:
        while batch := cursor.fetchmany(BATCH):
            for row in batch:
                out = {"contact_id": row[0]}
                if has_email:
                    email = row[1]
                    out["email"] = email if show_pii or email is None else mask_email(email)
                    if hash_emails:
                        out["email_sha256"] = None if email is None else email_hash(email)
                yield out
    finally:
        connection.__exit__(None, None, None)


def export_header(catalog: Catalog, hash_emails: bool) -> list[str]:
    has_email = "email" in catalog.traits
    return ["contact_id"] + (["email"] if has_email else []) + (["email_sha256"] if has_email and hash_emails else [])


def export_lines(rows: Iterator[dict], fmt: Format, header: list[str]) -> Iterator[str]:
    """CSV (with a header) or JSON lines, one string per member."""
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([row.get(k) for k in header])
        yield buffer.getvalue()
