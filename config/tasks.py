"""Project-level tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="lifeline.ping", ignore_result=False)
def ping() -> str:
    """Answers "pong": proves a worker consumes from the broker (for smoke tests)."""
    return "pong"
