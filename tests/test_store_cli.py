"""The store's commands through the console script: import a YAML store (once), rename, archive, snapshot,
size history and exports to a file and to stdout; a YAML --store is refused with the import hint."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SEGMENT_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(["segment-assistant", *args], capture_output=True, text=True, timeout=300, env=env)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def test_import_snapshot_export(tmp_path, demo_db):
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump({"germans": [
        {"version": 1, "dsl": 'country = "DE"', "saved_at": "2026-01-01T00:00:00+00:00", "note": "from yaml"}]}))
    store = str(tmp_path / "s.db")
    assert json.loads(run("segments", "import", str(old), "--store", store, "--json").stdout)["imported"] == 1
    assert json.loads(run("segments", "import", str(old), "--store", store, "--json").stdout)["imported"] == 0
    refused = run("segments", "list", "--store", str(old))
    assert refused.returncode == 1 and "segments import" in refused.stderr
    shot = json.loads(run("segments", "snapshot", "germans", "--store", store, "--db", demo_db, "--as-of", "2026-11-01",
                          "--json").stdout)
    assert shot["total"] == 2000 and 0 < shot["count"] < 2000 and shot["version"] == 1
    history = json.loads(run("segments", "snapshots", "germans", "--store", store, "--json").stdout)["snapshots"]
    assert [s["count"] for s in history] == [shot["count"]]
    out = tmp_path / "germans.csv"
    assert run("segments", "export", "germans", "--store", store, "--db", demo_db, "--as-of", "2026-11-01",
               "--hash-emails", "--out", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == shot["count"] and all("***@" in r["email"] and len(r["email_sha256"]) == 64 for r in rows)
    lines = run("segments", "export", "germans", "--format", "jsonl", "--show-pii", "--store", store, "--db", demo_db,
                "--as-of", "2026-11-01").stdout.splitlines()
    assert len(lines) == shot["count"] and "***" not in json.loads(lines[0])["email"]
    assert run("segments", "rename", "germans", "deutsche", "--store", store).returncode == 0
    assert run("segments", "archive", "deutsche", "--store", store).returncode == 0
    listed = {s["name"] for s in json.loads(run("segments", "list", "--store", store, "--json").stdout)["segments"]}
    assert "deutsche" not in listed and "germans" not in listed and "vips" in listed
