"""The course home kept per learner (accounts.learner_pages) is never shown past a
moment the clock alone changes it: an open attempt's time running out, a retake's
cool-down ending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from courses.models import Lesson
from exams.models import Attempt
from exams.selectors import exam_pacing_for
from exams.selectors.attempts import attempt_closes_at
from exams.services import exam_attempt_start, exam_attempt_submit

from .conftest import answers_for, open_lessons, ready_to_retake

pytestmark = pytest.mark.django_db


def home_of(client, course) -> str:
    return client.get(reverse("courses:home", args=[course.slug])).content.decode()


def test_an_open_attempt_is_graded_on_the_first_visit_after_its_time_is_up(
    client, user, attempt, clock
):
    client.force_login(user)
    course = attempt.exam.course
    closes = attempt_closes_at(attempt)
    # Drawn and kept a minute before the attempt closes (well within MAX_AGE)...
    clock.move_to(closes - timedelta(minutes=1))
    assert f"Resume {attempt.exam.title}" in home_of(client, course)
    assert f"Resume {attempt.exam.title}" in home_of(client, course)
    # ...and not served once it has (and its grace).
    clock.move_to(closes + timedelta(seconds=11))
    page = home_of(client, course)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert f"Resume {attempt.exam.title}" not in page
    notice = f"Time was up on your attempt at {attempt.exam.title}"
    assert notice in page
    # The notice is shown once: the page that showed it was not kept.
    assert notice not in home_of(client, course)


def test_a_retake_opens_on_the_page_when_its_cool_down_ends(
    client, user, module_exam, studied, clock
):
    client.force_login(user)
    # Three failures in a row: a cool-down (exams.selectors.pacing).
    for _ in range(3):
        ready_to_retake(user, module_exam, clock)
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        exam_attempt_submit(attempt=attempt, answers=answers_for(attempt, correct=0))
    pacing = exam_pacing_for(exam=module_exam, enrollment=studied)
    assert pacing.opens_at is not None
    # The lessons the result names are opened: only the cool-down stands.
    opened = [lesson.pk for lesson in pacing.lessons_to_open]
    open_lessons(studied, Lesson.objects.filter(pk__in=opened))
    start = reverse("exams:start", args=[module_exam.pk])  # the retake's form
    # Drawn and kept a minute before the cool-down ends (well within MAX_AGE)...
    clock.move_to(pacing.opens_at - timedelta(minutes=1))
    assert start not in home_of(client, module_exam.course)
    assert start not in home_of(client, module_exam.course)
    # ...and not served once it has.
    clock.move_to(pacing.opens_at + timedelta(seconds=1))
    assert start in home_of(client, module_exam.course)
