"""The installed `segment-assistant` console script itself, started as a process (everything else about the
commands is tested in-process in tests/test_cli.py): exit codes, `--json` stdout that is exactly one JSON
object, errors without a traceback, and a start-up that does not load the heavy libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SEGMENT_"))}
    done = subprocess.run(["segment-assistant", *args], input=stdin, capture_output=True, text=True, timeout=300,
                          env=environment)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def one_json_object(stdout: str) -> dict:
    """stdout holds exactly one JSON object and nothing else (a program reads it with one json.loads)."""
    assert stdout.endswith("}\n") and stdout.count("\n") == 1, stdout
    value = json.loads(stdout)
    assert isinstance(value, dict)
    return value


def test_json_answer_is_one_object_and_exit_0(demo_db):
    done = run("draft", "people on the trial plan", "--db", demo_db, "--as-of", "2026-11-01", "--json")
    assert done.returncode == 0, done.stderr
    out = one_json_object(done.stdout)
    assert out["dsl"] == 'plan = "trial"' and out["status"] == "complete" and out["count"] > 0


def test_errors_exit_non_zero_without_a_traceback():
    done = run("validate", "-e", "did purchase in last 3 days")
    assert done.returncode == 1 and done.stdout == ""
    assert "unknown event 'purchase' (did you mean order_completed?)" in done.stderr
    done = run("validate", "-e", "did purchase in last 3 days", "--json")
    assert done.returncode == 1 and one_json_object(done.stdout)["error"]["code"] == "invalid_segment"
    done = run("compile", "--nope", "--json")
    assert done.returncode == 2 and one_json_object(done.stdout)["error"]["code"] == "usage"
    done = run("draft")
    assert done.returncode == 2 and "Missing argument 'TEXT'" in done.stderr


def test_help_exits_0():
    done = run("--help")
    assert done.returncode == 0 and "draft" in done.stdout and "evals" in done.stdout


HEAVY = ["duckdb", "numpy", "fastapi", "openai", "sqlglot", "uvicorn", "lark", "pygments", "yaml", "httpx",
         "grammar.ast", "assistant.pipeline", "evals.cli", "api.app"]


def test_importing_the_cli_loads_no_heavy_library():
    """`segment-assistant --help` answers at once: the commands import what they need when they run."""
    code = ("import sys, segment_assistant.cli; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["--help"], ["draft", "--help"], ["compile", "--nope"]])
def test_help_and_usage_errors_load_no_heavy_library(args):
    heavy = [m for m in HEAVY if m != "pygments"]  # Typer's rich help loads pygments itself
    code = ("import sys\nfrom segment_assistant import cli\n"
            f"sys.argv = ['segment-assistant', *{args!r}]\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
