"""Completing a course with prerequisites re-checks them at that moment (issue 12):
if the learner's BLS lapsed, was revoked, or the outside card was rejected
meanwhile, the enrollment waits (status and pages say so) and completes as soon as a
current BLS exists; no certificate is issued before."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.external import external_certificate_review
from certificates.services.revocation import certificate_revoke
from courses.models import Enrollment
from courses.services import enrollment_complete, enrollment_create
from exams.models import Exam
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, complete_lessons, make_bank
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    ExamFactory,
    ExternalCertificateFactory,
)

pytestmark = pytest.mark.django_db

WAITING_HOME = (
    "You passed the final exam, but Advanced Cardiovascular Life Support requires a "
    "current certificate in Basic Life Support, and you do not hold one now."
)
WAITING_DASHBOARD = (
    "You passed the final exam. It completes, and your certificate is issued, as "
    "soon as you hold a current BLS certificate again."
)


def text_of(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(text).split()).replace(" ,", ",").replace(" .", ".")


@pytest.fixture
def acls_exams(acls):
    module_exam = ExamFactory(
        course=acls, module=acls.modules.get(), kind=Exam.Kind.MODULE, pass_mark=50
    )
    make_bank(module_exam, 3)
    final = ExamFactory(
        course=acls, title="ACLS final exam", pass_mark=50, time_limit_minutes=60
    )
    make_bank(final, 3)
    return module_exam, final


def pass_module_exam(user, exam) -> None:
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    assert exam_attempt_submit(attempt=attempt, answers=answers_for(attempt)).attempt


def bls_lapses(user, bls, staff, cause: str):
    """Gives the learner a current BLS credential and returns a function that makes
    it lapse in the way named: `lapsed` (time-machine past its expiry: returns the
    moment), `revoked`, `rejected` (an approved outside card found forged)."""
    if cause == "rejected":
        card = ExternalCertificateFactory(user=user, course=bls)
        external_certificate_review(card=card, by=staff, approve=True)
        return lambda: external_certificate_review(
            card=card, by=staff, approve=False, note="Not genuine"
        )
    certificate = CertificateFactory(
        enrollment__user=user,
        enrollment__course=bls,
        issued_on=timezone.localdate() - timedelta(days=700),
        expires_on=timezone.localdate() + timedelta(days=2),
    )
    if cause == "revoked":
        return lambda: certificate_revoke(
            certificate=certificate, by=staff, reason="Issued in error"
        )
    return None


def bls_arrives(user, bls, staff, how: str) -> None:
    """A current BLS credential arrives: our certificate issued (a BLS renewal
    completed) or an outside card approved by staff."""
    if how == "outside card approved":
        card = ExternalCertificateFactory(user=user, course=bls)
        external_certificate_review(card=card, by=staff, approve=True)
    else:
        renewal = EnrollmentFactory(user=user, course=bls)
        assert enrollment_complete(enrollment=renewal)


@pytest.mark.parametrize("how", ["new certificate issued", "outside card approved"])
@pytest.mark.parametrize("cause", ["lapsed", "revoked", "rejected"])
def test_acls_waits_for_a_current_bls_and_completes_when_one_arrives(
    client, user, staff, bls, acls, acls_exams, cause, how,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    module_exam, final = acls_exams
    lapse = bls_lapses(user, bls, staff, cause)
    enrollment = enrollment_create(user=user, course=acls)
    complete_lessons(enrollment)
    pass_module_exam(user, module_exam)
    if cause == "lapsed":
        # The final starts at 23:30 on the BLS card's last valid day and is
        # submitted 40 minutes later, within its hour but past midnight: the BLS
        # certificate lapsed during the final.
        expiry = Certificate.objects.get(course=bls).expires_on
        started = datetime(expiry.year, expiry.month, expiry.day, 23, 30, tzinfo=UTC)
        submitted = started + timedelta(minutes=40)
    else:
        started = submitted = timezone.now()
    with time_machine.travel(started, tick=False):
        attempt, _ = exam_attempt_start(user=user, exam=final)
    if lapse is not None:
        lapse()
    with (
        time_machine.travel(submitted, tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        outcome = exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
        client.force_login(user)
        dashboard = text_of(client.get(reverse("courses:dashboard")))
        home = text_of(client.get(reverse("courses:home", args=["acls"])))
    assert outcome.attempt.passed  # the pass stands
    assert not outcome.graded_as_of_deadline
    assert outcome.waiting_for_prerequisites and not outcome.completed_course
    assert callbacks == []  # nothing published: no certificate queued
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.WAITING
    assert enrollment.completed_at is None
    assert not Certificate.objects.filter(course=acls).exists()
    # The status and the pages say what it waits for.
    assert "Waiting for Basic Life Support" in dashboard
    assert WAITING_DASHBOARD in dashboard
    assert "Waiting for Basic Life Support" in home
    assert WAITING_HOME in home
    assert (
        "Start ACLS final exam" not in home and "certificate is on its way" not in home
    )

    arrival = submitted + timedelta(days=3)
    with (
        time_machine.travel(arrival, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        bls_arrives(user, bls, staff, how)
    with time_machine.travel(arrival, tick=False):
        home = client.get(reverse("courses:home", args=["acls"]))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    # Completed when the prerequisite arrived: it could not complete before.
    assert enrollment.completed_at == arrival
    certificate = Certificate.objects.get(course=acls)
    assert certificate.enrollment == enrollment
    assert certificate.issued_on == timezone.localdate(arrival)
    # A completed course's home is its review: lessons to reread, the certificate.
    page = text_of(home)
    assert "You completed Advanced Cardiovascular Life Support" in page
    assert f"Certificate {certificate.code}" in page
    assert "Download your certificate (PDF)" in page


def test_a_bundle_enrollment_waiting_before_it_opened_keeps_its_own_message(
    learner_client, user, bls, acls
):
    """Only an enrollment whose final was passed says "you passed"; one enrolled
    through a bundle waits to open."""
    EnrollmentFactory(
        user=user, course=acls, status=Enrollment.Status.WAITING, activated_at=None
    )
    dashboard = text_of(learner_client.get(reverse("courses:dashboard")))
    assert "It opens as soon as your BLS certificate is issued." in dashboard
    assert "You passed the final exam" not in dashboard
    response = learner_client.get(reverse("courses:home", args=["acls"]))
    assert response["Location"] == reverse("courses:detail", args=["acls"])
