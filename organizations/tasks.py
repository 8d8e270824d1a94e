"""Celery tasks of organizations: thin callers of services.

The weekly digest: the beat task queues one task per organization with an
administrator; each sends that organization's digest of the ISO week once (claimed
by a WeeklyDigest row), so a second beat, a retry or a redelivery sends nothing.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task

from core.tasks import RETRY_BACKOFF_MAX, ReliableTask

from .selectors import organizations_for_digest
from .services import weekly_digest_send, weekly_digest_week

_retrying = {
    "base": ReliableTask,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task(**_retrying)
def send_weekly_digests(on: str | None = None) -> int:
    """Queues the digest of the ISO week of `on` (ISO date; default today) for
    every organization with an administrator; returns how many were queued."""
    iso_year, iso_week = weekly_digest_week(date.fromisoformat(on) if on else None)
    ids = organizations_for_digest()
    for organization_id in ids:
        send_weekly_digest.delay(organization_id, iso_year, iso_week)
    return len(ids)


@shared_task(**_retrying)
def send_weekly_digest(organization_id: int, iso_year: int, iso_week: int) -> bool:
    """Sends one organization's digest of the week, once."""
    return weekly_digest_send(
        organization_id=organization_id, iso_year=iso_year, iso_week=iso_week
    )
