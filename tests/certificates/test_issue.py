"""Issuing: completion → certificate row, PDF in storage, e-mail; idempotent, resumable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from certificates.codes import CODE_RE
from certificates.errors import CertificateNotIssuable, HolderNameMissing
from certificates.models import Certificate
from certificates.services.issuing import certificate_expiry, certificate_issue
from certificates.services.revocation import certificate_revoke
from certificates.tasks import issue_certificate, sweep_missing_certificates
from courses.models import Enrollment
from courses.services import (
    EnrollmentRefused,
    enrollment_complete,
    enrollment_create,
)
from tests import factories

pytestmark = pytest.mark.django_db

FAILING_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        # Nothing listens on port 1: a real connection refusal, as when SMTP is down.
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
    }
}


@pytest.mark.parametrize(
    ("issued_on", "months", "expires_on"),
    [
        (date(2026, 11, 23), 24, date(2028, 11, 30)),
        (date(2026, 11, 1), 24, date(2028, 11, 30)),
        (date(2026, 1, 31), 24, date(2028, 1, 31)),
        (date(2027, 2, 28), 12, date(2028, 2, 29)),
        (date(2026, 2, 10), 24, date(2028, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 31)),
        (date(2026, 12, 31), 24, date(2028, 12, 31)),
    ],
)
def test_expiry_is_the_last_day_of_the_month_validity_months_later(
    issued_on, months, expires_on
):
    assert certificate_expiry(issued_on=issued_on, validity_months=months) == expires_on


def test_course_without_validity_period_issues_nothing(completed_enrollment):
    completed_enrollment.course.validity_months = 0
    completed_enrollment.course.save()
    with pytest.raises(CertificateNotIssuable):
        certificate_issue(enrollment=completed_enrollment)
    assert not Certificate.objects.exists()


@time_machine.travel(datetime(2026, 11, 23, 15, 30, tzinfo=UTC), tick=False)
def test_completion_issues_certificate_with_snapshot_pdf_and_email(
    user, bls, mailoutbox, django_capture_on_commit_callbacks
):
    enrollment = factories.EnrollmentFactory(user=user, course=bls)
    with django_capture_on_commit_callbacks(execute=True):
        assert enrollment_complete(enrollment=enrollment)

    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.user == user
    assert certificate.holder_name == user.legal_name
    assert certificate.course_title == "Basic Life Support"
    assert certificate.course_code == "BLS"
    assert certificate.hours == Decimal("4.5")
    assert certificate.issued_on == date(2026, 11, 23)
    assert certificate.expires_on == date(2028, 11, 30)
    assert CODE_RE.match(certificate.code)
    assert certificate.code.startswith("BLS-")
    assert certificate.status == Certificate.Status.VALID
    assert certificate.emailed_at == timezone.now()
    with default_storage.open(certificate.pdf.name, "rb") as stored:
        assert stored.read(5) == b"%PDF-"

    [message] = mailoutbox
    assert message.to == [user.email]
    assert "Basic Life Support certificate" in message.subject
    assert f"/certificates/{certificate.code}/pdf/" in message.body
    assert certificate.verify_url in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f"/certificates/{certificate.code}/pdf/" in html
    [(filename, content, attachment_type)] = message.attachments
    assert filename == f"Lifeline-{certificate.code}.pdf"
    assert attachment_type == "application/pdf"
    assert content.startswith(b"%PDF-")


def test_certificate_issue_is_idempotent(completed_enrollment, mailoutbox):
    first = certificate_issue(enrollment=completed_enrollment)
    second = certificate_issue(enrollment=completed_enrollment)
    assert first.pk == second.pk
    assert first.code == second.code
    assert Certificate.objects.count() == 1
    assert len(mailoutbox) == 1


def test_task_delivered_twice_issues_one_certificate_and_one_email(
    completed_enrollment, mailoutbox
):
    codes = [issue_certificate.delay(completed_enrollment.pk).get() for _ in range(2)]
    assert codes[0] == codes[1]
    assert Certificate.objects.filter(enrollment=completed_enrollment).count() == 1
    assert len(mailoutbox) == 1


def test_certificate_prints_its_snapshot_after_name_and_course_change(
    issued, client, mailoutbox
):
    holder = issued.holder_name
    user, course = issued.user, issued.course
    user.legal_name = "Someone Else"
    user.save()
    course.title = "Renamed course"
    course.code = "NEW"
    course.save()
    # The PDF is lost and rendered again (a retry, or storage restored from backup).
    default_storage.delete(issued.pdf.name)
    certificate_issue(enrollment=issued.enrollment)
    with default_storage.open(issued.pdf.name, "rb") as stored:
        pdf = PdfReader(stored)
        text = " ".join(page.extract_text() for page in pdf.pages)
    assert holder in text and "Basic Life Support" in text
    assert "Someone Else" not in text and "Renamed course" not in text
    page = client.get(issued.get_absolute_url()).content.decode()
    assert holder in page and "Basic Life Support" in page
    assert "Someone Else" not in page and "Renamed course" not in page


def test_certificate_states_completion_date_when_issued_later(user, bls):
    completed_at = timezone.now() - timedelta(days=3)
    enrollment = factories.EnrollmentFactory(
        user=user,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=completed_at,
    )
    certificate = certificate_issue(enrollment=enrollment)
    assert certificate.issued_on == timezone.localdate(completed_at)


def test_open_enrollment_gets_no_certificate(user, bls):
    enrollment = factories.EnrollmentFactory(user=user, course=bls)
    with pytest.raises(CertificateNotIssuable):
        certificate_issue(enrollment=enrollment)
    assert issue_certificate.delay(enrollment.pk).get() is None
    assert not Certificate.objects.exists()


def test_issuing_bls_opens_the_waiting_acls_enrollment(user, bls, acls):
    bundle = factories.BundleFactory(courses=[bls, acls])
    enrollment = factories.EnrollmentFactory(
        user=user,
        course=bls,
        bundle=bundle,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    waiting = factories.EnrollmentFactory(
        user=user,
        course=acls,
        bundle=bundle,
        status=Enrollment.Status.WAITING,
        activated_at=None,
    )
    certificate_issue(enrollment=enrollment)
    waiting.refresh_from_db()
    assert waiting.status == Enrollment.Status.ACTIVE
    assert waiting.activated_at is not None


def test_storage_failure_keeps_the_certificate_and_a_retry_finishes(
    completed_enrollment, mailoutbox, settings, tmp_path
):
    not_a_directory = tmp_path / "media-is-a-file"
    not_a_directory.write_text("storage is broken")
    media_root = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = not_a_directory
    with pytest.raises(OSError):  # noqa: PT011 - any storage error
        certificate_issue(enrollment=completed_enrollment)
    certificate = Certificate.objects.get(enrollment=completed_enrollment)
    assert not certificate.pdf
    assert mailoutbox == []

    settings.MEDIA_ROOT = media_root
    retried = certificate_issue(enrollment=completed_enrollment)
    assert retried.pk == certificate.pk
    assert retried.pdf
    assert len(mailoutbox) == 1


def test_mail_failure_keeps_certificate_and_pdf_and_a_retry_sends_once(
    completed_enrollment, mailoutbox, settings
):
    settings.MAILERS = FAILING_SMTP
    with pytest.raises(OSError):  # noqa: PT011 - ConnectionRefusedError from SMTP
        certificate_issue(enrollment=completed_enrollment)
    certificate = Certificate.objects.get(enrollment=completed_enrollment)
    assert certificate.pdf
    assert certificate.emailed_at is None

    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    certificate_issue(enrollment=completed_enrollment)
    certificate_issue(enrollment=completed_enrollment)
    assert len(mailoutbox) == 1
    certificate.refresh_from_db()
    assert certificate.emailed_at is not None


def test_learner_without_legal_name_is_asked_for_it_and_gets_no_certificate(
    completed_enrollment, mailoutbox
):
    user = completed_enrollment.user
    user.legal_name = ""
    user.save()
    with pytest.raises(HolderNameMissing):
        certificate_issue(enrollment=completed_enrollment)

    assert issue_certificate.delay(completed_enrollment.pk).get() is None
    assert not Certificate.objects.exists()
    [message] = mailoutbox
    assert "Add your legal name" in message.subject
    assert "/accounts/profile/" in message.body


def test_sweeper_issues_after_the_learner_adds_a_legal_name(
    completed_enrollment, mailoutbox
):
    user = completed_enrollment.user
    user.legal_name = ""
    user.save()
    later = timezone.now() + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        assert sweep_missing_certificates.delay().get() == 0
        user.legal_name = "Ana María López"
        user.save()
        assert sweep_missing_certificates.delay().get() == 1
    certificate = Certificate.objects.get(enrollment=completed_enrollment)
    assert certificate.holder_name == "Ana María López"
    assert len(mailoutbox) == 1


def test_sweeper_issues_lost_completions_and_leaves_recent_ones_to_their_task(
    user, bls, mailoutbox
):
    now = timezone.now()
    lost = factories.EnrollmentFactory(
        user=user,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=now - timedelta(hours=2),
    )
    recent = factories.EnrollmentFactory(
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=now - timedelta(minutes=1),
    )
    done = factories.CertificateFactory().enrollment

    assert sweep_missing_certificates.delay().get() == 1
    assert Certificate.objects.filter(enrollment=lost).exists()
    assert not Certificate.objects.filter(enrollment=recent).exists()
    assert Certificate.objects.filter(enrollment=done).count() == 1
    assert sweep_missing_certificates.delay().get() == 0
    assert len(mailoutbox) == 1


def test_revocation_records_who_when_and_why_once(issued, staff):
    assert certificate_revoke(certificate=issued, by=staff, reason="Fraudulent exam")
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.REVOKED
    assert issued.revoked_by == staff
    assert issued.revoked_at is not None
    assert issued.revoke_reason == "Fraudulent exam"
    assert issued.display_status() == "revoked"

    assert not certificate_revoke(certificate=issued, by=staff, reason="Again")
    issued.refresh_from_db()
    assert issued.revoke_reason == "Fraudulent exam"


def test_revocation_needs_a_reason(issued, staff):
    with pytest.raises(ValidationError):
        certificate_revoke(certificate=issued, by=staff, reason="   ")
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.VALID


def test_revoked_bls_certificate_no_longer_opens_acls(issued, staff, acls):
    user = issued.user
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)


def test_sweeper_resends_an_issue_email_that_never_went_out(
    completed_enrollment, mailoutbox, settings
):
    settings.MAILERS = FAILING_SMTP
    with pytest.raises(OSError):  # noqa: PT011 - the task gave up on a dead server
        certificate_issue(enrollment=completed_enrollment)
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert sweep_missing_certificates.delay().get() == 1
        assert sweep_missing_certificates.delay().get() == 0
    assert len(mailoutbox) == 1
    assert Certificate.objects.get().emailed_at is not None


def test_sweeper_gives_up_on_issue_emails_after_a_week(
    completed_enrollment, mailoutbox, settings
):
    settings.MAILERS = FAILING_SMTP
    with pytest.raises(OSError):  # noqa: PT011 - the mail server refused
        certificate_issue(enrollment=completed_enrollment)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        assert sweep_missing_certificates.delay().get() == 0


def test_task_for_a_deleted_enrollment_does_nothing(mailoutbox):
    assert issue_certificate.delay(987654).get() is None
    assert mailoutbox == []
