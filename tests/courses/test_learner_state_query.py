"""The learner-state queries of the learner pages are compiled once per process
(core.prepared): what they read equals the same querysets compiled as usual, for a
learner with lessons done, a quiz failed then passed and one failed, and for a
learner with nothing (issue 19)."""

from __future__ import annotations

import pytest

from courses import selectors
from courses.services import enrollment_create
from tests.courses.test_up_next import exam, lessons, study, take
from tests.exams.conftest import ready_to_retake
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

STATE = (
    "done_lesson_ids",
    "step_state_exams",
    "step_state_cases",
    "step_state_certificate",
)


def _rows(enrollments) -> list[tuple]:
    return [
        (
            e.pk,
            e.user_id,
            e.course_id,
            e.status,
            e.enrolled_at,
            e.last_lesson_id,
            *(getattr(e, name, None) for name in STATE),
        )
        for e in enrollments
    ]


@pytest.fixture
def busy(course):
    """Lessons of module 1 done, its quiz failed then passed, module 2 done, its quiz
    failed; a second enrollment in another course."""
    learner = UserFactory()
    enrollment = enrollment_create(user=learner, course=course)
    first, second = lessons(course)[:2], lessons(course)[2:]
    study(enrollment, first)
    take(learner, exam(course, "CPR quiz"), right=False)
    ready_to_retake(learner, exam(course, "CPR quiz"))
    take(learner, exam(course, "CPR quiz"))
    study(enrollment, second)
    take(learner, exam(course, "AED quiz"), right=False)
    enrollment_create(user=learner, course=CourseFactory(slug="first-aid"))
    return learner


@pytest.mark.parametrize(
    "query", ["_open_with_state", "_open_with_progress", "_all_with_state"]
)
def test_each_learner_state_query_reads_what_its_queryset_reads(busy, course, query):
    prepared = getattr(selectors, query)
    values = {"user_id": busy.pk}
    if "course_id" in prepared.params:
        values["course_id"] = course.pk
    rows = prepared(**values)
    assert rows, "the fixture gives every query something to read"
    studied = next(e for e in rows if e.course_id == course.pk)
    assert studied.done_lesson_ids  # the state is really there
    if query != "_open_with_progress":
        assert studied.step_state_exams
    assert _rows(rows) == _rows(prepared.queryset(**values))
    stranger = {**values, "user_id": UserFactory().pk}
    assert prepared(**stranger) == [] == list(prepared.queryset(**stranger))


def test_the_pages_see_the_state_of_their_own_learner(busy, course):
    other = UserFactory()
    enrollment_create(user=other, course=course)
    mine = selectors.enrollment_open_with_state(user=busy, course=course)
    theirs = selectors.enrollment_open_with_state(user=other, course=course)
    assert mine.user == busy and theirs.user == other
    assert len(mine.done_ids) == len(lessons(course))
    assert theirs.done_ids == set()


def test_only_a_query_that_may_read_completed_enrollments_reads_their_certificate(
    busy, course
):
    """What follows a completed course (its certificate) is read with the dashboard's
    enrollments, not with the open enrollment a course home reads."""
    (open_row,) = selectors._open_with_state(user_id=busy.pk, course_id=course.pk)
    assert not hasattr(open_row, "step_state_certificate")
    assert all(
        hasattr(row, "step_state_certificate")
        for row in selectors._all_with_state(user_id=busy.pk)
    )
