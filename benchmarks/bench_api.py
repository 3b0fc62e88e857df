"""Benchmark: the HTTP API under load. A real uvicorn (its own process, on loopback) and httpx async clients:
throughput and p50/p99 latency per route (/v1/validate, /v1/compile, /v1/draft) at 50 and 200 concurrent
clients, each run bounded by a request count and a time limit; then /health latency while long previews run
and while an oversized body is being sent, and how fast that body is refused (413).

    python -m benchmarks.bench_api [--db PATH] [--requests 2000] [--seconds 20] [--clients 50 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.data import demo_store

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-01T00:00:00"
BODIES = {
    "/v1/validate": {"dsl": 'did order_completed where (amount > 50) at least 2 times in last 90 days and country in ["DE", "FR"]'},
    "/v1/compile": {"dsl": 'did cart_added in last 7 days then did not order_completed within 1 day and plan = "pro"',
                    "dialect": "postgres", "as_of": AS_OF},
    "/v1/draft": {"request": "people in Germany who bought shoes at least twice in the last 90 days", "preview": False,
                  "as_of": AS_OF},
}
LONG_PREVIEW = {"dsl": "top 10% by total amount of order_completed or did cart_added in last 30 days then did not "
                       "order_completed within 1 day", "as_of": AS_OF, "sample_size": 50}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, store: Path, max_body: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEGMENT_DB": db, "SEGMENT_STORE": str(store),
           "SEGMENT_MAX_BODY": str(max_body)}
    for key in ("SEGMENT_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "SEGMENT_API_KEY"):
        env.pop(key, None)  # the offline translator, no key: measure the server, not a remote model
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # JSON log: discarded
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the API server did not start")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def load(url: str, path: str, body: dict, clients: int, requests: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    issued = 0
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal issued, errors
            while issued < requests and time.monotonic() < stop_at:
                issued += 1
                t0 = time.perf_counter()
                r = await client.post(path, json=body)
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"route": path, "clients": clients, "requests": len(latencies), "errors": errors,
            "rps": len(latencies) / elapsed, "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000}


async def health_under_load(url: str, max_body: int) -> dict:
    """/health latency while long previews run, and while an oversized body is sent; time to its 413."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        busy = True

        async def previews() -> int:
            done = 0
            while busy:
                await client.post("/v1/preview", json=LONG_PREVIEW)
                done += 1
            return done

        async def probe(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                await client.get("/health")
                out.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
            return out

        runners = [asyncio.create_task(previews()) for _ in range(4)]
        await asyncio.sleep(0.5)
        during_preview = await probe(60)
        busy = False
        preview_runs = sum(await asyncio.gather(*runners))

        async def oversized() -> float:
            async def chunks():
                for _ in range(max_body // 65536 * 4):
                    yield b"x" * 65536
                    await asyncio.sleep(0.01)  # a slow sender: the server must not wait for it

            t0 = time.perf_counter()
            r = await client.post("/v1/validate", content=chunks(), headers={"content-type": "application/json"})
            assert r.status_code == 413, r.status_code
            return time.perf_counter() - t0

        big_with_length = time.perf_counter()
        r = await client.post("/v1/validate", content=b"x" * (max_body * 5), headers={"content-type": "application/json"})
        assert r.status_code == 413
        big_with_length = time.perf_counter() - big_with_length
        upload = asyncio.create_task(oversized())
        during_upload = await probe(20)
        streamed_413 = await upload
    return {"health_p50_ms_during_previews": statistics.median(during_preview) * 1000,
            "health_max_ms_during_previews": max(during_preview) * 1000, "preview_runs": preview_runs,
            "health_p50_ms_during_upload": statistics.median(during_upload) * 1000,
            "health_max_ms_during_upload": max(during_upload) * 1000,
            "413_with_content_length_ms": big_with_length * 1000, "413_streamed_ms": streamed_413 * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB store (default: the cached 20k-contact demo store)")
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests per run")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per run")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--routes", nargs="+", default=list(BODIES))
    args = parser.parse_args()
    db = args.db or str(demo_store.demo_db_path())
    max_body = 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(db, Path(tmp) / "segments.db", max_body)
        try:
            for path in args.routes:  # warm-up: imports, caches, the first DuckDB connection
                for _ in range(20):
                    httpx.post(f"{url}{path}", json=BODIES[path], timeout=60)
            print(f"{'route':<14} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
            for path in args.routes:
                for clients in args.clients:
                    r = asyncio.run(load(url, path, BODIES[path], clients, args.requests, args.seconds))
                    print(f"{r['route']:<14} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.0f} "
                          f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}", flush=True)
            for key, value in asyncio.run(health_under_load(url, max_body)).items():
                print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
