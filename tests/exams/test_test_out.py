"""Test-out for renewing learners (issue 12, adaptive renewal): a learner who holds a
current credential for the course, or one that expired fewer than 30 days ago, may
take each module exam before its lessons; a pass marks the module's lessons done in
the renewal enrollment (audited), a fail marks nothing and the lessons come first.
First-time learners study first."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from certificates.services.external import external_certificate_review
from certificates.services.revocation import certificate_revoke
from courses.models import Enrollment, LessonProgress
from courses.services import enrollment_create
from exams.models import Attempt
from exams.services import ExamRefused, exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, as_post, complete_lessons, open_lessons
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    ExternalCertificateFactory,
)

pytestmark = pytest.mark.django_db

NOTICE = "You are renewing this certification, so you may test out"


def hold_bls(user, bls, *, expires_in_days: int):
    """A BLS certificate of ours expiring in `expires_in_days` (negative: expired
    that many days ago)."""
    today = timezone.localdate()
    return CertificateFactory(
        enrollment__user=user,
        enrollment__course=bls,
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=expires_in_days),
    )


@pytest.fixture
def renewal(user, bls, module_exam, final_exam) -> Enrollment:
    """A learner whose BLS certificate expires in 60 days re-enrols (inside the
    renewal window) and has studied nothing."""
    hold_bls(user, bls, expires_in_days=60)
    return enrollment_create(user=user, course=bls)


def test_a_renewing_learner_is_told_they_may_test_out(learner_client, renewal):
    page = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert NOTICE in page
    assert "Test out: take Adult CPR quiz now" in page
    assert "Pass every module exam to unlock it." in page  # the final stays locked


def test_passing_a_test_out_marks_the_modules_lessons_done(
    learner_client, user, bls, module_exam, final_exam, renewal
):
    attempt, created = exam_attempt_start(user=user, exam=module_exam)
    assert created and attempt.is_test_out
    moment = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(moment, tick=False):
        response = learner_client.post(
            reverse("exams:attempt", args=[attempt.pk]),
            as_post(answers_for(attempt)),
            follow=True,
        )
    assert "the 2 lessons of" in response.content.decode()
    done = LessonProgress.objects.filter(enrollment=renewal)
    assert set(done.values_list("lesson__slug", flat=True)) == {
        "adult-compressions",
        "two-rescuer-cpr",
    }
    assert set(done.values_list("completed_at", flat=True)) == {moment}
    event = AuditEvent.objects.get(action=AuditEvent.Action.LESSONS_TESTED_OUT)
    assert event.subject == user and event.actor is None
    assert event.data["attempt"] == attempt.pk
    assert event.data["lessons"] == ["adult-compressions", "two-rescuer-cpr"]
    # The module is done: the final exam opens, and passing it completes the course.
    final, created = exam_attempt_start(user=user, exam=final_exam)
    assert created and not final.is_test_out
    assert exam_attempt_submit(
        attempt=final, answers=answers_for(final)
    ).completed_course


def test_failing_a_test_out_marks_nothing_and_the_lessons_come_first(
    learner_client, user, module_exam, renewal
):
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    outcome = exam_attempt_submit(
        attempt=attempt, answers=answers_for(attempt, correct=3)
    )
    assert not outcome.attempt.passed and outcome.lessons_tested_out == 0
    assert not LessonProgress.objects.filter(enrollment=renewal).exists()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.LESSONS_TESTED_OUT
    ).exists()
    with pytest.raises(ExamRefused) as refused:
        exam_attempt_start(user=user, exam=module_exam)
    assert refused.value.code == "exam.test_out_failed"
    page = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "finish this module&#x27;s lessons to take it again" in page
    assert NOTICE not in page
    # Once the lessons are done (opened, as the retake rule asks, and completed) the
    # exam opens again, as an ordinary attempt.
    open_lessons(renewal)
    complete_lessons(renewal)
    again, created = exam_attempt_start(user=user, exam=module_exam)
    assert created and not again.is_test_out


def test_a_first_time_learner_studies_first(
    learner_client, user, module_exam, enrollment
):
    page = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert NOTICE not in page and "Test out" not in page
    with pytest.raises(ExamRefused) as refused:
        exam_attempt_start(user=user, exam=module_exam)
    assert refused.value.code == "exam.lessons_left"
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    ("expired_days_ago", "may_test_out"),
    [(1, True), (29, True), (30, False), (31, False)],
    ids=["expired-1-day", "expired-29-days", "expired-30-days", "expired-31-days"],
)
def test_test_out_is_open_until_30_days_after_the_certificate_expired(
    learner_client, user, bls, module_exam, expired_days_ago, may_test_out
):
    hold_bls(user, bls, expires_in_days=-expired_days_ago)
    enrollment_create(user=user, course=bls)
    page = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert (NOTICE in page) is may_test_out
    if may_test_out:
        attempt, created = exam_attempt_start(user=user, exam=module_exam)
        assert created and attempt.is_test_out
    else:
        with pytest.raises(ExamRefused, match="Finish every lesson of this module"):
            exam_attempt_start(user=user, exam=module_exam)


def test_an_approved_outside_card_makes_a_renewing_learner(
    user, staff, bls, module_exam
):
    card = ExternalCertificateFactory(user=user, course=bls)
    external_certificate_review(card=card, by=staff, approve=True)
    EnrollmentFactory(user=user, course=bls)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert attempt.is_test_out


def test_a_revoked_certificate_does_not_make_a_renewing_learner(
    user, staff, bls, module_exam
):
    certificate = hold_bls(user, bls, expires_in_days=60)
    EnrollmentFactory(user=user, course=bls)
    certificate_revoke(certificate=certificate, by=staff, reason="Issued in error")
    with pytest.raises(ExamRefused, match="Finish every lesson of this module"):
        exam_attempt_start(user=user, exam=module_exam)


def test_a_certificate_of_another_course_does_not_make_a_renewing_learner(
    user, bls, acls, module_exam
):
    CertificateFactory(enrollment__user=user, enrollment__course=acls)
    EnrollmentFactory(user=user, course=bls)
    with pytest.raises(ExamRefused, match="Finish every lesson of this module"):
        exam_attempt_start(user=user, exam=module_exam)
