"""The exam services refuse with the common error model (core.errors): a stable dotted
code and the status an API (and the autosave endpoint) answers with."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, InvalidInput, LifelineError, NotAllowed
from exams.services import (
    exam_attempt_answer,
    exam_attempt_start,
    exam_attempt_submit,
)
from tests.exams.conftest import answers_for, as_post, complete_lessons, make_bank
from tests.factories import EnrollmentFactory, ExamFactory

pytestmark = pytest.mark.django_db


def refusal(call) -> LifelineError:
    with pytest.raises(LifelineError) as raised:
        call()
    return raised.value


def test_exam_refusals_carry_their_codes(user, bls, module_exam, final_exam):
    assert (
        refusal(lambda: exam_attempt_start(user=user, exam=module_exam)).code
        == "exam.not_enrolled"
    )
    enrollment = EnrollmentFactory(user=user, course=bls)
    assert (
        refusal(lambda: exam_attempt_start(user=user, exam=module_exam)).code
        == "exam.lessons_left"
    )
    assert (
        refusal(lambda: exam_attempt_start(user=user, exam=final_exam)).code
        == "exam.module_exams_left"
    )
    complete_lessons(enrollment)
    module_exam.questions.update(is_active=False)
    no_questions = refusal(lambda: exam_attempt_start(user=user, exam=module_exam))
    assert no_questions.code == "exam.no_questions"
    module_exam.questions.update(is_active=True)

    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    invalid = refusal(lambda: exam_attempt_answer(attempt=attempt, answers={99: "x"}))
    assert isinstance(invalid, InvalidInput) and invalid.code == "exam.invalid_answer"
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt, correct=0))
    closed = refusal(
        lambda: exam_attempt_answer(attempt=attempt, answers=answers_for(attempt))
    )
    assert isinstance(closed, Conflict) and closed.code == "exam.attempt_closed"


def test_time_is_up_is_a_conflict_with_its_code(user, bls, module_exam, studied):
    module_exam.time_limit_minutes = 10
    module_exam.save()
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        late = refusal(
            lambda: exam_attempt_answer(attempt=attempt, answers=answers_for(attempt))
        )
    assert isinstance(late, Conflict) and late.code == "exam.time_is_up"


def test_exam_prerequisite_refusal_has_its_code(user, acls):
    exam = ExamFactory(course=acls, title="ACLS final")
    make_bank(exam, 2)
    EnrollmentFactory(user=user, course=acls)
    assert (
        refusal(lambda: exam_attempt_start(user=user, exam=exam)).code
        == "exam.prerequisite_missing"
    )


def test_autosave_answers_with_the_refusals_status(
    learner_client, user, module_exam, studied
):
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    url = reverse("exams:answer", args=[attempt.pk])
    exam_attempt_submit(attempt=attempt, answers={})
    response = learner_client.post(url, as_post(answers_for(attempt)))
    assert response.status_code == 409
    assert "already submitted" in response.json()["error"]


def test_exam_start_refusal_is_not_allowed(user, module_exam):
    assert isinstance(
        refusal(lambda: exam_attempt_start(user=user, exam=module_exam)), NotAllowed
    )
