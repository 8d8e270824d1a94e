"""Celery tasks of certificates: each takes ids and calls one service; none decides.

Transient failures are retried: the mail server and storage (OSError, which includes
smtplib's errors) by autoretry with exponential backoff; the database (a dropped
connection, a failover, a restart) by core.tasks.ReliableTask, after closing the
broken connection. Anything else is a bug or a data problem and fails loudly in the
worker log; the sweeper queues again whatever is still owed.

Time: every task finishes well within the soft time limit (settings, Celery block);
the reminder run is split into batch tasks for that reason.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task

from core.tasks import RETRY_BACKOFF_MAX, ReliableTask

from .services import credentials, external, issuing, reminders, sweeper

RETRY_BACKOFF = 30  # seconds before the first retry of a mail or storage error
MAX_RETRIES = 10  # about half an hour of retrying, then the sweeper takes over
# A reminder batch stops after this long and queues the rest as a new task: well
# under the soft time limit (120 s) even when one more message takes the SMTP timeout.
REMINDER_BATCH_BUDGET = 60.0


_retrying = {
    "base": ReliableTask,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": RETRY_BACKOFF,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}


@shared_task(**_retrying)
def issue_certificate(enrollment_id: int) -> str | None:
    """Issues (or finishes issuing) the certificate of a completed enrollment
    (issuing.certificate_issue_for_enrollment). Returns the certificate code, or None
    when there is nothing to issue (e.g. it waits for the learner's legal name)."""
    certificate = issuing.certificate_issue_for_enrollment(enrollment_id=enrollment_id)
    return certificate.code if certificate is not None else None


@shared_task(**_retrying)
def render_certificate_pdf(certificate_id: int) -> bool:
    """Renders the certificate's PDF again after what it states changed
    (issuing.certificate_pdf_render). Returns whether a certificate was found."""
    return issuing.certificate_pdf_render(certificate_id=certificate_id)


@shared_task(**_retrying)
def send_renewal_reminders(on: str | None = None) -> int:
    """Queues the renewal reminders owed on `on` (ISO date; default today) as batch
    tasks (reminders.renewal_reminder_batches). Returns how many certificates are
    owed one.

    The selection catches up (selectors.certificates_due_for_reminder): a batch that
    was lost, crashed or ran out of time is sent by the next run, never skipped.
    """
    batches = reminders.renewal_reminder_batches(
        today=date.fromisoformat(on) if on else None
    )
    for batch in batches:
        send_renewal_reminder_batch.delay(batch)
    return sum(len(batch) for batch in batches)


@shared_task(**_retrying)
def send_renewal_reminder_batch(certificate_ids: list[int]) -> int:
    """Sends the reminders these certificates are owed today, each once; queues the
    ones its time budget left over as a new batch. Returns how many were sent."""
    run = reminders.renewal_reminders_send_batch(
        certificate_ids=certificate_ids, budget=REMINDER_BATCH_BUDGET
    )
    if run.left:
        send_renewal_reminder_batch.delay(run.left)
    return run.sent


@shared_task(**_retrying)
def send_external_card_decision(card_id: int) -> bool:
    """E-mails the learner the staff decision on their outside card, once."""
    return external.external_certificate_decision_notify(card_id=card_id)


@shared_task(base=ReliableTask, acks_late=True)
def publish_status_list(certificate_id: int) -> bool:
    """Publishes the revocation status list of a certificate just revoked
    (credentials.status_list_publish_for_certificate); True when it was rewritten."""
    return credentials.status_list_publish_for_certificate(
        certificate_id=certificate_id
    )


@shared_task(base=ReliableTask, acks_late=True)
def publish_status_lists() -> int:
    """Beat, every 10 minutes: publishes every status list that is out of date (a
    lost publish task, a key rotation); returns how many were rewritten."""
    return credentials.status_lists_publish()


@shared_task(base=ReliableTask, acks_late=True)
def sweep_missing_certificates(full: bool = False) -> int:
    """Queues the certificate work still owed (sweeper.certificates_sweep): recent
    completions, or all history when `full`; returns how many tasks it queued. Also
    `python manage.py sweep_certificates [--all]`."""
    sweep = sweeper.certificates_sweep(
        issue=issue_certificate.delay,
        tell=send_external_card_decision.delay,
        full=full,
    )
    return sweep.certificates + sweep.cards
