"""A mail server that refuses a recipient for good (5xx on RCPT or DATA) costs that one
e-mail, recorded on its row and shown to staff; every other learner still gets theirs,
and nothing retries the refused one. A temporary refusal (4xx) or a connection error
is still retried.

A local SMTP sink (tests/integration/outside.py) refuses addresses starting with
"gone" (550) or "busy" (450), as a real relay does at RCPT.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, ExternalCertificate, RenewalReminder
from certificates.services.external import (
    external_certificate_decision_notify,
    external_certificate_review,
)
from certificates.services.issuing import certificate_issue
from certificates.services.reminders import renewal_reminders_send
from certificates.tasks import sweep_missing_certificates
from courses.models import Enrollment
from tests import factories
from tests.integration.outside import smtp_sink

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 10)
REFUSE = {
    "gone": "550 5.1.1 mailbox unavailable",
    "busy": "450 4.2.1 mailbox busy, try later",
}


def _smtp(sink) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
        }
    }


def _certificate(*, email: str, expires_in: int) -> Certificate:
    expires_on = TODAY + timedelta(days=expires_in)
    return factories.CertificateFactory(
        enrollment__user=factories.UserFactory(email=email),
        issued_on=expires_on - timedelta(days=730),
        expires_on=expires_on,
    )


def _completed(*, email: str, bls, minutes_ago: int = 30) -> Enrollment:
    return factories.EnrollmentFactory(
        user=factories.UserFactory(email=email),
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _recipients(sink) -> list[str]:
    return sorted(message["To"] for message in sink.messages())


# --- Renewal reminders --------------------------------------------------------------


def test_one_refused_address_does_not_stop_other_learners_reminders(settings):
    """The reviewer's test: five daily runs, each retried, with a backend refusing
    one recipient for good; the other learner gets their reminder once."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "tests.certificates.refusing_backend.RefusingBackend",
            "OPTIONS": {},
        }
    }
    _certificate(email="gone@example.org", expires_in=80)
    _certificate(email="fine@example.org", expires_in=81)
    mail.outbox = []
    for day in range(5):  # five daily runs (each with its retries)
        with time_machine.travel(TODAY + timedelta(days=day), tick=False):
            for _ in range(3):
                try:
                    renewal_reminders_send()
                except OSError:
                    pass
    assert [m.to for m in mail.outbox] == [["fine@example.org"]]


def test_refused_reminder_is_recorded_failed_and_never_retried(settings):
    gone = _certificate(email="gone@example.org", expires_in=7)  # first in the batch
    _certificate(email="fine@example.org", expires_in=20)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        run = renewal_reminders_send(today=TODAY)
        assert (run.due, run.sent) == (2, 1)
        assert _recipients(sink) == ["fine@example.org"]
        for day in range(1, 4):  # the next runs neither retry nor stop on it
            assert renewal_reminders_send(today=TODAY + timedelta(days=day)).sent == 0
        assert sink.count() == 1
    reminder = RenewalReminder.objects.get(certificate=gone)
    assert reminder.sent_at is None
    assert reminder.failed_at is not None
    assert "550" in reminder.failure
    assert "mailbox unavailable" in reminder.failure


def test_refused_reminder_does_not_stop_the_next_kind_later(settings):
    """The 7-day reminder bounced; the "expired" one is still tried on its day (the
    learner may have fixed their address)."""
    gone = _certificate(email="gone@example.org", expires_in=7)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        renewal_reminders_send(today=TODAY)
        sink.refuse = {}
        assert renewal_reminders_send(today=TODAY + timedelta(days=8)).sent == 1
    kinds = dict(
        RenewalReminder.objects.filter(certificate=gone).values_list(
            "kind", "failed_at"
        )
    )
    assert kinds[RenewalReminder.Kind.DAYS_7] is not None
    assert kinds[RenewalReminder.Kind.EXPIRED] is None


def test_temporary_refusal_of_a_reminder_is_retried(settings):
    _certificate(email="busy@example.org", expires_in=7)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        with pytest.raises(OSError):  # noqa: PT011 - SMTPRecipientsRefused 450
            renewal_reminders_send(today=TODAY)
        assert not RenewalReminder.objects.exists()  # claim released
        sink.refuse = {}
        assert renewal_reminders_send(today=TODAY).sent == 1  # the retry
        assert _recipients(sink) == ["busy@example.org"]


# --- The issue e-mail ---------------------------------------------------------------


def test_refused_issue_email_is_recorded_failed_and_not_resent(settings, bls):
    enrollment = _completed(email="gone@example.org", bls=bls)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        certificate = certificate_issue(enrollment=enrollment)  # does not raise
        assert certificate.emailed_at is None
        assert certificate.email_failed_at is not None
        assert "550" in certificate.email_failure
        certificate_issue(enrollment=enrollment)  # a redelivered task
        with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
            assert sweep_missing_certificates.delay().get() == 0  # not re-queued
        assert sink.count() == 0


def test_a_refused_issue_email_does_not_stop_the_sweeper_sending_the_others(
    settings, bls
):
    gone = _completed(email="gone@example.org", bls=bls)  # swept first
    _completed(email="fine@example.org", bls=bls)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        assert sweep_missing_certificates.delay().get() == 2
        assert _recipients(sink) == ["fine@example.org"]
        assert sweep_missing_certificates.delay().get() == 0
    assert Certificate.objects.get(enrollment=gone).email_failed_at is not None


def test_temporary_refusal_of_the_issue_email_is_retried(settings, bls):
    enrollment = _completed(email="busy@example.org", bls=bls)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        with pytest.raises(OSError):  # noqa: PT011 - SMTPRecipientsRefused 450
            certificate_issue(enrollment=enrollment)
        certificate = Certificate.objects.get()
        assert certificate.email_claimed_at is None
        assert certificate.email_failed_at is None
        sink.refuse = {}
        certificate_issue(enrollment=enrollment)  # the task's retry
        assert _recipients(sink) == ["busy@example.org"]


def test_staff_see_a_refused_issue_email_in_the_admin(settings, bls, staff_client):
    enrollment = _completed(email="gone@example.org", bls=bls)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        certificate = certificate_issue(enrollment=enrollment)
    page = staff_client.get(
        reverse("admin:certificates_certificate_change", args=[certificate.pk])
    ).content.decode()
    assert "5.1.1 mailbox unavailable" in page
    listing = staff_client.get(
        reverse("admin:certificates_certificate_changelist"),
        {"email_failed_at__isnull": "False"},
    ).content.decode()
    assert certificate.code in listing


def test_staff_see_a_refused_reminder_on_its_certificate(settings, staff_client):
    certificate = _certificate(email="gone@example.org", expires_in=7)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        renewal_reminders_send(today=TODAY)
    page = staff_client.get(
        reverse("admin:certificates_certificate_change", args=[certificate.pk])
    ).content.decode()
    assert "5.1.1 mailbox unavailable" in page


# --- The outside-card decision e-mail -----------------------------------------------


def test_refused_card_decision_is_recorded_failed_and_not_requeued(
    settings, bls, staff
):
    card = factories.ExternalCertificateFactory(
        user=factories.UserFactory(email="gone@example.org"), course=bls
    )
    external_certificate_review(card=card, by=staff, approve=False, note="Blurred.")
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        assert external_certificate_decision_notify(card_id=card.pk) is False
        with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
            assert sweep_missing_certificates.delay().get() == 0
        assert sink.count() == 0
    card = ExternalCertificate.objects.get(pk=card.pk)
    assert card.decision_email_failed_at is not None
    assert "550" in card.decision_email_failure


def test_staff_find_certificates_with_a_refused_reminder_in_the_list(
    settings, staff_client
):
    gone = _certificate(email="gone@example.org", expires_in=7)
    fine = _certificate(email="fine@example.org", expires_in=8)
    with smtp_sink(refuse=REFUSE) as sink:
        settings.MAILERS = _smtp(sink)
        renewal_reminders_send(today=TODAY)
    page = staff_client.get(
        reverse("admin:certificates_certificate_changelist"),
        {"reminder_refused": "yes"},
    ).content.decode()
    assert "reminder refused" in page
    assert gone.code in page
    assert fine.code not in page
