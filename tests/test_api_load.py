"""What the API does to stay fast and predictable under load: /v1/compile remembers results (and forgets them
when what they depend on changes), a worker past its in-flight bound answers 503 + Retry-After at once, and
`serve` runs several worker processes on one store without losing a write. (Speed itself is measured by
benchmarks/bench_api.py, not here.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest

from api.app import create_app
from api.compiled import CompileCache
from api.settings import Settings
from grammar.compile import compile_segment
from grammar.parser import parse
from tests.live_server import free_port, live_server

AS_OF = "2026-11-01T00:00:00"


@pytest.fixture(scope="module")
def api(demo_db, tmp_path_factory):
    store = tmp_path_factory.mktemp("load") / "segments.db"
    with live_server(create_app(db=demo_db, store=store), "API") as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client


def _compile(api, **body) -> tuple[str, str]:
    r = api.post("/v1/compile", json={"as_of": AS_OF, **body})
    assert r.status_code == 200, r.text
    return r.json()["sql"], r.headers["x-cache"]


def test_compile_remembers_by_canonical_dsl_dialect_and_as_of(api, catalog, as_of):
    spaced = "did   order_completed  in last 7 days and plan = \"pro\""
    sql, cache = _compile(api, dsl=spaced, dialect="postgres")
    assert cache == "miss"
    assert sql == compile_segment(parse(spaced), catalog, "postgres", as_of)
    # the same definition however it is written: canonical DSL, or the builder's JSON
    assert _compile(api, dsl='did order_completed in last 7 days and plan = "pro"', dialect="postgres") == (sql, "hit")
    condition = api.post("/v1/format", json={"dsl": spaced}).json()["condition"]
    assert _compile(api, condition=condition, dialect="postgres") == (sql, "hit")
    # anything the SQL depends on is part of the key
    other_dialect, cache = _compile(api, dsl=spaced, dialect="bigquery")
    assert cache == "miss" and other_dialect != sql
    r = api.post("/v1/compile", json={"dsl": spaced, "dialect": "postgres", "as_of": "2026-10-01T00:00:00"})
    assert r.headers["x-cache"] == "miss" and "2026-09-24" in r.json()["sql"] and "2026-09-24" not in sql


def test_a_saved_segment_that_changes_is_compiled_again(api, catalog, as_of):
    assert api.post("/v1/segments/load_buyers", json={"dsl": "did order_completed in last 30 days"}).status_code == 201
    first, cache = _compile(api, dsl='in segment "load_buyers"')
    assert cache == "miss" and _compile(api, dsl='in segment "load_buyers"') == (first, "hit")
    assert api.post("/v1/segments/load_buyers", json={"dsl": 'plan = "pro"'}).status_code == 201
    second, cache = _compile(api, dsl='in segment "load_buyers"')
    assert cache == "miss" and second != first
    assert second == compile_segment(parse('plan = "pro"'), catalog, "duckdb", as_of)


def test_the_cache_is_bounded(catalog, as_of):
    cache = CompileCache(catalog, maxsize=2)
    dsls = ["did order_completed", 'plan = "pro"', "signup_at in last 7 days"]
    for dsl in dsls:
        assert cache.sql(dsl, parse(dsl), "duckdb", as_of, 0, {})[1] is False
    assert cache.sql(dsls[2], parse(dsls[2]), "duckdb", as_of, 0, {}) == (
        compile_segment(parse(dsls[2]), catalog, "duckdb", as_of), True)
    assert cache.sql(dsls[0], parse(dsls[0]), "duckdb", as_of, 0, {})[1] is False  # the oldest went first
    assert (cache.hits, cache.misses) == (1, 4)
    assert cache.sql(dsls[0], parse(dsls[0]), "duckdb", as_of, 1, {})[1] is False  # another store revision


def test_past_the_in_flight_bound_a_worker_answers_503_with_retry_after(demo_db, tmp_path):
    app = create_app(db=demo_db, store=tmp_path / "s.db", settings=Settings(max_inflight=0))
    with live_server(app, "API") as url:
        r = httpx.post(f"{url}/v1/validate", json={"dsl": "did order_completed"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "overloaded" and r.json()["request_id"] == r.headers["x-request-id"]
        assert httpx.get(f"{url}/health").status_code == 200  # probes are never shed


@pytest.mark.slow
def test_serve_with_two_workers_keeps_every_concurrent_save(demo_db, tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for key in ("SEGMENT_MODEL", "OPENAI_BASE_URL", "SEGMENT_API_KEY"):
        env.pop(key, None)
    server = subprocess.Popen([sys.executable, "-c", "from segment_assistant.cli import main; main()", "serve",
                               "--port", str(port), "--workers", "2", "--db", demo_db, "--store",
                               str(tmp_path / "s.db")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)

        def save(i: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as client:  # a connection each: both workers take some
                return client.post("/v1/segments/shared", json={"dsl": f"did order_completed at least {i} times",
                                                                "note": str(i)}).status_code

        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(save, range(1, 41))) == [201] * 40
        versions = httpx.get(f"{url}/v1/segments/shared").json()["versions"]
        assert [v["version"] for v in versions] == list(range(1, 41))
        assert sorted(int(v["note"]) for v in versions) == list(range(1, 41))
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "2 worker(s)" in output
