"""Run an ASGI app for real: uvicorn on a free loopback port in a daemon thread, stopped on exit."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn

from assistant.data.local_postgres import free_port  # noqa: F401 (one free-port helper for every test server)


@contextmanager
def live_server(app, name: str = "server"):
    """Yields the base URL (http://127.0.0.1:PORT) while the app serves."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the {name} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
