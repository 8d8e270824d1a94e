"""Exam fixtures: BLS (from the shared `bls` fixture: one module of two lessons) with a
module exam and a final exam, and helpers to take them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Enrollment, Lesson, LessonProgress
from courses.selectors import enrollment_open_with_state
from courses.services import lesson_open
from exams.models import Attempt, Exam
from exams.selectors import exam_pacing_for
from exams.services import exam_attempt_start
from tests.factories import EnrollmentFactory, ExamFactory, QuestionFactory


def make_bank(exam: Exam, count: int, *, lesson=None) -> list:
    """Adds `count` questions (four choices, one correct) to the exam's bank."""
    start = exam.questions.count()
    return [
        QuestionFactory(exam=exam, key=f"exam{exam.pk}-q{i}", review_lesson=lesson)
        for i in range(start, start + count)
    ]


@pytest.fixture
def module_exam(bls) -> Exam:
    """The adult CPR module exam: 8 questions, 5 drawn, pass mark 80%."""
    module = bls.modules.get()
    exam = ExamFactory(
        course=bls,
        module=module,
        kind=Exam.Kind.MODULE,
        title="Adult CPR quiz",
        pass_mark=80,
        draw_size=5,
    )
    make_bank(exam, 8, lesson=module.lessons.order_by("order").first())
    return exam


@pytest.fixture
def final_exam(bls, module_exam) -> Exam:
    """The BLS final exam: 6 questions, 4 drawn, pass mark 75%."""
    exam = ExamFactory(course=bls, title="BLS final exam", pass_mark=75, draw_size=4)
    make_bank(exam, 6, lesson=bls.lessons.order_by("order").last())
    return exam


@pytest.fixture
def enrollment(user, bls) -> Enrollment:
    return EnrollmentFactory(user=user, course=bls)


def complete_lessons(enrollment: Enrollment, lessons=None) -> None:
    lessons = lessons if lessons is not None else enrollment.course.lessons.all()
    for lesson in lessons:
        LessonProgress.objects.get_or_create(
            enrollment=enrollment,
            lesson=lesson,
            defaults={"completed_at": timezone.now()},
        )


def open_lessons(enrollment: Enrollment, lessons=None) -> None:
    """Opens each lesson's page as the learner (the server's record of the GET), as
    the page of an open enrollment does: with the learner's state read first, so an
    opening that would change no retake rule is not written
    (courses.services.lesson_open). Any other enrollment has it written."""
    lessons = lessons if lessons is not None else enrollment.course.lessons.all()
    for lesson in lessons:
        state = enrollment_open_with_state(
            user=enrollment.user, course=enrollment.course
        )
        as_read = state if state is not None and state.pk == enrollment.pk else None
        lesson_open(enrollment=as_read or enrollment, lesson=lesson)


def ready_to_retake(user, exam: Exam, clock=None) -> None:
    """What a learner does between a failed attempt and the next one: opens the
    lessons its result names and, after the third failure in a row, waits out the
    cool-down on the test `clock` (exams.selectors.pacing)."""
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=exam.course_id)
        .order_by("-enrolled_at", "-pk")
        .first()
    )
    pacing = exam_pacing_for(exam=exam, enrollment=enrollment)
    if pacing is None:
        return
    open_lessons(
        enrollment,
        Lesson.objects.filter(pk__in=[lesson.pk for lesson in pacing.lessons_to_open]),
    )
    if pacing.waiting():
        assert clock is not None, "a cool-down is running: pass the `clock` fixture"
        clock.move_to(pacing.opens_at + timedelta(seconds=1))


@pytest.fixture
def studied(enrollment) -> Enrollment:
    """The learner's enrollment with every lesson done: the module exam is open."""
    complete_lessons(enrollment)
    return enrollment


@pytest.fixture
def attempt(user, module_exam, studied) -> Attempt:
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    return attempt


def answers_for(attempt: Attempt, *, correct: int | None = None) -> dict[int, str]:
    """{position: key} answering the first `correct` questions right (all when None)
    and the rest wrong."""
    items = list(attempt.items.order_by("position"))
    correct = len(items) if correct is None else correct
    answers = {}
    for index, item in enumerate(items):
        wrong = next(c["key"] for c in item.choices if not c["correct"])
        answers[item.position] = item.correct_key if index < correct else wrong
    return answers


def as_post(answers: dict[int, str], **extra: str) -> dict[str, str]:
    return {f"q{position}": key for position, key in answers.items()} | extra
