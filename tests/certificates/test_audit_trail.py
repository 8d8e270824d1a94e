"""The audit trail of certificate decisions: written by the services themselves, so a
decision leaves its record whatever made it (a page, the admin, a task, a shell)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from certificates.errors import ExternalCardRefused, RevocationRefused
from certificates.models import Certificate, ExternalCertificate
from certificates.services.external import external_certificate_review
from certificates.services.issuing import certificate_issue
from certificates.services.reminders import renewal_reminders_send
from certificates.services.revocation import certificate_revoke
from core.errors import LifelineError
from tests import factories

from .test_external import UPLOAD_URL, _form
from .uploads import PDF

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("created_at", "pk"))


# --- Issued ------------------------------------------------------------------------


def test_issuing_records_one_event_however_often_it_runs(completed_enrollment):
    certificate = certificate_issue(enrollment=completed_enrollment)
    certificate_issue(enrollment=completed_enrollment)

    [event] = _events(Action.CERTIFICATE_ISSUED)
    assert event.subject == completed_enrollment.user
    assert event.actor is None and event.actor_label == "system"
    assert event.target_id == str(certificate.pk)
    assert event.data["code"] == certificate.code
    assert event.data["expires_on"] == certificate.expires_on.isoformat()


def test_issuing_from_the_task_is_recorded_as_a_task(completed_enrollment):
    from certificates.tasks import issue_certificate

    issue_certificate.delay(completed_enrollment.pk)

    [event] = _events(Action.CERTIFICATE_ISSUED)
    assert event.interface == AuditEvent.Interface.TASK


# --- Revoked -----------------------------------------------------------------------


def test_revoke_from_a_shell_leaves_a_record_of_who_and_why(issued, staff):
    # No admin involved: a service call from `manage.py shell`, a script, a task.
    assert certificate_revoke(certificate=issued, by=staff, reason="Forged exam")

    [event] = _events(Action.CERTIFICATE_REVOKED)
    assert event.interface == AuditEvent.Interface.SHELL
    assert event.actor == staff
    assert event.subject == issued.user
    assert event.target_id == str(issued.pk)
    assert event.data == {"code": issued.code, "reason": "Forged exam"}


def test_revoking_twice_records_one_event(issued, staff):
    certificate_revoke(certificate=issued, by=staff, reason="Forged exam")
    certificate_revoke(certificate=issued, by=staff, reason="Again")

    assert len(_events(Action.CERTIFICATE_REVOKED)) == 1


def test_revoke_without_a_reason_records_nothing(issued, staff):
    with pytest.raises(RevocationRefused) as refused:
        certificate_revoke(certificate=issued, by=staff, reason=" ")
    assert refused.value.code == "certificate.revoke_reason_missing"
    assert not _events(Action.CERTIFICATE_REVOKED)


def test_revoke_in_the_admin_is_recorded_as_admin_once_per_certificate(
    staff_client, issued
):
    other = factories.CertificateFactory()
    staff_client.post(
        reverse("admin:certificates_certificate_changelist"),
        {
            "action": "revoke",
            helpers.ACTION_CHECKBOX_NAME: [issued.pk, other.pk],
            "apply": "1",
            "reason": "Exam taken by someone else",
        },
    )

    events = _events(Action.CERTIFICATE_REVOKED)
    assert {e.target_id for e in events} == {str(issued.pk), str(other.pk)}
    assert {e.interface for e in events} == {AuditEvent.Interface.ADMIN}
    assert {e.actor for e in events} == {staff_client.user}


# --- Outside cards -----------------------------------------------------------------


@pytest.fixture
def pending_card(user, bls, acls):
    return factories.ExternalCertificateFactory(user=user, course=bls)


def test_uploading_a_card_records_it_as_submitted(learner_client, bls, acls):
    learner_client.post(UPLOAD_URL, _form(bls, uploads_pdf()))

    card = ExternalCertificate.objects.get()
    [event] = _events(Action.CARD_SUBMITTED)
    assert event.interface == AuditEvent.Interface.WEB
    assert event.actor == event.subject == learner_client.user
    assert event.target_id == str(card.pk)
    assert event.data["card_number"] == "215401234567"


def test_a_refused_upload_records_nothing(learner_client, bls, acls):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    learner_client.post(UPLOAD_URL, _form(bls, uploads_pdf(), issued_on=future))

    assert not ExternalCertificate.objects.exists()
    assert not _events(Action.CARD_SUBMITTED)


def test_approved_then_rejected_card_keeps_both_decisions(pending_card, staff):
    second_reviewer = factories.StaffFactory()
    external_certificate_review(card=pending_card, by=staff, approve=True)
    external_certificate_review(
        card=pending_card, by=second_reviewer, approve=False, note="Forged card"
    )

    approved, rejected = _events(Action.CARD_APPROVED) + _events(Action.CARD_REJECTED)
    assert approved.actor == staff
    assert approved.data["previous_status"] == ExternalCertificate.Status.PENDING
    assert rejected.actor == second_reviewer
    assert rejected.data["note"] == "Forged card"
    assert rejected.data["previous_status"] == ExternalCertificate.Status.APPROVED
    assert rejected.data["previous_reviewer"] == staff.email
    # The card holds the current decision; the first reviewer is not lost.
    pending_card.refresh_from_db()
    assert pending_card.reviewed_by == second_reviewer


def test_card_page_lists_every_decision_with_its_reviewer(client, pending_card, staff):
    second_reviewer = factories.StaffFactory()
    external_certificate_review(card=pending_card, by=staff, approve=True)
    external_certificate_review(
        card=pending_card, by=second_reviewer, approve=False, note="Forged card"
    )

    factories.login_with_mfa(client, second_reviewer)
    url = reverse(
        "admin:certificates_externalcertificate_change", args=[pending_card.pk]
    )
    page = client.get(url).content.decode()
    assert f"outside card approved by {staff.email}" in page
    assert f"outside card rejected by {second_reviewer.email}: Forged card" in page


def test_repeating_a_decision_records_nothing_new(pending_card, staff):
    external_certificate_review(card=pending_card, by=staff, approve=True)
    external_certificate_review(card=pending_card, by=staff, approve=True)

    assert len(_events(Action.CARD_APPROVED)) == 1


def test_refused_decisions_record_nothing_and_say_why_with_a_code(pending_card, staff):
    with pytest.raises(ExternalCardRefused) as no_note:
        external_certificate_review(card=pending_card, by=staff, approve=False)
    assert no_note.value.code == "external_card.note_missing"
    pending_card.expires_on = date(2020, 1, 1)
    pending_card.issued_on = date(2018, 1, 1)
    pending_card.save()
    with pytest.raises(ExternalCardRefused) as expired:
        external_certificate_review(card=pending_card, by=staff, approve=True)
    assert expired.value.code == "external_card.expired"
    assert not AuditEvent.objects.filter(
        action__in=[Action.CARD_APPROVED, Action.CARD_REJECTED]
    ).exists()


def test_card_decisions_in_the_admin_are_recorded_as_admin(staff_client, pending_card):
    url = reverse(
        "admin:certificates_externalcertificate_decide",
        args=[pending_card.pk, "reject"],
    )
    staff_client.post(url, {"apply": "1", "note": "Unreadable scan."})

    [event] = _events(Action.CARD_REJECTED)
    assert event.interface == AuditEvent.Interface.ADMIN
    assert event.actor == staff_client.user
    assert event.data["note"] == "Unreadable scan."


# --- Reminders ---------------------------------------------------------------------

TODAY = date(2027, 3, 10)


def test_each_reminder_sent_is_recorded_once(mailoutbox):
    due = factories.CertificateFactory(expires_on=TODAY + timedelta(days=30))
    factories.CertificateFactory(expires_on=TODAY + timedelta(days=200))  # not due
    with time_machine.travel(TODAY):
        renewal_reminders_send(today=TODAY)
        renewal_reminders_send(today=TODAY)  # nothing owed any more

    assert len(mailoutbox) == 1
    [event] = _events(Action.REMINDER_SENT)
    assert event.subject == due.user
    assert event.target_id == str(due.pk)
    assert event.data == {"code": due.code, "kind": "30d"}


def test_a_reminder_the_mail_server_refused_is_not_recorded(settings):
    factories.CertificateFactory(expires_on=TODAY + timedelta(days=30))
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    with time_machine.travel(TODAY), pytest.raises(OSError):  # noqa: PT011
        renewal_reminders_send(today=TODAY)

    assert not _events(Action.REMINDER_SENT)


# --- Error model -------------------------------------------------------------------


def test_refusals_are_lifeline_errors_and_still_validation_errors(issued, staff):
    with pytest.raises(LifelineError) as refused:
        certificate_revoke(certificate=issued, by=staff, reason="")
    assert isinstance(refused.value, ValidationError)
    assert refused.value.status == 400
    assert refused.value.message == "Give the reason for revoking the certificate."
    assert refused.value.messages == [refused.value.message]
    issued.refresh_from_db()
    assert issued.status == Certificate.Status.VALID


def uploads_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf")
