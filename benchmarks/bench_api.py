"""Benchmark: the HTTP API under load. A real uvicorn (its own process, on loopback) and httpx async clients:
throughput and p50/p99 latency per route (/v1/validate, /v1/compile, /v1/draft) at 50 and 200 concurrent
clients, each run bounded by a request count and a time limit; then /health latency while long previews run
and while an oversized body is being sent, and how fast that body is refused (413).

    python -m benchmarks.bench_api [--db PATH] [--requests 2000] [--seconds 20] [--clients 50 200]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
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
# Each request differs (a window of k days), so no cache anywhere can answer from a previous request.
BODIES = {
    "/v1/validate": lambda k: {"dsl": f'did order_completed where (amount > 50) at least 2 times in last {k} days '
                                      f'and country in ["DE", "FR"]'},
    "/v1/compile": lambda k: {"dsl": f'did cart_added in last {k} days then did not order_completed within 1 day and '
                                     f'plan = "pro"', "dialect": "postgres", "as_of": AS_OF},
    "/v1/draft": lambda k: {"request": f"people in Germany who bought shoes at least twice in the last {k} days",
                            "preview": False, "as_of": AS_OF},
}
LONG_PREVIEW = {"dsl": "top 10% by total amount of order_completed or did cart_added in last 30 days then did not "
                       "order_completed within 1 day", "as_of": AS_OF, "sample_size": 50}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, store: Path, max_body: int, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEGMENT_DB": db, "SEGMENT_STORE": str(store),
           "SEGMENT_MAX_BODY": str(max_body)}
    for key in ("SEGMENT_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "SEGMENT_API_KEY"):
        env.pop(key, None)  # the offline translator, no key: measure the server, not a remote model
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
                             "--workers", str(workers), "--timeout-keep-alive", "60"],
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


async def _share(url: str, path: str, clients: int, requests: int, seconds: float) -> tuple[list[float], int, float, float]:
    """One client process: `clients` concurrent connections, at most `requests` requests or `seconds`."""
    latencies: list[float] = []
    errors = issued = 0
    body = BODIES[path]
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal issued, errors
            while issued < requests and time.monotonic() < stop_at:
                issued += 1
                t0 = time.perf_counter()
                try:
                    r = await client.post(path, json=body(1 + (issued * 7919 + os.getpid()) % 900))
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        started = time.time()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return latencies, errors, started, time.time()


def _run_share(args: tuple) -> tuple[list[float], int, float, float]:
    return asyncio.run(_share(*args))


def load(url: str, path: str, clients: int, requests: int, seconds: float, procs: int) -> dict:
    """`clients` connections spread over `procs` client processes: one Python process cannot drive 200
    connections fast enough to measure the server (httpx's pool, not the server, becomes the limit)."""
    shares = [clients // procs + (i < clients % procs) for i in range(procs)]
    jobs = [(url, path, n, requests * n // clients, seconds) for n in shares if n]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(_run_share, jobs)
    latencies = [x for r in results for x in r[0]]
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    return {"route": path, "clients": clients, "requests": len(latencies), "errors": sum(r[1] for r in results),
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

        host, port = url.removeprefix("http://").split(":")

        async def oversized(declared: bool) -> float:
            """Seconds until the 413 arrives, sending a body 4x the limit slowly (64 KiB every 10 ms):
            declared in Content-Length, or chunked with no length (then the server counts)."""
            reader, writer = await asyncio.open_connection(host, int(port))
            size = max_body * 4
            framing = f"Content-Length: {size}" if declared else "Transfer-Encoding: chunked"
            t0 = time.perf_counter()
            writer.write(f"POST /v1/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         f"{framing}\r\n\r\n".encode())

            async def send_slowly() -> None:
                try:
                    for _ in range(size // 65536):
                        chunk = b"x" * 65536
                        writer.write(chunk if declared else f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        await writer.drain()
                        await asyncio.sleep(0.01)
                except (ConnectionError, OSError):
                    pass  # the server answered and closed: that is the point

            sender = asyncio.create_task(send_slowly())
            status = await reader.readline()
            elapsed = time.perf_counter() - t0
            assert b" 413 " in status, status
            sender.cancel()
            writer.close()
            return elapsed

        with_length = await oversized(True)
        upload = asyncio.create_task(oversized(False))
        during_upload = await probe(20)
        streamed_413 = await upload
    return {"health_p50_ms_during_previews": statistics.median(during_preview) * 1000,
            "health_max_ms_during_previews": max(during_preview) * 1000, "preview_runs": preview_runs,
            "health_p50_ms_during_upload": statistics.median(during_upload) * 1000,
            "health_max_ms_during_upload": max(during_upload) * 1000,
            "413_with_content_length_ms": with_length * 1000, "413_streamed_ms": streamed_413 * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB store (default: the cached 20k-contact demo store)")
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests per run")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per run")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--routes", nargs="+", default=list(BODIES))
    parser.add_argument("--client-procs", type=int, default=4, help="client processes sharing the connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (they share the store)")
    args = parser.parse_args()
    db = args.db or str(demo_store.demo_db_path())
    max_body = 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(db, Path(tmp) / "segments.db", max_body, args.workers)
        try:
            for path in args.routes:  # warm-up: imports, caches, the first DuckDB connection
                for k in range(20):
                    httpx.post(f"{url}{path}", json=BODIES[path](k + 1), timeout=60)
            print(f"{'route':<14} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
            for path in args.routes:
                for clients in args.clients:
                    r = load(url, path, clients, args.requests, args.seconds, args.client_procs)
                    print(f"{r['route']:<14} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.0f} "
                          f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}", flush=True)
            for key, value in asyncio.run(health_under_load(url, max_body)).items():
                print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
