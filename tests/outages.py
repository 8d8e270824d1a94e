"""Broken services for outage tests: a Redis that hangs, a port where nothing listens.

Each lives on a free loopback port of its own, so no test touches the shared Redis.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any


class HungServer:
    """Accepts TCP connections on a free port and never answers (nor closes them until
    `close()`): what a client sees of a Redis that is stuck or behind a half-open
    connection. Use as a context manager."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections.append(conn)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for conn in self.connections:
            conn.close()

    def __enter__(self) -> HungServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_port_url() -> str:
    """A redis:// URL on a loopback port where nothing listens (connection refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def call_within(seconds: float, fn: Callable[[], Any]) -> tuple[Any, float]:
    """Runs `fn` in a thread (use transactional_db: it has its own database
    connection); returns (its result, seconds taken), or fails the test
    if it is still blocked after `seconds` (the thread is left to end once the hung
    service is closed). Exceptions from `fn` are re-raised here."""
    from django.db import connections

    outcome: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = fn()
        except BaseException as error:  # handed to the test thread
            outcome["error"] = error
        finally:
            outcome["elapsed"] = time.monotonic() - started
            connections.close_all()  # this thread's own database connections

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise AssertionError(f"still blocked after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], outcome["elapsed"]
