"""The SQLite store: several processes saving versions of the same segments at once lose nothing (numbers
unique and dense), a writer killed with SIGKILL mid-loop leaves a database that opens with every committed
version, a YAML store imports once, and chats keep append-only versions that survive the process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from assistant.chats import ChatConflict, ChatStore
from assistant.data.preview import Database
from assistant.segments import InUse, SegmentStore, definition_diff
from assistant.store import StoreError
from assistant.translate.offline import OfflineTranslator
from grammar.errors import SegmentError
from grammar.parser import parse

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 1)

WRITER = textwrap.dedent("""
    import sys
    from assistant.segments import SegmentStore
    from grammar.catalog import load_catalog
    from grammar.parser import parse

    path, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store, catalog = SegmentStore(path), load_catalog()
    for i in range(count):
        name = ("shared_a", "shared_b")[i % 2]
        v = store.save(name, parse(f"did order_completed in last {i + 1} days"), catalog, note=f"{who}:{i}")
        print(name, v.version, flush=True)  # printed only after the commit
""")


def _writer(path: Path, who: str, count: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(count)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_two_stores_on_one_file_keep_both_saves(tmp_path, catalog):
    a, b = SegmentStore(tmp_path / "s.db"), SegmentStore(tmp_path / "s.db")
    a.save("buyers", parse("did order_completed"), catalog)
    b.save("germans", parse('country = "DE"'), catalog)
    assert {"buyers", "germans"} <= set(SegmentStore(tmp_path / "s.db").names())
    assert "germans" in a.names() and "buyers" in b.names()  # each cache sees the other's write


def test_processes_saving_at_once_lose_nothing(tmp_path):
    path = tmp_path / "s.db"
    SegmentStore(path)  # the schema exists before the race starts
    writers = [_writer(path, f"p{n}", 20) for n in range(4)]
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
    con = sqlite3.connect(path)
    rows = con.execute("SELECT s.name, v.version, v.note FROM segment_versions v JOIN segments s "
                       "ON s.id = v.segment_id ORDER BY s.name, v.version").fetchall()
    assert sorted(note for _, _, note in rows) == sorted(f"p{n}:{i}" for n in range(4) for i in range(20))
    for name in ("shared_a", "shared_b"):
        assert [v for n, v, _ in rows if n == name] == list(range(1, 41))  # unique and dense


def test_a_writer_killed_mid_loop_loses_no_commit(tmp_path):
    path = tmp_path / "s.db"
    SegmentStore(path)
    writer = _writer(path, "victim", 100_000)
    committed = []
    deadline = time.monotonic() + 120
    while len(committed) < 25 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        committed.append(tuple(line.split()))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert len(committed) >= 25, writer.stderr.read()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SegmentStore(path)
    for name, number in committed:
        store.version(name, int(number))  # every version whose commit was reported is there
    for name in ("shared_a", "shared_b"):
        numbers = [v.version for v in store.history(name)]
        assert numbers == list(range(1, len(numbers) + 1))


def test_versions_rename_archive_and_diff(tmp_path, catalog, demo_db):
    store = SegmentStore(tmp_path / "s.db")
    store.save("buyers", parse("did order_completed in last 30 days"), catalog, note="first")
    v2 = store.save("buyers", parse("did order_completed in last 60 days"), catalog, note="wider")
    assert (v2.version, v2.note) == (2, "wider") and store.history("buyers")[0].note == "first"
    assert definition_diff(store.version("buyers", 1).condition, v2.condition)[-2:] == [
        "-did order_completed in last 30 days", "+did order_completed in last 60 days"]
    store.save("fans", parse('in segment "buyers"'), catalog)
    with pytest.raises(SegmentError, match="cycle"):
        store.save("buyers", parse('in segment "fans"'), catalog)
    with pytest.raises(InUse):
        store.rename("buyers", "purchasers")
    with pytest.raises(InUse):
        store.archive("buyers")
    store.archive("fans")
    assert "fans" not in store.names() and store.history("fans")  # history stays
    store.rename("buyers", "purchasers")
    assert "purchasers" in store.names() and "buyers" not in store.names()
    assert [v.version for v in store.history("purchasers")] == [1, 2]
    with pytest.raises(KeyError):
        store.version("purchasers", 3)
    store.save("fans", parse("did order_completed"), catalog)  # saving brings it back, as version 2
    assert [v.version for v in store.history("fans")] == [1, 2]


def test_yaml_store_imports_once_and_yaml_paths_are_refused(tmp_path, catalog):
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump({"buyers": [
        {"version": 1, "dsl": "did order_completed in last 30 days", "saved_at": "2026-01-01T00:00:00+00:00", "note": "a"},
        {"version": 2, "dsl": "did order_completed  in last 60 days", "saved_at": "2026-01-02T00:00:00+00:00", "note": ""},
    ]}))
    store = SegmentStore(tmp_path / "s.db")
    assert store.import_yaml(old) == 2
    assert store.import_yaml(old) == 0
    assert [(v.version, v.dsl, v.note) for v in store.history("buyers")] == [
        (1, "did order_completed in last 30 days", "a"), (2, "did order_completed in last 60 days", "")]
    with pytest.raises(StoreError, match="segments import"):
        SegmentStore(old)


def _chat(tmp_path, catalog, ttl=3600.0):
    store = SegmentStore(tmp_path / "s.db")
    return ChatStore(store.db, ttl_s=ttl), store


def _turn(chats, chat_id, text, catalog):
    record = chats.load(chat_id)
    session = chats.session(record, OfflineTranslator(), catalog, {})
    return chats.commit(record, session, session.send(text))


def test_chat_versions_never_repeat_and_survive_the_process(tmp_path, catalog):
    chats, _ = _chat(tmp_path, catalog)
    chat = chats.create(AS_OF)
    assert _turn(chats, chat.id, "people on the trial plan", catalog)["version"] == 1
    assert _turn(chats, chat.id, "only those in France", catalog)["version"] == 2
    assert _turn(chats, chat.id, "undo", catalog)["version"] == 1
    third = _turn(chats, chat.id, "only those in Germany", catalog)
    assert third["version"] == 3 and third["dsl"] == 'plan = "trial" and country = "DE"'
    again = ChatStore(SegmentStore(tmp_path / "s.db").db).load(chat.id)  # a fresh process's view
    assert again.head == 3 and again.parents == [0, 1, 1] and len(again.turns) == 4
    assert [t["request"] for t in again.turns][-1] == "only those in Germany"


def test_a_chat_changed_meanwhile_is_a_conflict_and_idle_chats_expire(tmp_path, catalog):
    chats, _ = _chat(tmp_path, catalog)
    chat = chats.create(AS_OF)
    stale = chats.load(chat.id)
    _turn(chats, chat.id, "people in Germany", catalog)
    session = chats.session(stale, OfflineTranslator(), catalog, {})
    with pytest.raises(ChatConflict):
        chats.commit(stale, session, session.send("people in France"))
    assert chats.load(chat.id).head == 1
    short = ChatStore(chats.db, ttl_s=0.05)
    time.sleep(0.1)
    with pytest.raises(KeyError):
        short.load(chat.id)


def test_snapshots_and_export(tmp_path, catalog, demo_db):
    from assistant import membership
    from assistant.data.preview import member_ids
    from grammar.compile import compile_segment

    store = SegmentStore(tmp_path / "s.db")
    store.save("germans", parse('country = "DE"'), catalog)
    db = Database(demo_db)
    want = sorted(member_ids(db, compile_segment(parse('country = "DE"'), catalog, "duckdb", AS_OF)))
    shot = membership.take_snapshot(store, "germans", db, catalog, AS_OF, keep_members=True)
    assert (shot.count, shot.total, shot.version, shot.members) == (len(want), 2000, 1, True)
    membership.take_snapshot(store, "vips", db, catalog, AS_OF)  # a template: version 0
    assert [s.count for s in membership.snapshots(store, "germans")] == [len(want)]
    assert membership.snapshots(store, "vips")[0].version == 0
    rows = list(membership.export_rows(store, "germans", db, catalog, AS_OF, hash_emails=True))
    assert [r["contact_id"] for r in rows] == want
    assert all("***@" in r["email"] and len(r["email_sha256"]) == 64 for r in rows)
    plain = list(membership.export_rows(store, "germans", db, catalog, AS_OF, show_pii=True, hash_emails=True))
    assert plain[0]["email_sha256"] == membership.email_hash(plain[0]["email"].upper() + " ")
    csv_text = "".join(membership.export_lines(iter(rows), "csv", membership.export_header(catalog, True)))
    assert csv_text.splitlines()[0] == "contact_id,email,email_sha256" and len(csv_text.splitlines()) == len(want) + 1
