"""Running calls at the same moment, each in its own thread and database
connection (real concurrency on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(*calls: Callable[[], object]) -> list[object]:
    """Runs the calls at once; returns each one's result or the exception it
    raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # handed to the assertions, not lost in a thread
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
