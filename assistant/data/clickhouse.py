"""ClickHouse behind the database adapter: `chdb:PATH` is embedded ClickHouse (chdb, in this process, tables in
MergeTree under PATH), `clickhouse://user:password@host:8123/database` a server over its HTTP interface
(httpx, no driver). Both answer in ClickHouse's JSONCompact format, read back into Python values by the
column types it names. chdb is an optional extra (`pip install 'segment-assistant[clickhouse]'`).

chdb runs one embedded server per process, bound to the first PATH it opened: a second PATH is an error."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CHDB_PREFIX = "chdb:"
SERVER_SCHEMES = ("clickhouse://", "clickhouses://")

_lock = threading.Lock()
_embedded: dict[str, Any] = {}


def is_clickhouse(target: str) -> bool:
    return str(target).startswith((CHDB_PREFIX, *SERVER_SCHEMES))


class ClickHouseError(Exception):
    """The engine refused a statement; the message is its own."""


def _convert(kind: str):
    """A reader for one JSONCompact value of ClickHouse type `kind` (64-bit integers and decimals arrive as
    strings, dates and times as text)."""
    for wrapper in ("Nullable(", "LowCardinality("):
        while kind.startswith(wrapper):
            kind = kind[len(wrapper):-1]
    if kind.startswith("DateTime"):
        return lambda v: datetime.fromisoformat(v)
    if kind.startswith("Date"):
        return lambda v: date.fromisoformat(v)
    if kind.startswith("Decimal"):
        return lambda v: Decimal(str(v))
    if kind.startswith(("Int", "UInt")):
        return int
    return None


def read_json_compact(text: str) -> tuple[list[str], list[tuple]]:
    if not text.strip():
        return [], []
    doc = json.loads(text)
    names = [m["name"] for m in doc["meta"]]
    readers = [_convert(m["type"]) for m in doc["meta"]]
    rows = [tuple(v if v is None or r is None else r(v) for v, r in zip(row, readers)) for row in doc["data"]]
    return names, rows


class Embedded:
    """An embedded chdb session: `query` returns (column names, rows)."""

    def __init__(self, path: Path):
        try:
            from chdb import session
        except ImportError:
            raise ImportError("chdb: targets need chdb: pip install 'segment-assistant[clickhouse]'") from None
        self.path = path
        self.session = session.Session(str(path))

    def query(self, sql: str, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        select = _is_select(sql)
        settings = f" SETTINGS max_execution_time = {max(1, round(timeout))}" if timeout and select else ""
        try:
            result = self.session.query(sql + settings, "JSONCompact" if select else "CSV")
        except Exception as err:
            raise ClickHouseError(" ".join(str(err).split())) from None
        return read_json_compact(result.data()) if select else ([], [])


def _is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH", "(", "SHOW", "DESCRIBE"))


def embedded(target: str) -> Embedded:
    """The process's chdb session, opened on first use at the path in `chdb:PATH`."""
    path = Path(target[len(CHDB_PREFIX):]).expanduser().resolve()
    with _lock:
        current = _embedded.get("session")
        if current is None:
            path.mkdir(parents=True, exist_ok=True)
            current = _embedded["session"] = Embedded(path)
        elif current.path != path:
            raise ClickHouseError(f"embedded ClickHouse is already open at {current.path} in this process; chdb "
                                  f"serves one path per process, so {path} cannot be opened too")
        return current


class Server:
    """A ClickHouse server over HTTP: each statement is one POST."""

    def __init__(self, url: str):
        import httpx

        parts = urlsplit(url)
        scheme = "https" if parts.scheme == "clickhouses" else "http"
        self.base = f"{scheme}://{parts.hostname}:{parts.port or (8443 if scheme == 'https' else 8123)}/"
        self.params = {"database": parts.path.strip("/") or "default"}
        auth = (unquote(parts.username or "default"), unquote(parts.password or ""))
        self.client = httpx.Client(auth=auth, timeout=None)

    def query(self, sql: str, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        import httpx

        params = dict(self.params, default_format="JSONCompact")
        if timeout:
            params["max_execution_time"] = str(max(1, round(timeout)))
        try:
            response = self.client.post(self.base, params=params, content=sql.encode())
        except httpx.HTTPError as err:
            raise ClickHouseError(f"cannot reach ClickHouse at {self.base}: {err}") from None
        if response.status_code != 200:
            raise ClickHouseError(" ".join(response.text.split()))
        return read_json_compact(response.text)

    def close(self) -> None:
        self.client.close()


# The demo store's tables in MergeTree: the sort key leads with the contact, as a segment's scans group by it.
# Columns are Nullable where the demo's are; occurred_at is not (a sort key), as in most real event tables.
# Date32: birthdays reach back before 1970, where Date stops.
TABLES = {
    "contacts": """CREATE TABLE contacts (contact_id Int64, email Nullable(String), first_name Nullable(String),
        country Nullable(String), city Nullable(String), plan Nullable(String), signup_at Nullable(DateTime),
        birthday Nullable(Date32), email_consent Nullable(Bool), sms_consent Nullable(Bool))
        ENGINE = MergeTree ORDER BY contact_id""",
    "events": """CREATE TABLE events (event_id Int64, contact_id Int64, event LowCardinality(String),
        occurred_at DateTime, channel Nullable(String), product_category Nullable(String),
        amount Nullable(Decimal(12, 2)), discounted Nullable(Bool), url Nullable(String),
        campaign Nullable(String), properties Nullable(String))
        ENGINE = MergeTree ORDER BY (contact_id, occurred_at, event_id)""",
}


def load_parquet(engine: Embedded, folder: Path) -> dict[str, int]:
    """Replace the demo tables with the Parquet files `folder/NAME.parquet` (chdb reads them from disk; a
    server loads them with `clickhouse-client`, see the README); row counts loaded. A file's comment (the
    demo's as-of tag) becomes the table's."""
    from assistant.data.parquet import parquet_comment

    counts = {}
    for table, ddl in TABLES.items():
        engine.query(f"DROP TABLE IF EXISTS {table}")
        comment = parquet_comment(folder / f"{table}.parquet")
        engine.query(ddl + (" COMMENT '" + comment.replace("'", "") + "'" if comment else ""))
        source = (folder / f"{table}.parquet").resolve()
        engine.query(f"INSERT INTO {table} SELECT * FROM file('{source}', Parquet)")
        counts[table] = engine.query(f"SELECT count() FROM {table}")[1][0][0]
    return counts


def table_comment(engine: Embedded | Server, table: str) -> str | None:
    rows = engine.query(f"SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = '{table}'")[1]
    return rows[0][0] if rows and rows[0][0] else None
