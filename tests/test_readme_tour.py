"""The README's "A tour" runs as written: every line, in order, in a fresh directory, through the shell and
the installed console script, against a prepared demo store (SEGMENT_CACHE) so nothing regenerates it.
A line whose comment starts with `error:` must fail with exit code 1 and print that message."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.data import demo_store
from assistant.data.local_postgres import free_port

README = Path(__file__).resolve().parents[1] / "README.md"


def tour() -> list[str]:
    block = re.search(r"^## A tour\n.*?```bash\n(.*?)```", README.read_text(), re.S | re.M)
    assert block, "README has no 'A tour' bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_tour_is_all_segment_assistant_commands():
    lines = tour()
    assert len(lines) >= 15 and all(line.startswith("segment-assistant ") for line in lines)


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict:
    """The default demo store already in the cache (a small one under the default name: same shape and
    as-of), no model configured."""
    cache = tmp_path_factory.mktemp("cache")
    demo_store.write_demo_store(cache / demo_store.default_db_path().name, contacts=2000, seed=7)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SEGMENT_"))}
    env["SEGMENT_CACHE"] = str(cache)
    return env


def _serve(line: str, cwd: Path, env: dict) -> None:
    """`serve` runs until stopped: start it as written (on a free port, not to collide with anything on 8000),
    wait until it answers /health, then stop it."""
    port = free_port()
    server = subprocess.Popen(["bash", "-c", f"exec {line.split('#')[0].strip()} --port {port}"], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    assert answer.status == 200
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"{line!r} did not answer within 60 s")
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow  # every line is a process and `evals run` scores every suite: about a minute in all
def test_every_line_of_the_tour_runs_as_written(tmp_path, environment):
    for line in tour():
        if line.split()[1] == "serve":
            _serve(line, tmp_path, environment)
            continue
        done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600)
        assert "Traceback" not in done.stdout + done.stderr, line
        comment = line.partition("#")[2].strip()
        if comment.startswith("error:"):
            assert done.returncode == 1, line
            assert comment in done.stderr, (line, done.stderr)
        else:
            assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
