"""Build a catalog from a live database (a DuckDB file or a PostgreSQL URL): contact traits from the contacts
table, the distinct event names, which properties occur on each event (typed columns of the events table and
keys of its JSON column), their types and sample values.

The cost does not grow with the number of events: besides the schema look-ups it runs four grouped queries —
the top values of the contacts' string columns, which typed columns are set per event, the top values of the
events' string columns, and the JSON keys, types and values per event. The result is a draft: synonyms and
better descriptions are for people to add."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.data.database import Connection, Database, DatabaseError
from grammar.ast import check_name
from grammar.catalog import Catalog, CatalogError, ContactsTable, EventsTable, EventType, Property, Trait

Progress = Callable[[int, int], None]
STEPS = 5  # schema, contact values, event columns, event values, JSON keys

_BASE_KINDS = {
    "string": {"VARCHAR", "TEXT", "CHAR", "CHARACTER", "CHARACTER VARYING", "BPCHAR", "STRING"},
    "number": {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
               "UBIGINT", "UHUGEINT", "INT2", "INT4", "INT8", "DECIMAL", "NUMERIC", "REAL", "FLOAT", "FLOAT4",
               "FLOAT8", "DOUBLE", "DOUBLE PRECISION"},
    "boolean": {"BOOLEAN", "BOOL"},
    "timestamp": {"TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE",
                  "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME"},
    "date": {"DATE"},
    "json": {"JSON", "JSONB"},
}
# JSON value types as DuckDB's json_each and PostgreSQL's json_typeof name them
_JSON_KINDS = {"VARCHAR": "string", "string": "string", "BIGINT": "number", "UBIGINT": "number",
               "HUGEINT": "number", "DOUBLE": "number", "number": "number", "BOOLEAN": "boolean", "boolean": "boolean"}
_JSON_NULL = {"NULL", "null"}
_PII = {"email", "email_address", "phone", "phone_number", "mobile", "name", "first_name", "last_name", "full_name",
        "given_name", "family_name", "surname", "address", "street", "street_address"}
_CREATED_AT = ("signup_at", "created_at", "registered_at")
_CLOSED_SHARE = 0.05  # a column is categorical when it has fewer distinct values than this share of its rows


class IntrospectError(CatalogError):
    """The database cannot be introspected; the message says what and where."""


@dataclass
class Column:
    name: str
    sql_type: str

    @property
    def kind(self) -> str | None:
        base = re.sub(r"\(.*\)$", "", self.sql_type.strip().upper()).strip()
        return next((kind for kind, names in _BASE_KINDS.items() if base in names), None)


@dataclass
class Values:
    """The most frequent values of a string column (or JSON key), how many distinct values and non-null rows."""

    top: list[str]
    distinct: int
    rows: int

    def closed(self, limit: int) -> bool:
        return self.distinct <= limit and self.distinct < _CLOSED_SHARE * self.rows


def introspect(target: str, *, contacts_table: str = "contacts", events_table: str = "events",
               contact_id: str = "contact_id", event_column: str = "event", time_column: str = "occurred_at",
               json_column: str | None = "properties", sample_limit: int = 12,
               progress: Progress | None = None) -> Catalog:
    """A catalog of the database at `target` (a DuckDB file path or a postgresql:// URL)."""
    return introspect_with_warnings(
        target, contacts_table=contacts_table, events_table=events_table, contact_id=contact_id,
        event_column=event_column, time_column=time_column, json_column=json_column, sample_limit=sample_limit,
        progress=progress)[0]


def introspect_with_warnings(target: str, *, contacts_table: str = "contacts", events_table: str = "events",
                             contact_id: str = "contact_id", event_column: str = "event",
                             time_column: str = "occurred_at", json_column: str | None = "properties",
                             sample_limit: int = 12, progress: Progress | None = None) -> tuple[Catalog, list[str]]:
    """Like `introspect`, plus notes on what was left out or renamed (unsupported types, type conflicts)."""
    def step(done: int) -> None:
        if progress:
            progress(done, STEPS)

    warnings: list[str] = []
    with _connect(target) as db:
        contacts = db.columns(contacts_table, [contact_id])
        events = db.columns(events_table, [contact_id, event_column, time_column])
        _require_kind(events_table, events[event_column], {"string"}, "the event column must hold event names as text")
        _require_kind(events_table, events[time_column], {"timestamp", "date"}, "the time column must be a timestamp")
        json_col = events.get(json_column) if json_column else None
        if json_col is not None and json_col.kind != "json":
            warnings.append(f"{events_table}.{json_column} is {json_col.sql_type}, not JSON: read as a plain column")
            json_col = None
        own_id = db.primary_key(events_table) | {"id", "event_id"}  # the events' own key is no property
        step(1)

        traits = _traits(db, contacts_table, contacts, contact_id, sample_limit, warnings)
        step(2)

        typed = [c for name, c in events.items()
                 if name not in {contact_id, event_column, time_column, *own_id}
                 and (json_col is None or name != json_col.name) and _supported(events_table, c, warnings)]
        presence = db.event_columns(events_table, event_column, [c.name for c in typed])
        step(3)
        column_values = db.top_values(events_table, [c.name for c in typed if c.kind == "string"], sample_limit)
        step(4)
        json_rows, json_values = (db.json_keys(events_table, event_column, json_col, sample_limit)
                                  if json_col else ([], {}))
        step(5)

    properties: dict[str, Property] = {}
    event_props: dict[str, list[str]] = {value: [] for value in presence}
    for i, col in enumerate(typed):
        used_on = [value for value, counts in presence.items() if counts[i] > 0]
        if not used_on:
            continue
        name = _name(col.name, properties, warnings, f"{events_table}.{col.name}")
        properties[name] = _field(Property, col.kind, f"{col.name} column of {events_table}",
                                  column_values.get(col.name), sample_limit, column=col.name)
        for value in used_on:
            event_props[value].append(name)
    if json_col is not None:
        _json_properties(json_rows, json_values, events_table, json_col.name, sample_limit, properties,
                         event_props, warnings)

    event_types: dict[str, EventType] = {}
    for value, props in event_props.items():
        name = _name(value, event_types, warnings, f"event {value!r}")
        event_types[name] = EventType(description=f"{value} events", properties=props,
                                      value=None if name == value else value)

    created_at = next((c.name for c in contacts.values() if c.name in _CREATED_AT and c.kind == "timestamp"), None)
    catalog = Catalog(
        name=db.name, description=f"Introspected from {db.label}; add descriptions and synonyms by hand.",
        contacts=ContactsTable(table=contacts_table, id=contact_id, created_at=created_at),
        events_table=EventsTable(table=events_table, contact_id=contact_id, name=event_column, time=time_column,
                                 json_column=json_col.name if json_col else None),
        traits=traits, events=event_types, properties=properties)
    return catalog, warnings


# -- assembling the catalog

def _traits(db: _Database, table: str, columns: dict[str, Column], contact_id: str, limit: int,
            warnings: list[str]) -> dict[str, Trait]:
    kept = [c for name, c in columns.items()
            if name != contact_id and _supported(table, c, warnings)]
    pii = {c.name for c in kept if _is_pii(c.name)}
    # PII is never sampled: sample values end up in the catalog file and in the model's prompt
    values = db.top_values(table, [c.name for c in kept if c.kind == "string" and c.name not in pii], limit)
    traits: dict[str, Trait] = {}
    for col in kept:
        name = _name(col.name, traits, warnings, f"{table}.{col.name}")
        traits[name] = _field(Trait, col.kind, f"{col.name} column of {table}", values.get(col.name), limit,
                              pii=col.name in pii, column=None if name == col.name else col.name)
    return traits


def _json_properties(rows: list[tuple[str, str, str, int]], values: dict[str, Values], table: str, json_name: str,
                     limit: int, properties: dict[str, Property], event_props: dict[str, list[str]],
                     warnings: list[str]) -> None:
    """Add the JSON keys to `properties` and to the events they occur on. `rows` are (event, key, JSON type,
    count) sorted by event and most frequent type first; a key keeps the type it has on the first event."""
    by_key: dict[str, tuple[str, str]] = {}  # key -> (property name, type)
    seen: dict[tuple[str, str], str] = {}    # (event, key) -> the type it has there
    for event, key, json_type, _ in rows:
        kind = _JSON_KINDS.get(json_type)
        if json_type in _JSON_NULL:
            continue
        if kind is None:
            warnings.append(f"{json_name}.{key} on {event} holds {json_type.lower()} values: left out")
            continue
        if (event, key) in seen:
            warnings.append(f"{json_name}.{key} on {event} is mostly {seen[event, key]} but also {kind}: "
                            f"typed {seen[event, key]}")
            continue
        seen[event, key] = kind
        if key not in by_key:
            name = _name(key, properties, warnings, f"{json_name}.{key}")
            properties[name] = _field(Property, kind, f"{key} key of {table}.{json_name}", values.get(key), limit,
                                      json_key=key)
            by_key[key] = (name, kind)
        name, first_kind = by_key[key]
        if kind != first_kind:
            warnings.append(f"{json_name}.{key} is {first_kind} on other events but {kind} on {event}: "
                            f"not listed as a property of {event}")
            continue
        event_props[event].append(name)


def _field(model: type, kind: str, description: str, values: Values | None, limit: int, **extra: Any):
    if kind == "string" and values is not None:
        extra.update(values=values.top, closed=values.closed(limit))
    return model(type=kind, description=description, **extra)


def _name(raw: str, taken: dict[str, Any], warnings: list[str], where: str) -> str:
    """`raw` if it is a valid catalog name, else a normalised one; unique among `taken`."""
    name = raw if _valid(raw) else normalise(raw)
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}_{n}", n + 1
    if unique != name:
        warnings.append(f"{where} is named {unique!r}: {name!r} was taken")
    return unique


def normalise(raw: str) -> str:
    """A valid catalog name for a column, key or event value: lower-case, other characters to _."""
    name = re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_") or "field"
    if name[0].isdigit():
        name = "_" + name
    return name if _valid(name) else f"{name}_field"  # a keyword of the language


def _valid(name: str) -> bool:
    try:
        check_name(name)
    except ValueError:
        return False
    return True


def _is_pii(column: str) -> bool:
    name = column.lower()
    return name in _PII or name.endswith(("_email", "_phone"))


def _supported(table: str, col: Column, warnings: list[str]) -> bool:
    """Whether a column can be a trait or property (the events' JSON column is read for its keys instead)."""
    if col.kind in (None, "json"):
        warnings.append(f"{table}.{col.name} has type {col.sql_type}, which the catalog cannot describe: left out")
        return False
    return True


def _require_kind(table: str, col: Column, kinds: set[str], why: str) -> None:
    if col.kind not in kinds:
        raise IntrospectError(f"{table}.{col.name} is {col.sql_type}: {why}")


# -- the database side

@contextmanager
def _connect(target: str) -> Iterator[_Database]:
    """The database at `target`, read-only and without a time limit (introspection reads whole tables)."""
    db = Database(target, timeout=None)
    if not db.is_postgres and not Path(target).is_file():
        raise IntrospectError(f"database file not found: {target}")
    try:
        with db.connect() as conn:
            if conn.postgres:
                name = str(conn.raw.info.dbname)
                yield _Database(conn, name, f"PostgreSQL database {name!r}")
            else:
                yield _Database(conn, Path(target).stem, target)
    except DatabaseError as err:  # opening failed (a query failure is an IntrospectError already)
        raise IntrospectError(str(err)) from None


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _split(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return schema or None, name


class _Database:
    """One open connection, and the queries introspection needs in its dialect."""

    def __init__(self, conn: Connection, name: str, label: str):
        self.conn, self.name, self.label, self.postgres = conn, name, label, conn.postgres
        self._schema: str | None = None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        try:
            return self.conn.rows(sql, params)
        except DatabaseError as err:
            raise IntrospectError(f"introspecting {self.label} failed: {err.detail}") from None

    def table_ref(self, table: str) -> str:
        schema, name = _split(table)
        return f"{_q(schema)}.{_q(name)}" if schema else _q(name)

    def schema_of(self, table: str) -> str:
        schema, _ = _split(table)
        if schema:
            return schema
        if self._schema is None:
            self._schema = self.rows("SELECT current_schema()")[0][0]
        return self._schema

    def columns(self, table: str, required: list[str]) -> dict[str, Column]:
        """The table's columns in order; an error naming what is there when the table or a column is missing."""
        schema, name = self.schema_of(table), _split(table)[1]
        found = self.rows("SELECT column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, name])
        if not found:
            tables = [r[0] for r in self.rows("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = ? ORDER BY table_name", [schema])]
            raise IntrospectError(f"table {table!r} not found in {self.label} "
                                  f"(tables there: {', '.join(tables) or 'none'})")
        columns = {n: Column(n, t) for n, t in found}
        missing = [c for c in required if c not in columns]
        if missing:
            what = "column" if len(missing) == 1 else "columns"
            raise IntrospectError(f"table {table!r} has no {what} {', '.join(map(repr, missing))} "
                                  f"(its columns: {', '.join(columns)})")
        return columns

    def primary_key(self, table: str) -> set[str]:
        return {r[0] for r in self.rows(
            "SELECT k.column_name FROM information_schema.table_constraints t "
            "JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name "
            "AND k.table_schema = t.table_schema AND k.table_name = t.table_name "
            "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = ? AND t.table_name = ?",
            [self.schema_of(table), _split(table)[1]])}

    def top_values(self, table: str, columns: list[str], limit: int) -> dict[str, Values]:
        """The most frequent values of each column, their number of distinct values and of non-null rows."""
        if not columns:
            return {}
        table_ref = self.table_ref(table)
        if self.postgres:  # a row store: one scan, each row unpivoted into (column index, value)
            pairs = ", ".join(f"({i}, CAST({_q(c)} AS VARCHAR))" for i, c in enumerate(columns))
            counts = (f"SELECT u.i, u.v, count(*) AS n FROM {table_ref} CROSS JOIN LATERAL (VALUES {pairs}) AS u(i, v) "
                      "WHERE u.v IS NOT NULL GROUP BY u.i, u.v")
        else:  # a column store: one grouped read per column is several times faster than unpivoting
            counts = " UNION ALL ".join(
                f"SELECT {i} AS i, CAST({_q(c)} AS VARCHAR) AS v, count(*) AS n FROM {table_ref} "
                f"WHERE {_q(c)} IS NOT NULL GROUP BY {_q(c)}" for i, c in enumerate(columns))
        rows = self.rows(f"""
            WITH v AS ({counts}),
            r AS (
                SELECT i, v, row_number() OVER (PARTITION BY i ORDER BY n DESC, v) AS rn,
                       count(*) OVER (PARTITION BY i) AS d, sum(n) OVER (PARTITION BY i) AS total
                FROM v)
            SELECT i, v, d, total FROM r WHERE rn <= ? ORDER BY i, rn""", [limit])
        out: dict[str, Values] = {}
        for i, value, distinct, total in rows:
            out.setdefault(columns[i], Values([], int(distinct), int(total))).top.append(value)
        return out

    def event_columns(self, table: str, event: str, columns: list[str]) -> dict[str, list[int]]:
        """For each event name, how many of its rows set each of `columns`."""
        counts = "".join(f", count({_q(c)})" for c in columns)
        rows = self.rows(f"SELECT {_q(event)}{counts} FROM {self.table_ref(table)} "
                         f"WHERE {_q(event)} IS NOT NULL GROUP BY {_q(event)} ORDER BY {_q(event)}")
        return {r[0]: list(r[1:]) for r in rows}

    def json_keys(self, table: str, event: str, json_col: Column, limit: int
                  ) -> tuple[list[tuple[str, str, str, int]], dict[str, Values]]:
        """(event, key, JSON type, count) for every key of the JSON column, and the top string values per key,
        from one scan."""
        ev, js = _q(event), _q(json_col.name)
        if self.postgres:
            fn = "jsonb" if json_col.sql_type.lower() == "jsonb" else "json"
            pairs = f"""
                SELECT e.{ev} AS ev, j.key AS k, {fn}_typeof(j.value) AS t,
                       CASE WHEN {fn}_typeof(j.value) = 'string' THEN j.value #>> '{{}}' END AS v, count(*) AS n
                FROM {self.table_ref(table)} AS e
                CROSS JOIN LATERAL {fn}_each(CASE WHEN {fn}_typeof(e.{js}) = 'object' THEN e.{js} END) AS j
                WHERE e.{ev} IS NOT NULL GROUP BY 1, 2, 3, 4"""
        else:
            pairs = f"""
                SELECT e.{ev} AS ev, j.key AS k, j.type AS t,
                       CASE WHEN j.type = 'VARCHAR' THEN j.value ->> '$' END AS v, count(*) AS n
                FROM {self.table_ref(table)} AS e, json_each(e.{js}) AS j
                WHERE e.{ev} IS NOT NULL AND json_type(e.{js}) = 'OBJECT' GROUP BY 1, 2, 3, 4"""
        rows = self.rows(f"""
            WITH kv AS ({pairs}),
            vals AS (SELECT k, v, sum(n) AS n FROM kv WHERE v IS NOT NULL GROUP BY k, v),
            ranked AS (
                SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY n DESC, v) AS rn,
                       count(*) OVER (PARTITION BY k) AS d, sum(n) OVER (PARTITION BY k) AS total
                FROM vals)
            SELECT ev, k, t, NULL AS v, CAST(sum(n) AS BIGINT) AS n, NULL AS d, NULL AS rn
            FROM kv GROUP BY ev, k, t
            UNION ALL
            SELECT NULL, k, NULL, v, CAST(total AS BIGINT), CAST(d AS BIGINT), rn FROM ranked WHERE rn <= ?""",
            [limit])
        # key rows have an event; value rows (the top string values of a key over all events) have none
        keys = sorted(((e, k, t, int(n)) for e, k, t, _, n, _, _ in rows if e is not None),
                      key=lambda r: (r[0], -r[3], r[1], r[2]))
        values: dict[str, Values] = {}
        for _, k, _, v, total, distinct, _ in sorted((r for r in rows if r[0] is None), key=lambda r: (r[1], r[6])):
            values.setdefault(k, Values([], int(distinct), int(total))).top.append(v)
        return keys, values
