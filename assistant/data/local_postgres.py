"""A real, throw-away PostgreSQL server for tests and benchmarks: initdb + pg_ctl on a free loopback port.

Uses SEGMENT_PG_DSN when set (an existing server); otherwise starts one from Debian's postgresql package
(which .ci/run installs). As root, the server runs as the postgres user, since PostgreSQL refuses root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager


def free_port() -> int:
    """A loopback port nobody listens on now (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@contextmanager
def postgres_server():
    if os.environ.get("SEGMENT_PG_DSN"):
        yield os.environ["SEGMENT_PG_DSN"]
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (bash .ci/run does this)")
    root = tempfile.mkdtemp(prefix="segment-pg-")
    data = os.path.join(root, "data")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    port = free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    # byte-order collation (C), but Unicode case mapping (C.UTF-8): lower('Łukasz') is 'łukasz' here as on a
    # server in any UTF-8 locale, so case-insensitive `contains` matches what DuckDB matches
    try:
        run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--lc-collate=C", "--lc-ctype=C.UTF-8")
    except subprocess.CalledProcessError:  # a libc without C.UTF-8
        shutil.rmtree(data, ignore_errors=True)
        run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
    run(pg_ctl, "-D", data, "-w", "-t", "60", "-l", os.path.join(root, "log"),
        "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
