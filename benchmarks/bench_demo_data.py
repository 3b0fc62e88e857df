"""Benchmark: demo store generation at two sizes, side by side in one run, each in its own process so the
peak memory figures are separate. Reports seconds, peak RSS and the per-contact cost ratio (large / small):
a ratio near 1 means generation scales linearly and memory stays bounded by the chunk size.

    python -m benchmarks.bench_demo_data [--small 20000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from assistant.data.demo_data import generate
start = time.perf_counter()
summary = generate(sys.argv[1], contacts=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "events": summary["events"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(contacts: int, folder: Path) -> dict:
    path = folder / f"demo-{contacts}.duckdb"
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(contacts)], check=True, capture_output=True,
                         text=True)
    path.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {n: measure(n, Path(folder)) for n in (args.small, args.large)}
    for n, r in results.items():
        print(f"{n:>10,} contacts: {r['events']:>12,} events  {r['seconds']:7.1f} s  peak RSS {r['peak_mb']:7.0f} MB")
    small, large = results[args.small], results[args.large]
    per_contact = (large["seconds"] / args.large) / (small["seconds"] / args.small)
    print(f"time per contact, large / small: {per_contact:.2f}x; peak memory, large / small: "
          f"{large['peak_mb'] / small['peak_mb']:.1f}x for {args.large // args.small}x the contacts")


if __name__ == "__main__":
    main()
