"""Apache Spark behind the database adapter: `spark:FOLDER` runs a local-mode session (in this process, Java 17)
over a folder of Parquet tables, `sc://host:port` talks to a real cluster through Spark Connect. pyspark is
an optional extra (`pip install 'segment-assistant[spark]'`) and is imported only for these targets.

One session per process: a JVM takes tens of seconds to start, so every connection shares it, and a Parquet
folder's tables are registered as views once per session."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SPARK_PREFIX = "spark:"
CONNECT_PREFIX = "sc://"

# Small shuffles: a segment's scan is one job over a few files; Spark's default of 200 partitions would
# spend most of a local run scheduling empty tasks. UTC: the demo's timestamps are naive UTC, and Spark
# compares them with the compiled literals in the session's time zone.
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",  # local mode: the driver is the executor; 1g spills on a million contacts
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
}

_lock = threading.Lock()
_sessions: dict[str, Any] = {}
_registered: dict[str, Any] = {}  # the local session's views: which folder, which tables


def is_spark(target: str) -> bool:
    return str(target).startswith((SPARK_PREFIX, CONNECT_PREFIX))


def _pyspark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ImportError("Spark targets need pyspark: pip install 'segment-assistant[spark]'") from None


def local_session(master: str = "local[2]", log_level: str = "ERROR"):
    """The process's local-mode SparkSession (started on first use)."""
    _pyspark()
    from pyspark.sql import SparkSession

    with _lock:
        if "local" not in _sessions:
            builder = SparkSession.builder.master(master).appName("segment-assistant")
            for key, value in LOCAL_CONF.items():
                builder = builder.config(key, value)
            with warnings.catch_warnings():  # pyspark's notice about pandas 3, which no query here uses
                warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
                session = builder.getOrCreate()
            session.sparkContext.setLogLevel(log_level)
            _sessions["local"] = session
        return _sessions["local"]


def connect_session(url: str):
    """A Spark Connect session for `sc://host:port[/;params]` (a cluster's own catalog holds the tables)."""
    _pyspark()
    # The client logs every failed query with its JVM stack; the adapter reports it as one line instead.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    with _lock:
        if url not in _sessions:
            with warnings.catch_warnings():  # pyspark's notice about pandas 3, which no query here uses
                warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
                # Connect's own builder: the unified one switches the whole process to Connect mode, and
                # the local session then tries to reach a server too.
                from pyspark.sql.connect.session import SparkSession as RemoteSession

                _sessions[url] = RemoteSession.builder.remote(url).create()
        return _sessions[url]


@contextmanager
def local_connect_server(port: int, warehouse: Path, start_timeout: float = 600.0) -> Iterator[str]:
    """A Spark Connect server in local mode (the one pyspark ships), for tests and trials: its `sc://` URL
    while it runs. A real cluster runs the same server (`sbin/start-connect-server.sh`)."""
    _pyspark()
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    conf = {**LOCAL_CONF, "spark.connect.grpc.binding.port": str(port), "spark.sql.warehouse.dir": str(warehouse)}
    command = [str(submit), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--master", "local[2]", *[arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    url = f"sc://127.0.0.1:{port}"
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=warehouse.parent)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the Spark Connect server exited with code {server.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Spark Connect server did not listen on port {port} in {start_timeout:g} s")
                time.sleep(1)
        yield url
    finally:
        close_session(url)
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def parquet_tables(folder: Path) -> dict[str, Path]:
    """Table name -> Parquet path: each `NAME.parquet` file or `NAME/` folder of Parquet files."""
    tables = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(("_", ".")):  # hidden, as Hadoop has it: refresh's versions and staging
            continue
        if entry.suffix == ".parquet" or (entry.is_dir() and any(entry.glob("*.parquet"))):
            tables[entry.name.removesuffix(".parquet")] = entry
    return tables


def session_for(target: str):
    """The session that answers for `target`, with a Parquet folder's tables registered as views."""
    if target.startswith(CONNECT_PREFIX):
        return connect_session(target)
    folder = Path(target[len(SPARK_PREFIX):]).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no Parquet folder at {folder} (write the demo store there with: segment-assistant "
                                f"demo-data --out demo.duckdb --parquet {folder})")
    tables = parquet_tables(folder)
    if not tables:
        raise FileNotFoundError(f"{folder} holds no Parquet tables (NAME.parquet files or NAME/ folders)")
    session = local_session()
    key = (str(folder.resolve()), tuple(tables))
    with _lock:
        if _registered.get("local") != key:
            for name, path in tables.items():
                # quoted: a table name may hold a hyphen (refresh writes `segment_<name>` for any segment name)
                session.read.parquet(str(path)).createOrReplaceTempView(f"`{name}`")
            _registered["local"] = key
    return session


def forget_views() -> None:
    """Register the local folder's tables again on next use (a refresh swapped some in)."""
    with _lock:
        _registered.pop("local", None)


def close_session(url: str) -> None:
    """Stop a Spark Connect session before its server goes: a client left open retries the dead server for
    minutes when the process exits."""
    with _lock:
        session = _sessions.pop(url, None)
    if session is not None:
        session.stop()


class SparkCursor:
    """`fetchmany` over a Spark result without collecting it all on the driver."""

    def __init__(self, frame: Any):
        self.description = [(name,) for name in frame.columns]
        self._rows = frame.toLocalIterator()

    def fetchmany(self, size: int) -> list[tuple]:
        out = []
        for row in self._rows:
            out.append(tuple(row))
            if len(out) >= size:
                break
        return out


def interrupt(session: Any) -> None:
    """Stop what the session is running (a query over its time limit)."""
    try:
        session.interruptAll()  # Spark Connect, and classic sessions since Spark 4
    except Exception:
        session.sparkContext.cancelAllJobs()
