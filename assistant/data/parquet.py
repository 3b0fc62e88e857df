"""Write a DuckDB store's tables as Parquet, the form Spark reads and chdb loads: `FOLDER/NAME.parquet`, rows
in key order. JSON columns become text (Spark and ClickHouse read JSON from strings). A table's comment (the
demo store's as-of tag) travels as the file's key-value metadata `comment`."""

from __future__ import annotations

from pathlib import Path

from assistant.data.database import Database

TABLES = {"contacts": "contact_id", "events": "event_id"}


def export_parquet(duckdb_path: str, folder: str | Path) -> dict[str, int]:
    """Write the contacts and events tables of the DuckDB file into `folder`; row counts written. Each file is
    written under a temporary name and renamed, so a reader never sees half a table."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    with Database(duckdb_path, timeout=None).connect() as conn:
        for table, key in TABLES.items():
            json_cols = [name for name, kind in conn.rows(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table])
                if kind == "JSON"]
            comment = conn.rows("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table])
            kv = f", KV_METADATA {{comment: '{comment[0][0]}'}}" if comment and comment[0][0] else ""
            replace = f" REPLACE ({', '.join(f'CAST({c} AS VARCHAR) AS {c}' for c in json_cols)})" if json_cols else ""
            final, tmp = folder / f"{table}.parquet", folder / f".{table}.parquet.partial"
            path = str(tmp).replace("'", "''")
            conn.query(f"COPY (SELECT *{replace} FROM {table} ORDER BY {key}) TO '{path}' "
                       f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000{kv})")
            tmp.replace(final)
            counts[table] = conn.rows(f"SELECT count(*) FROM {table}")[0][0]
    return counts


def parquet_comment(path: str | Path) -> str | None:
    """The `comment` a Parquet file carries in its key-value metadata, if any."""
    import duckdb

    try:
        rows = duckdb.connect().execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = 'comment'",
                                        [str(path)]).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0].decode() if rows else None
