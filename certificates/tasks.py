"""Celery tasks of certificates: thin callers of services, safe to run twice.

Tasks take ids, fetch fresh rows and call a service. Transient failures (mail server,
storage: OSError, which includes smtplib's errors) are retried with exponential backoff;
anything else is a bug or a data problem and fails loudly in the worker log.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from courses.models import Enrollment

from . import selectors, services
from .models import ExternalCertificate

logger = logging.getLogger(__name__)

RETRY_BACKOFF = 30  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 60 * 60
MAX_RETRIES = 10  # about six hours of retrying before giving up to the sweeper
# Publishing while the broker is down fails after these quick retries instead of
# holding up the request that committed the work.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
SWEEP_BATCH = 1000
# How far back the sweeper resends e-mails that never went out.
SWEEP_RESEND_WINDOW = timedelta(days=7)


class EnqueueAfterCommitTask(DjangoTask):
    """A task whose `delay_on_commit` never breaks the request that committed.

    If the broker is unreachable when the transaction commits, the committed work
    stands and the failure is logged; a sweeper finds the work that is still owed.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self._publish, args, kwargs))

    def _publish(self, args: tuple, kwargs: dict) -> None:
        try:
            self.apply_async(args, kwargs, retry_policy=PUBLISH_RETRY_POLICY)
        except OperationalError:
            logger.warning(
                "Broker unreachable: %s%r not queued; the sweeper will catch up.",
                self.name,
                args,
                exc_info=True,
            )


_retrying = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": RETRY_BACKOFF,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}


@shared_task(base=EnqueueAfterCommitTask, **_retrying)
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


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_renewal_reminders(self, on: str | None = None) -> int:
    """Sends the renewal reminders due on `on` (ISO date; default today), each once.

    A retry keeps the original date, so reminders due on a day that failed are still
    sent after midnight. Returns how many were sent.
    """
    today = date.fromisoformat(on) if on else timezone.localdate()
    try:
        run = services.renewal_reminders_send(today=today)
    except OSError as exc:
        countdown = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(
            args=[today.isoformat()], exc=exc, countdown=countdown
        ) from exc
    return run.sent


@shared_task(base=EnqueueAfterCommitTask, **_retrying)
def send_external_card_decision(card_id: int) -> bool:
    """E-mails the learner the staff decision on their outside card, once."""
    card = ExternalCertificate.objects.filter(pk=card_id).first()
    if card is None:
        return False
    return services.external_certificate_decision_notify(card=card)


@shared_task(acks_late=True)
def sweep_missing_certificates() -> int:
    """Queues the certificate work still owed after its own task was lost or gave up.

    - `issue_certificate` for completed enrollments without a certificate (the broker
      was down at completion, a worker died);
    - `issue_certificate` again for certificates of the last week whose e-mail never
      went out (it resumes: the row and PDF exist, only the e-mail is sent);
    - `send_external_card_decision` for outside cards reviewed in the last week whose
      decision e-mail never went out.
    Work younger than the grace period is left to its own task. Returns how many
    tasks it queued.
    """
    now = timezone.now()
    before = now - timedelta(minutes=settings.CERTIFICATE_SWEEP_GRACE_MINUTES)
    after = now - SWEEP_RESEND_WINDOW
    enrollment_ids = set(
        selectors.enrollments_missing_certificate(completed_before=before).values_list(
            "pk", flat=True
        )[:SWEEP_BATCH]
    )
    enrollment_ids.update(
        selectors.certificates_not_emailed(
            issued_before=before, issued_after=after
        ).values_list("enrollment_id", flat=True)[:SWEEP_BATCH]
    )
    card_ids = list(
        selectors.external_certificates_not_told(
            reviewed_before=before, reviewed_after=after
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for enrollment_id in sorted(enrollment_ids):
        issue_certificate.delay(enrollment_id)
    for card_id in card_ids:
        send_external_card_decision.delay(card_id)
    queued = len(enrollment_ids) + len(card_ids)
    if queued:
        logger.warning(
            "Sweeper queued %d certificate(s) and %d card decision(s)",
            len(enrollment_ids),
            len(card_ids),
        )
    return queued
