"""The exam pages' decisions (which exams are locked, what a result offers) are made
once, by selectors; the start refusal, the course home and the result page agree."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Lesson
from courses.selectors import completed_lesson_ids, modules_with_lessons
from exams.selectors import ExamLock, attempt_result, exam_overview_for
from exams.services import ExamRefused, exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, complete_lessons, ready_to_retake

pytestmark = pytest.mark.django_db


def overview(enrollment):
    return exam_overview_for(
        enrollment=enrollment,
        modules=modules_with_lessons(course=enrollment.course),
        done_ids=completed_lesson_ids(enrollment=enrollment),
    )


def start_refusal(user, exam) -> str | None:
    try:
        exam_attempt_start(user=user, exam=exam)
    except ExamRefused as refused:
        return refused.code
    return None


@pytest.mark.parametrize("lessons_done", [0, 1, 2])
@pytest.mark.parametrize("module_passed", [False, True])
def test_start_and_course_home_apply_the_same_unlock_rule(
    learner_client, user, module_exam, final_exam, enrollment, lessons_done,
    module_passed,
):  # fmt: skip
    complete_lessons(enrollment, enrollment.course.lessons.order_by("order")[:2])
    if module_passed:
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    enrollment.progress.exclude(
        lesson__in=enrollment.course.lessons.order_by("order")[:lessons_done]
    ).delete()
    home = overview(enrollment)
    page = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    for status in [*home.module_exams, home.final]:
        expected = status.lock.code if status.lock else None
        assert start_refusal(user, status.exam) == expected
        if status.lock:
            assert status.lock.hint in page.replace("&#x27;", "'")
    assert (home.final.lock is None) is module_passed
    assert (home.module_exams[0].lock is None) is (lessons_done == 2)
    assert ExamLock.LESSONS_LEFT.code == "exam.lessons_left"


def test_result_of_a_final_that_completed_the_course(user, module_exam, final_exam):
    from tests.factories import EnrollmentFactory

    enrollment = EnrollmentFactory(user=user, course=module_exam.course)
    complete_lessons(enrollment)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    module_attempt = exam_attempt_submit(
        attempt=attempt, answers=answers_for(attempt, correct=0)
    ).attempt
    failed = attempt_result(attempt=module_attempt)
    assert (failed.completed, failed.can_retake, failed.lessons_left) == (
        False,
        True,
        False,
    )
    # Every missed question is counted under its (published) review lesson.
    [topic] = failed.review_topics
    assert (topic.lesson.title, topic.missed) == (
        module_exam.module.lessons.order_by("order").first().title,
        5,
    )
    assert failed.retake_wait.lessons_to_open == [topic.lesson]
    lesson = Lesson.objects.get(pk=topic.lesson.pk)
    lesson.is_published = False
    lesson.save()
    [elsewhere] = attempt_result(attempt=module_attempt).review_topics
    assert (elsewhere.lesson, elsewhere.missed) == (None, 5)
    lesson.is_published = True
    lesson.save()

    ready_to_retake(user, module_exam)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    attempt, _ = exam_attempt_start(user=user, exam=final_exam)
    final = exam_attempt_submit(attempt=attempt, answers=answers_for(attempt)).attempt
    result = attempt_result(attempt=final)
    assert (result.completed, result.can_retake, result.lessons_left) == (
        True,
        False,
        False,
    )
