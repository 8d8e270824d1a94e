"""A lesson counts only once the learner opened its page in this enrollment: the GET
is recorded by the server, and "mark complete" for an unopened lesson is refused."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import NotAllowed
from courses.models import Enrollment, LessonProgress, LessonView
from courses.services import (
    enrollment_failure_record,
    lesson_complete,
    lesson_open,
)
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def lesson_url(lesson, name="courses:lesson") -> str:
    return reverse(name, args=[lesson.course.slug, lesson.module.slug, lesson.slug])


@pytest.fixture
def enrolled(learner_client, bls):
    return EnrollmentFactory(user=learner_client.user, course=bls)


def test_a_bare_post_for_an_unopened_lesson_is_refused_and_changes_nothing(
    learner_client, enrolled, bls
):
    lesson = bls.lessons.order_by("order").first()
    response = learner_client.post(
        lesson_url(lesson, "courses:lesson_complete"), {"next": "stay"}
    )
    # Sent to the lesson to read it, with the reason.
    assert response.status_code == 302
    assert response["Location"] == lesson_url(lesson)
    assert not LessonProgress.objects.exists()
    page = unescape(learner_client.get(response["Location"]).content.decode())
    assert f"Open “{lesson.title}” and read it before marking it complete" in page
    home = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "0 of 2" in home


def test_opening_the_lesson_then_marking_it_complete_counts(
    learner_client, enrolled, bls
):
    lesson = bls.lessons.order_by("order").first()
    assert learner_client.get(lesson_url(lesson)).status_code == 200
    learner_client.post(lesson_url(lesson, "courses:lesson_complete"), {"next": "stay"})
    assert LessonProgress.objects.filter(enrollment=enrolled, lesson=lesson).exists()


def test_the_service_refuses_an_unopened_lesson_with_its_code(enrolled, bls):
    lesson = bls.lessons.order_by("order").first()
    with pytest.raises(NotAllowed) as refused:
        lesson_complete(enrollment=enrolled, lesson=lesson)
    assert refused.value.code == "lesson.not_opened"
    assert not LessonProgress.objects.exists()
    lesson_open(enrollment=enrolled, lesson=lesson)
    assert lesson_complete(enrollment=enrolled, lesson=lesson).lesson == lesson


def test_an_opening_in_another_enrollment_does_not_count(user, bls):
    earlier = EnrollmentFactory(
        user=user, course=bls, status="completed", completed_at=timezone.now()
    )
    lesson = bls.lessons.order_by("order").first()
    lesson_open(enrollment=earlier, lesson=lesson)
    renewal = EnrollmentFactory(user=user, course=bls)
    with pytest.raises(NotAllowed):
        lesson_complete(enrollment=renewal, lesson=lesson)


def test_one_record_per_enrollment_and_lesson_moved_on_only_after_a_failure(
    learner_client, enrolled, bls
):
    """The page's GET writes the first opening; opening it again writes nothing
    until a failure is recorded (an exam's or a case's retake asks for lessons
    opened after it); the opening after that is written."""
    lesson = bls.lessons.order_by("order").first()
    first = timezone.now()
    with time_machine.travel(first, tick=False):
        learner_client.get(lesson_url(lesson))
    with (
        time_machine.travel(first + timedelta(hours=2), tick=False),
        CaptureQueriesContext(connection) as again,
    ):
        assert learner_client.get(lesson_url(lesson)).status_code == 200
    view = LessonView.objects.get()
    assert (view.enrollment, view.lesson) == (enrolled, lesson)
    assert view.first_opened_at == view.last_opened_at == first
    assert not [q for q in again.captured_queries if "lessonview" in q["sql"].lower()
                and not q["sql"].lstrip().upper().startswith("SELECT")]  # fmt: skip

    enrollment_failure_record(enrollment_id=enrolled.pk, at=first + timedelta(hours=3))
    with time_machine.travel(first + timedelta(hours=4), tick=False):
        learner_client.get(lesson_url(lesson))
    view.refresh_from_db()
    assert view.first_opened_at == first
    assert view.last_opened_at == first + timedelta(hours=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonView.objects.create(
            enrollment=enrolled, lesson=lesson, first_opened_at=first,
            last_opened_at=first,
        )  # fmt: skip


def test_a_failure_is_noted_on_each_enrollment_of_the_course(user, bls):
    """The retake rules read the learner's history of the course, whichever
    enrollment a failure was made in."""
    earlier = EnrollmentFactory(
        user=user, course=bls, status="completed", completed_at=timezone.now()
    )
    current = EnrollmentFactory(user=user, course=bls)
    other = EnrollmentFactory(user=user)
    someone_elses = EnrollmentFactory(course=bls)
    at = timezone.now() + timedelta(minutes=5)
    enrollment_failure_record(enrollment_id=earlier.pk, at=at)
    marks = {
        e.pk: e.lesson_views_current_from
        for e in Enrollment.objects.filter(
            pk__in=[earlier.pk, current.pk, other.pk, someone_elses.pk]
        )
    }
    assert marks[earlier.pk] == marks[current.pk] == at
    assert marks[other.pk] < at and marks[someone_elses.pk] < at
    # Never moved back by an earlier failure graded later.
    enrollment_failure_record(enrollment_id=current.pk, at=at - timedelta(minutes=1))
    current.refresh_from_db()
    assert current.lesson_views_current_from == at


def test_an_enrollment_from_before_the_mark_has_every_opening_written(
    learner_client, enrolled, bls
):
    Enrollment.objects.filter(pk=enrolled.pk).update(lesson_views_current_from=None)
    lesson = bls.lessons.order_by("order").first()
    first = timezone.now()
    for hours in (0, 1):
        with time_machine.travel(first + timedelta(hours=hours), tick=False):
            learner_client.get(lesson_url(lesson))
    assert LessonView.objects.get().last_opened_at == first + timedelta(hours=1)
    # A failure leaves it without the mark.
    enrollment_failure_record(enrollment_id=enrolled.pk, at=first)
    enrolled.refresh_from_db()
    assert enrolled.lesson_views_current_from is None


def test_a_staff_preview_records_no_opening(staff_client, bls):
    lesson = bls.lessons.order_by("order").first()
    assert staff_client.get(lesson_url(lesson)).status_code == 200
    assert not LessonView.objects.exists()
