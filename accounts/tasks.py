"""Celery tasks of accounts: thin callers of services.

Account e-mails are rendered in the request and sent here. Transient mail-server
failures (OSError, which includes smtplib's errors) are retried with backoff.
"""

from __future__ import annotations

from celery import shared_task

from core.tasks import ReliableTask

from . import services

RETRY_BACKOFF = 30  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 30 * 60
MAX_RETRIES = 8  # a little over two hours of retrying


@shared_task(
    base=ReliableTask,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def send_account_email(message: dict) -> None:
    """Sends one account e-mail (verification, notice, reset link) rendered earlier."""
    services.account_email_send(message=message)
