"""Each e-mail once: claims, leases, stable Message-IDs, reminder batches, the sweeper.

A local SMTP sink (tests/integration/outside.py) stands in for a mail server that takes
a message and then drops the connection before saying so: the unclear case.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from celery.signals import task_prerun
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates import tasks
from certificates.models import Certificate, RenewalReminder
from certificates.selectors import EMAIL_CLAIM_LEASE
from certificates.services.issuing import certificate_issue
from certificates.services.reminders import (
    REMINDER_BATCH,
    renewal_reminder_send,
    renewal_reminders_send,
    renewal_reminders_send_batch,
)
from certificates.tasks import (
    send_renewal_reminders,
    sweep_missing_certificates,
)
from courses.models import Enrollment
from tests import factories
from tests.integration.outside import smtp_sink

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 10)
AFTER_THE_LEASE = EMAIL_CLAIM_LEASE + timedelta(minutes=1)


def _smtp(sink) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
        }
    }


def _certificate(*, expires_in: int) -> Certificate:
    expires_on = TODAY + timedelta(days=expires_in)
    return factories.CertificateFactory(
        issued_on=expires_on - timedelta(days=730), expires_on=expires_on
    )


# --- The issue e-mail ---------------------------------------------------------------


def test_issue_email_has_the_same_message_id_on_every_attempt(
    completed_enrollment, mailoutbox
):
    certificate = certificate_issue(enrollment=completed_enrollment)
    [message] = mailoutbox
    expected = f"<certificate-issued.{certificate.code}@127.0.0.1>"
    assert message.message()["Message-ID"] == expected


def test_issue_email_claimed_by_another_sender_is_not_sent_until_the_lease_ends(
    completed_enrollment, mailoutbox
):
    # A worker claimed the e-mail and died while (or after) the server took it.
    claimed = timezone.now() - timedelta(hours=2)
    Enrollment.objects.filter(pk=completed_enrollment.pk).update(completed_at=claimed)
    with time_machine.travel(claimed, tick=False):
        certificate = certificate_issue(enrollment=completed_enrollment)
    mailoutbox.clear()
    Certificate.objects.filter(pk=certificate.pk).update(
        emailed_at=None, email_claimed_at=timezone.now()
    )

    certificate_issue(enrollment=completed_enrollment)  # the redelivered task
    assert sweep_missing_certificates.delay().get() == 0
    assert mailoutbox == []

    with time_machine.travel(timezone.now() + AFTER_THE_LEASE, tick=False):
        assert sweep_missing_certificates.delay().get() == 1
        assert sweep_missing_certificates.delay().get() == 0
    [message] = mailoutbox
    assert message.message()["Message-ID"] == (
        f"<certificate-issued.{certificate.code}@127.0.0.1>"
    )
    assert Certificate.objects.get().emailed_at is not None


def test_unclear_send_failure_keeps_the_claim_so_a_retry_does_not_resend(
    completed_enrollment, settings
):
    with smtp_sink(hang_up=True) as sink:
        settings.MAILERS = _smtp(sink)
        with pytest.raises(OSError):  # noqa: PT011 - SMTPServerDisconnected
            certificate_issue(enrollment=completed_enrollment)
        certificate_issue(enrollment=completed_enrollment)  # the task's retry
        assert sink.count() == 1
    certificate = Certificate.objects.get()
    assert certificate.email_claimed_at is not None
    assert certificate.emailed_at is None


def test_refused_send_releases_the_claim_so_a_retry_sends(
    completed_enrollment, mailoutbox, settings
):
    locmem = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    with pytest.raises(OSError):  # noqa: PT011 - connection refused: nothing sent
        certificate_issue(enrollment=completed_enrollment)
    assert Certificate.objects.get().email_claimed_at is None
    settings.MAILERS = locmem
    certificate_issue(enrollment=completed_enrollment)
    assert len(mailoutbox) == 1


# --- Renewal reminders --------------------------------------------------------------


def test_same_reminder_sent_twice_goes_out_once(mailoutbox):
    certificate = _certificate(expires_in=30)
    first = renewal_reminder_send(certificate=certificate, kind="30d", today=TODAY)
    second = renewal_reminder_send(certificate=certificate, kind="30d", today=TODAY)
    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1
    assert RenewalReminder.objects.filter(certificate=certificate).count() == 1


def test_database_refuses_a_second_row_for_the_same_reminder():
    certificate = _certificate(expires_in=30)
    RenewalReminder.objects.create(certificate=certificate, kind="30d")
    with pytest.raises(IntegrityError), transaction.atomic():
        RenewalReminder.objects.create(certificate=certificate, kind="30d")


def test_reminder_has_the_same_message_id_on_every_attempt(mailoutbox):
    certificate = _certificate(expires_in=7)
    renewal_reminders_send(today=TODAY)
    [message] = mailoutbox
    assert message.message()["Message-ID"] == (
        f"<renewal-reminder.7d.{certificate.code}@127.0.0.1>"
    )


def test_reminder_claimed_by_a_dead_sender_is_sent_after_the_lease(mailoutbox):
    certificate = _certificate(expires_in=30)
    RenewalReminder.objects.create(certificate=certificate, kind="30d", sent_at=None)
    assert renewal_reminders_send(today=TODAY).sent == 0
    with time_machine.travel(timezone.now() + AFTER_THE_LEASE, tick=False):
        assert renewal_reminders_send(today=TODAY).sent == 1
        assert renewal_reminders_send(today=TODAY).sent == 0
    assert len(mailoutbox) == 1
    reminder = RenewalReminder.objects.get()
    assert reminder.sent_at is not None


def test_unclear_reminder_failure_is_not_resent_by_the_next_run(settings):
    _certificate(expires_in=30)
    with smtp_sink(hang_up=True) as sink:
        settings.MAILERS = _smtp(sink)
        with pytest.raises(OSError):  # noqa: PT011 - SMTPServerDisconnected
            renewal_reminders_send(today=TODAY)
        assert renewal_reminders_send(today=TODAY).sent == 0
        assert sink.count() == 1


def test_reminder_run_is_queued_in_batches_of_at_most_fifty(mailoutbox):
    for _ in range(REMINDER_BATCH * 2 + 3):
        _certificate(expires_in=30)
    batches = []

    def record(sender=None, args=None, **_):
        if sender.name == tasks.send_renewal_reminder_batch.name:
            batches.append(len(args[0]))

    task_prerun.connect(record)
    try:
        with time_machine.travel(TODAY, tick=False):
            assert send_renewal_reminders.delay().get() == REMINDER_BATCH * 2 + 3
    finally:
        task_prerun.disconnect(record)
    assert batches == [REMINDER_BATCH, REMINDER_BATCH, 3]
    assert len(mailoutbox) == REMINDER_BATCH * 2 + 3


def test_batch_out_of_time_leaves_the_rest_to_another_task(mailoutbox, monkeypatch):
    certificates = [_certificate(expires_in=7) for _ in range(4)]
    ids = [c.pk for c in certificates]
    run = renewal_reminders_send_batch(certificate_ids=ids, today=TODAY, budget=0)
    assert (run.sent, len(run.left)) == (1, 3)

    monkeypatch.setattr(tasks, "REMINDER_BATCH_BUDGET", 0)
    with time_machine.travel(TODAY, tick=False):
        tasks.send_renewal_reminder_batch.delay(run.left).get()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        c.user.email for c in certificates
    )


def test_renewed_certificate_queued_in_a_batch_gets_nothing(mailoutbox, user, bls):
    def completed():
        return factories.EnrollmentFactory(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            completed_at=timezone.now(),
        )

    old = factories.CertificateFactory(
        enrollment=completed(),
        issued_on=TODAY - timedelta(days=700),
        expires_on=TODAY + timedelta(days=30),
    )
    # Renewed between the daily run queuing the batch and the batch running.
    factories.CertificateFactory(
        enrollment=completed(),
        issued_on=TODAY,
        expires_on=TODAY + timedelta(days=730),
    )
    run = renewal_reminders_send_batch(certificate_ids=[old.pk], today=TODAY)
    assert (run.due, run.sent) == (0, 0)
    assert mailoutbox == []


# --- The sweeper and its command ----------------------------------------------------


def test_sweep_command_issues_lost_completions_at_once_with_no_grace(
    completed_enrollment, mailoutbox
):
    out = StringIO()
    call_command("sweep_certificates", stdout=out)  # within the grace period
    assert "Queued 0 certificate(s)" in out.getvalue()
    call_command("sweep_certificates", "--grace-minutes", "0", stdout=out)
    assert "Queued 1 certificate(s)" in out.getvalue()
    assert Certificate.objects.filter(enrollment=completed_enrollment).count() == 1
    assert len(mailoutbox) == 1


def test_sweep_command_refuses_a_negative_grace():
    with pytest.raises(CommandError, match="not a number of minutes"):
        call_command("sweep_certificates", "--grace-minutes", "-5")


def test_redelivery_waits_longer_than_any_task_or_retry_can_hold_a_message():
    # A message is redelivered to another worker once it has been unacknowledged for
    # the visibility timeout: a task still running, or a retry still waiting for its
    # countdown, must never reach it, or two workers would run the same task.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    soft, hard = settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT
    assert tasks.REMINDER_BATCH_BUDGET < soft < hard
    assert hard + tasks.RETRY_BACKOFF_MAX < visibility <= 15 * 60
    assert EMAIL_CLAIM_LEASE.total_seconds() > visibility + hard


# --- The outside-card decision e-mail -----------------------------------------------


def _fail_first_write_of(field: str, monkeypatch) -> None:
    """The first write recording `field` (by save or update) fails as a dropped
    database connection does, after the mail server took the message."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    from certificates.models import ExternalCertificate

    failed = []
    real_save, real_update = ExternalCertificate.save, QuerySet.update

    def fail_once():
        if not failed:
            failed.append(True)
            raise OperationalError("server closed the connection unexpectedly")

    def save(self, *args, **kwargs):
        if field in (kwargs.get("update_fields") or ()):
            fail_once()
        return real_save(self, *args, **kwargs)

    def update(self, **kwargs):
        if kwargs.get(field) is not None:
            fail_once()
        return real_update(self, **kwargs)

    monkeypatch.setattr(ExternalCertificate, "save", save)
    monkeypatch.setattr(QuerySet, "update", update)


def test_card_decision_email_is_not_sent_twice_when_marking_it_fails(
    mailoutbox, monkeypatch
):
    """The reviewer's test: the mark fails after the send; the retry (task or
    sweeper) finds the claim and sends nothing."""
    from django.db import OperationalError

    from certificates.models import ExternalCertificate
    from certificates.services import external

    card = factories.ExternalCertificateFactory(
        status=ExternalCertificate.Status.REJECTED,
        reviewed_at=timezone.now(),
        review_note="Unreadable.",
    )
    _fail_first_write_of("decision_emailed_at", monkeypatch)
    with pytest.raises(OperationalError):
        external.external_certificate_decision_notify(card_id=card.pk)
    # The task retries (ReliableTask) or the sweeper re-queues it.
    external.external_certificate_decision_notify(card_id=card.pk)
    assert len(mailoutbox) == 1


def test_card_decision_email_has_a_message_id_per_card_and_decision(
    mailoutbox, staff, bls
):
    from certificates.services.external import (
        external_certificate_decision_notify,
        external_certificate_review,
    )

    card = factories.ExternalCertificateFactory(course=bls)
    ids = []
    for approve in (True, False, True):  # approved, found forged, approved again
        with time_machine.travel(timezone.now() + timedelta(minutes=len(ids))):
            external_certificate_review(card=card, by=staff, approve=approve, note="x")
        assert external_certificate_decision_notify(card_id=card.pk) is True
        assert external_certificate_decision_notify(card_id=card.pk) is False
        ids.append(mailoutbox[-1].message()["Message-ID"])
    assert len(mailoutbox) == 3
    assert len(set(ids)) == 3
    assert all(i.startswith(f"<card-decision.{card.pk}.") for i in ids)


# --- The "add your legal name" e-mail -----------------------------------------------


def test_legal_name_request_is_sent_once_per_completion_even_when_redelivered(
    completed_enrollment, mailoutbox
):
    user = completed_enrollment.user
    user.legal_name = ""
    user.save()
    for _ in range(3):  # the completion's task, redelivered twice
        assert tasks.issue_certificate.delay(completed_enrollment.pk).get() is None
    [message] = mailoutbox
    assert "Add your legal name" in message.subject
    assert message.message()["Message-ID"] == (
        f"<certificate-name-needed.{completed_enrollment.pk}@127.0.0.1>"
    )
