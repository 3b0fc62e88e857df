"""Benchmark: the HTTP API under load. The server runs as users run it (`segment-assistant serve`, its own
processes, on loopback); throughput and p50/p99 latency per route (/v1/validate, /v1/compile, /v1/draft) at
50 and 200 concurrent clients, each run bounded by a request count and a time limit; then /health latency
while long previews run and while an oversized body is being sent, and how fast that body is refused (413).

    python -m benchmarks.bench_api [--requests 2000] [--seconds 20] [--clients 50 200] [--roots DIR ...]

Honest numbers on a small machine:
- every request body is different (ten realistic segment shapes, each with its own numbers; compile also
  rotates dialects), so no cache can answer from an earlier request; /v1/compile's `X-Cache` header is
  counted and printed as `hit %` (0 unless something is wrong);
- the load generator is a raw HTTP/1.1 keep-alive client on asyncio (0.1-0.2 ms of CPU a request), so on
  2 cores it takes as little CPU from the server as a client can; each run prints the CPU the server and
  the clients spent per request (from /proc), steadier than wall-clock figures when other jobs share the
  machine;
- `p99 warm` leaves out each connection's first request: a run opens all its connections at once, so their
  first requests arrive together and the last of them waits for all the others (clients that keep their
  connections, as proxies do, see the warm figure);
- `--roots A B --rounds 3` serves each checkout in turn, round after round (A B A B ...), and prints the
  median per checkout: a before/after comparison under the same background load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
DIALECTS = ["postgres", "duckdb", "snowflake", "bigquery", "clickhouse"]
# Ten shapes marketers write (the templates' kinds: counts with filters, sequences, ranks, shares, recency,
# distinct counts, references to saved segments), each filled with numbers from `n`: no two bodies alike.
SHAPES = [
    lambda n: f'did order_completed where (amount > {n % 500}) at least {2 + n % 3} times in last {n} days '
              f'and country in ["DE", "FR"]',
    lambda n: f'did cart_added in last {n} days then did not order_completed within 1 day and plan = "pro"',
    lambda n: f'top {1 + n % 50}% by total amount of order_completed or did order_completed at least {n} times',
    lambda n: f'plan = "trial" and count distinct feature of feature_used in last {n} days >= {1 + n % 4}',
    lambda n: f'did email_clicked where (url contains "pricing-{n}" or url contains "demo") in last 30 days',
    lambda n: f'last order_completed between {n} and {n + 60} days ago and country = "DE"',
    lambda n: f'share of order_completed where (discounted = true and amount > {n}) > 50%',
    lambda n: f'did not email_opened in last {n} days and did not email_clicked in last {n} days and '
              f'in segment "vips"',
    lambda n: f'stopped app_opened for {n} days or signup_at in last {n % 30 + 1} days',
    lambda n: f'did order_completed at least {n} times and did not email_opened in last 90 days',
]
BODIES = {
    "/v1/validate": lambda n: {"dsl": SHAPES[n % len(SHAPES)](n // len(SHAPES) + 1)},
    "/v1/compile": lambda n: {"dsl": SHAPES[n % len(SHAPES)](n // len(SHAPES) + 1),
                              "dialect": DIALECTS[n // len(SHAPES) % len(DIALECTS)], "as_of": AS_OF},
    "/v1/draft": lambda n: {"request": f"people in Germany who bought shoes at least twice in the last {n + 1} days",
                            "preview": False, "as_of": AS_OF},
}
LONG_PREVIEW = {"dsl": "top 10% by total amount of order_completed or did cart_added in last 30 days then did not "
                       "order_completed within 1 day", "as_of": AS_OF, "sample_size": 50}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, db: str, store: Path, max_body: int, workers: int | None) -> tuple[subprocess.Popen, str]:
    """`segment-assistant serve` from checkout `root`, as a user starts it (its default worker count unless
    `workers` is given; a checkout whose serve has no --workers gets the same count through uvicorn)."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "SEGMENT_MAX_BODY": str(max_body)}
    for key in ("SEGMENT_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "SEGMENT_API_KEY"):
        env.pop(key, None)  # the offline translator, no key: measure the server, not a remote model
    cli = [sys.executable, "-c", "from segment_assistant.cli import main; main()", "serve"]  # the console script
    serve = cli + ["--port", str(port), "--db", db, "--store", str(store)]
    has_workers = "--workers" in subprocess.run(cli + ["--help"], env=env, cwd=root, capture_output=True, text=True).stdout
    if workers is None or has_workers:
        cmd = serve + (["--workers", str(workers)] if workers else [])
    else:
        env.update(SEGMENT_DB=db, SEGMENT_STORE=str(store))
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:app_from_env", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]
    log = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab")  # the server log: discarded unless asked
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                time.sleep(2 if workers != 1 else 0)  # every worker up, not just the first
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the API server from {root} did not start")


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, from /proc."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    tree, total = {pid}, 0
    for _ in range(4):  # workers, and their children
        tree |= {p for p, (ppid, _) in stats.items() if ppid in tree}
    total = sum(stats[p][1] for p in tree if p in stats)
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def _request(path: str, body: dict) -> bytes:
    raw = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n").encode() + raw


async def _share(url: str, path: str, clients: int, requests: int, seconds: float, first: int, step: int):
    """One client process: `clients` keep-alive connections, at most `requests` requests or `seconds`.
    Request i of this process sends body number first + i * step: unique across processes."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    warm: list[float] = []  # requests on a connection that had already answered one
    errors = issued = hits = 0
    stop_at = time.monotonic() + seconds

    async def connection() -> None:
        nonlocal issued, errors, hits
        reader = writer = None
        answered = False
        while issued < requests and time.monotonic() < stop_at:
            number = first + issued * step
            issued += 1
            message = _request(path, BODIES[path](number))
            t0 = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, int(port))
                writer.write(message)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = close = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = 1
                    elif name == b"x-cache":  # /v1/compile says whether it answered from its cache
                        hits += value.strip() == b"hit"
                await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer, answered = None, False
                continue
            latencies.append(time.perf_counter() - t0)
            if answered:
                warm.append(latencies[-1])
            answered = True
            errors += status != 200
            if close:
                writer.close()
                writer = None
                answered = False
        if writer is not None:
            writer.close()

    cpu0, started = sum(os.times()[:2]), time.time()
    await asyncio.gather(*(connection() for _ in range(clients)))
    return latencies, errors, started, time.time(), sum(os.times()[:2]) - cpu0, hits, warm


def _run_share(args: tuple):
    try:
        import uvloop  # the cheaper event loop, when installed (it comes with uvicorn[standard])
        return uvloop.run(_share(*args))
    except ImportError:
        return asyncio.run(_share(*args))


def load(url: str, server_pid: int, path: str, clients: int, requests: int, seconds: float, procs: int,
         offset: int) -> dict:
    """`clients` connections spread over `procs` client processes (one process would make the client, not
    the server, the limit at 200 connections)."""
    shares = [clients // procs + (i < clients % procs) for i in range(procs)]
    jobs = [(url, path, n, requests * n // clients, seconds, offset + i, procs) for i, n in enumerate(shares) if n]
    cpu0 = _tree_cpu(server_pid)
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(_run_share, jobs)
    server_cpu = _tree_cpu(server_pid) - cpu0
    latencies = [x for r in results for x in r[0]]
    warm = [x for r in results for x in r[6]]
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    n = max(1, len(latencies))
    return {"route": path, "clients": clients, "requests": len(latencies), "errors": sum(r[1] for r in results),
            "rps": len(latencies) / elapsed, "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000,
            "p99_warm_ms": pct(warm, 99) * 1000,
            "server_cpu_ms": server_cpu / n * 1000, "client_cpu_ms": sum(r[4] for r in results) / n * 1000,
            "hit_pct": sum(r[5] for r in results) / n * 100}


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


COLUMNS = ("req/s", "p50 ms", "p99 ms", "srv cpu/req", "cli cpu/req")


def _row(label: str, r: dict) -> str:
    return (f"{label:<30} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['p99_warm_ms']:>8.1f} {r['server_cpu_ms']:>11.2f} {r['client_cpu_ms']:>11.2f} {r['hit_pct']:>5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="DuckDB store (default: the cached 20k-contact demo store)")
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests per run")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per run")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--routes", nargs="+", default=list(BODIES))
    parser.add_argument("--client-procs", type=int, default=2, help="client processes sharing the connections")
    parser.add_argument("--workers", type=int, help="server worker processes (default: serve's own default)")
    parser.add_argument("--roots", type=Path, nargs="+", default=[ROOT], help="checkouts to serve, in turn")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over --roots (medians are printed)")
    parser.add_argument("--no-health", action="store_true", help="skip the /health and 413 measurements")
    args = parser.parse_args()
    db = args.db or str(demo_store.demo_db_path())
    max_body, offset = 1_000_000, 0
    results: dict[tuple[str, str, int], list[dict]] = {}
    print(f"{'route (checkout)':<30} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'p99 warm':>8} {'srv cpu/req':>11} {'cli cpu/req':>11} {'hit %':>5}")
    for _ in range(args.rounds):
        for root in args.roots:
            with tempfile.TemporaryDirectory() as tmp:
                proc, url = start_server(root.resolve(), db, Path(tmp) / "segments.db", max_body, args.workers)
                try:
                    for path in args.routes:  # warm-up (imports, the first DuckDB connection, every worker's
                        # first burst), its bodies never used again; then the measured runs
                        load(url, proc.pid, path, max(args.clients), max(args.clients), 30, args.client_procs,
                             10_000_000 + offset)
                    for path in args.routes:
                        for clients in args.clients:
                            r = load(url, proc.pid, path, clients, args.requests, args.seconds, args.client_procs,
                                     offset)
                            offset += 2 * args.requests  # the next run's bodies are new too
                            results.setdefault((root.name, path, clients), []).append(r)
                            print(_row(f"{path} ({root.name})", r), flush=True)
                    if not args.no_health:
                        for key, value in asyncio.run(health_under_load(url, max_body)).items():
                            print(f"  {key}: {value:.1f}" if isinstance(value, float) else f"  {key}: {value}")
                finally:
                    proc.terminate()
                    proc.wait(timeout=20)
    if args.rounds > 1:
        print(f"\nmedians over {args.rounds} rounds")
        for (name, path, clients), runs in results.items():
            med = {k: statistics.median(r[k] for r in runs) if k not in ("route", "clients") else runs[0][k]
                   for k in runs[0]}
            print(_row(f"{path} ({name})", med))


if __name__ == "__main__":
    main()
