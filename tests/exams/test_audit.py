"""Completion, the wait for a lapsed prerequisite, and staff changes to what learners
are examined on are recorded in the audit trail by the services that decide them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from certificates.services.revocation import certificate_revoke
from courses.services import enrollment_create
from exams.models import Exam, Question
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.courses.test_audit import trail
from tests.exams.conftest import answers_for, as_post, complete_lessons, make_bank
from tests.factories import CertificateFactory, ExamFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def pass_exam(user, exam) -> None:
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    assert exam_attempt_submit(attempt=attempt, answers=answers_for(attempt)).attempt


def test_passing_the_final_on_the_web_records_the_completion_as_the_systems(
    learner_client, user, module_exam, final_exam, studied
):
    pass_exam(user, module_exam)
    attempt, _ = exam_attempt_start(user=user, exam=final_exam)
    learner_client.post(
        reverse("exams:attempt", args=[attempt.pk]), as_post(answers_for(attempt))
    )
    studied.refresh_from_db()
    assert trail(action=Action.ENROLLMENT_COMPLETED) == [
        (Action.ENROLLMENT_COMPLETED, "web", None, user, str(studied.pk))
    ]
    event = AuditEvent.objects.get(action=Action.ENROLLMENT_COMPLETED)
    assert event.data["course"] == "BLS"
    # JSON keeps milliseconds.
    recorded = parse_datetime(event.data["completed_at"])
    assert abs(recorded - studied.completed_at) < timedelta(milliseconds=1)


def test_a_final_passed_without_a_current_prerequisite_records_the_wait(
    user, staff, bls, acls
):
    bls_certificate = CertificateFactory(enrollment__user=user, enrollment__course=bls)
    enrollment = enrollment_create(user=user, course=acls)
    final = ExamFactory(course=acls, title="ACLS final", pass_mark=50)
    make_bank(final, 3)
    complete_lessons(enrollment)
    attempt, _ = exam_attempt_start(user=user, exam=final)
    certificate_revoke(certificate=bls_certificate, by=staff, reason="Issued in error")
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert trail(action=Action.ENROLLMENT_WAITING) == [
        (Action.ENROLLMENT_WAITING, "shell", None, user, str(enrollment.pk))
    ]
    assert AuditEvent.objects.get(action=Action.ENROLLMENT_WAITING).data == {
        "course": "ACLS",
        "waiting_for": ["BLS"],
        "final_passed": True,
    }
    assert not AuditEvent.objects.filter(action=Action.ENROLLMENT_COMPLETED).exists()


@pytest.mark.parametrize(
    ("model", "name", "deactivated", "activated"),
    [
        (Question, "question", Action.QUESTION_DEACTIVATED, Action.QUESTION_ACTIVATED),
        (Exam, "exam", Action.EXAM_DEACTIVATED, Action.EXAM_ACTIVATED),
    ],
    ids=["question", "exam"],
)
def test_taking_exams_and_questions_out_of_use_in_the_admin_is_recorded(
    staff_client, staff, module_exam, model, name, deactivated, activated
):
    row = module_exam if model is Exam else module_exam.questions.first()
    url = reverse(f"admin:exams_{name}_changelist")
    staff_client.post(url, {"action": "deactivate", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert not row.is_active
    staff_client.post(url, {"action": "activate", "_selected_action": [row.pk]})
    staff_client.post(url, {"action": "activate", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.is_active
    assert trail() == [
        (deactivated, "admin", staff, None, str(row.pk)),
        (activated, "admin", staff, None, str(row.pk)),
    ]


def test_deactivating_a_question_in_its_change_form_is_recorded(
    staff_client, staff, module_exam
):
    from tests.exams.test_admin import change_url, question_post

    question = module_exam.questions.order_by("order").first()
    data = question_post(question, correct=[0])
    del data["is_active"]
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    assert not question.is_active
    assert trail() == [
        (Action.QUESTION_DEACTIVATED, "admin", staff, None, str(question.pk))
    ]
