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

import functools
import logging
from datetime import date

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, connections, transaction
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from courses.models import Enrollment

from . import services
from .models import ExternalCertificate

logger = logging.getLogger(__name__)

RETRY_BACKOFF = 30  # seconds before the first retry of a mail or storage error
DB_RETRY_BACKOFF = 2  # a dropped connection usually reconnects at once
# The longest wait between retries. A retry waits in the worker unacknowledged, so it
# must stay under the broker's visibility timeout minus the hard time limit (600 s -
# 150 s), or Redis would hand a second copy to another worker.
RETRY_BACKOFF_MAX = 5 * 60
MAX_RETRIES = 10  # about half an hour of retrying, then the sweeper takes over
DATABASE_ERRORS = (DatabaseOperationalError, InterfaceError)
# Publishing while the broker is down fails after these quick retries instead of
# holding up the request that committed the work.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# A reminder batch stops after this long and queues the rest as a new task: well
# under the soft time limit (120 s) even when one more message takes the SMTP timeout.
REMINDER_BATCH_BUDGET = 60.0


class CertificateTask(DjangoTask):
    """A task whose `delay_on_commit` never breaks the request that committed, and
    that retries transient database errors.

    If the broker is unreachable when the transaction commits, the committed work
    stands and the failure is logged; the sweeper finds the work that is still owed.
    A database error that a dropped connection raises closes the worker's connections
    (the next query opens a fresh one) and retries with backoff.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._publish, args, kwargs))

    def _publish(self, args: tuple, kwargs: dict) -> None:
        try:
            self.apply_async(args, kwargs, retry_policy=PUBLISH_RETRY_POLICY)
        except BrokerOperationalError:
            logger.warning(
                "Broker unreachable: %s%r not queued; the sweeper will catch up.",
                self.name,
                args,
                exc_info=True,
            )

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            if self.request.called_directly:
                raise
            connections.close_all()
            countdown = get_exponential_backoff_interval(
                factor=DB_RETRY_BACKOFF,
                retries=self.request.retries,
                maximum=RETRY_BACKOFF_MAX,
                full_jitter=True,
            )
            logger.warning(
                "%s%r: database error, retry %d in %ss: %s",
                self.name,
                args,
                self.request.retries + 1,
                countdown,
                exc,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc


_retrying = {
    "base": CertificateTask,
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


@shared_task(base=CertificateTask, acks_late=True)
def sweep_missing_certificates() -> int:
    """Queues the certificate work still owed (services.certificates_sweep); returns
    how many tasks it queued. Also `python manage.py sweep_certificates`."""
    sweep = services.certificates_sweep()
    return sweep.certificates + sweep.cards
