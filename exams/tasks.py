"""Celery tasks of exams: each calls one service and decides nothing."""

from __future__ import annotations

from celery import shared_task

from core.tasks import ReliableTask

from .services import exam_attempts_sweep_expired


@shared_task(base=ReliableTask, acks_late=True)
def close_expired_attempts() -> int:
    """Grades open attempts whose time is up, as of their deadline (or 24 hours
    after an untimed quiz started), one batch (exams.services.grading
    .exam_attempts_sweep_expired); queues itself again when the batch was full.
    Returns how many it graded. Safe to run twice or concurrently. Beat runs it
    every 5 minutes; also `python manage.py close_expired_attempts`."""
    sweep = exam_attempts_sweep_expired()
    if sweep.more:
        close_expired_attempts.delay()
    return sweep.closed
