"""Celery tasks of certificates: thin callers of services, safe to run twice.

Tasks take ids, fetch fresh rows and call a service. Transient failures are retried
with exponential backoff: the mail server and storage (OSError, which includes
smtplib's errors), and the database (OperationalError, InterfaceError: a dropped
connection, a failover, a restart), after closing the broken connection. Anything else
is a bug or a data problem and fails loudly in the worker log; the sweeper queues again
whatever is still owed.

Time: every task finishes well within the soft time limit (settings, Celery block);
the reminder run is split into batch tasks for that reason.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task

from core.tasks import RETRY_BACKOFF_MAX, ReliableTask
from courses.models import Enrollment

from . import services
from .models import ExternalCertificate

logger = logging.getLogger(__name__)

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
    """Issues (or finishes issuing) the certificate of a completed enrollment.

    Returns the certificate code, or None when there is nothing to issue: the
    enrollment is gone or not completed, or the learner has no legal name yet (they
    are e-mailed once, and the sweeper issues after they add it).
    """
    enrollment = (
        Enrollment.objects.select_related("user", "course")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None:
        logger.warning("issue_certificate: enrollment %s does not exist", enrollment_id)
        return None
    try:
        certificate = services.certificate_issue(enrollment=enrollment)
    except services.HolderNameMissing:
        logger.info("Enrollment %s: certificate waits for a legal name", enrollment_id)
        services.certificate_holder_name_request(enrollment=enrollment)
        return None
    except services.CertificateNotIssuable as refused:
        logger.warning("Enrollment %s: %s", enrollment_id, refused)
        return None
    return certificate.code


@shared_task(**_retrying)
def send_renewal_reminders(on: str | None = None) -> int:
    """Queues the renewal reminders owed on `on` (ISO date; default today) as batch
    tasks of services.REMINDER_BATCH certificates. Returns how many certificates are
    owed one.

    The selection catches up (services.certificates_due_for_reminder): a batch that
    was lost, crashed or ran out of time is sent by the next run, never skipped.
    """
    today = date.fromisoformat(on) if on else None
    ids = services.renewal_reminders_due(today=today)
    for start in range(0, len(ids), services.REMINDER_BATCH):
        send_renewal_reminder_batch.delay(ids[start : start + services.REMINDER_BATCH])
    logger.info("Renewal reminders: %d owed, queued in batches", len(ids))
    return len(ids)


@shared_task(**_retrying)
def send_renewal_reminder_batch(certificate_ids: list[int]) -> int:
    """Sends the reminders these certificates are owed today, each once; queues the
    ones its time budget left over as a new batch. Returns how many were sent."""
    run = services.renewal_reminders_send_batch(
        certificate_ids=certificate_ids, budget=REMINDER_BATCH_BUDGET
    )
    if run.left:
        send_renewal_reminder_batch.delay(run.left)
    return run.sent


@shared_task(**_retrying)
def send_external_card_decision(card_id: int) -> bool:
    """E-mails the learner the staff decision on their outside card, once."""
    card = ExternalCertificate.objects.filter(pk=card_id).first()
    if card is None:
        return False
    return services.external_certificate_decision_notify(card=card)


@shared_task(base=ReliableTask, acks_late=True)
def sweep_missing_certificates() -> int:
    """Queues the certificate work still owed (services.certificates_sweep); returns
    how many tasks it queued. Also `python manage.py sweep_certificates`."""
    sweep = services.certificates_sweep()
    return sweep.certificates + sweep.cards
