"""Writes of exam attempts: start (draw and shuffle), save answers, submit (grade).

Nothing else changes Attempt or AttemptQuestion rows. Grading reads only what the
attempt stored when it started, never the live bank. Every write of an attempt first
locks its row, so saving and submitting from two tabs (or two servers) serialise, and
the submit itself is a conditional UPDATE ... WHERE status = 'open': an attempt is
graded once whatever the database.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from certificates.selectors import prerequisites_missing
from courses.models import Enrollment, Lesson, LessonProgress
from courses.services import enrollment_complete

from .models import Attempt, AttemptQuestion, Choice, Exam, Question

# An answer or submit that left the browser just before the deadline may arrive a
# moment after it; this much lateness is forgiven, nothing more.
DEADLINE_GRACE = timedelta(seconds=10)

# One generator seeded from the operating system: draws and orders are unpredictable.
_random = random.SystemRandom()


class ExamRefused(ValidationError):
    """The exam cannot be started now; the message says why."""


class AttemptClosed(ValidationError):
    """The attempt was already submitted: nothing was changed."""


class TimeIsUp(ValidationError):
    """The attempt's deadline has passed: answers are no longer accepted."""


class InvalidAnswers(ValidationError):
    """An answer names a question or a choice this attempt did not present."""


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    attempt: Attempt
    graded_now: bool
    late_answers_ignored: bool = False
    completed_course: bool = False


def time_is_up(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the attempt's deadline (plus the grace) has passed."""
    if attempt.deadline is None:
        return False
    return (now or timezone.now()) > attempt.deadline + DEADLINE_GRACE


# --- Starting -------------------------------------------------------------------


def exam_unlock_problem(*, exam: Exam, enrollment: Enrollment) -> str:
    """Why `exam` is still locked in `enrollment`, or "" when it is open.

    A module exam opens once every published lesson of its module is done; the final
    exam once every module exam of the course is passed in this enrollment.
    """
    if exam.kind == Exam.Kind.MODULE:
        lessons_left = (
            Lesson.objects.published()
            .filter(module_id=exam.module_id)
            .exclude(
                pk__in=LessonProgress.objects.filter(enrollment=enrollment).values(
                    "lesson_id"
                )
            )
            .exists()
        )
        if lessons_left:
            return "Finish every lesson of this module to unlock its exam."
        return ""
    not_passed = (
        Exam.objects.filter(course_id=exam.course_id, kind=Exam.Kind.MODULE)
        .exclude(
            pk__in=Attempt.objects.filter(enrollment=enrollment, passed=True).values(
                "exam_id"
            )
        )
        .exists()
    )
    if not_passed:
        return "Pass every module exam to unlock the final exam."
    return ""


def _enrollment_for_exam(*, user, exam: Exam) -> Enrollment:
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=exam.course_id)
        .exclude(status=Enrollment.Status.COMPLETED)
        .first()
    )
    if enrollment is None:
        raise ExamRefused(f"Enrol in {exam.course.title} to take its exams.")
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ExamRefused(
            f"{exam.course.title} opens as soon as you hold its prerequisite "
            "certificate."
        )
    return enrollment


def _draw(*, user, exam: Exam) -> list[Question]:
    """The questions of a new attempt, in the order they are presented.

    Questions this learner was shown least often come first (never shown before
    anything else), ties broken at random: each retake is a fresh draw until the bank
    is exhausted, and then cycles through it evenly.
    """
    shown = Count(
        "attemptquestion",
        filter=Q(attemptquestion__attempt__user=user, attemptquestion__attempt__exam=exam),
    )
    bank = list(
        Question.objects.filter(exam=exam, is_active=True)
        .annotate(times_shown=shown)
        .prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
        )
    )
    size = min(exam.draw_size or len(bank), len(bank))
    _random.shuffle(bank)
    drawn = sorted(bank, key=lambda question: question.times_shown)[:size]
    if exam.shuffle:
        _random.shuffle(drawn)
    else:
        drawn.sort(key=lambda question: (question.order, question.pk))
    return drawn


def _presented_choices(question: Question, used_keys: set[str]) -> list[dict]:
    choices = list(question.choices.all())
    _random.shuffle(choices)
    presented = []
    for choice in choices:
        key = secrets.token_urlsafe(6)
        while key in used_keys:
            key = secrets.token_urlsafe(6)
        used_keys.add(key)
        presented.append(
            {
                "key": key,
                "text": choice.text,
                "correct": choice.is_correct,
                "choice": choice.pk,
            }
        )
    return presented


def _open_attempt(*, user, exam: Exam, lock: bool = False) -> Attempt | None:
    queryset = Attempt.objects.filter(user=user, exam=exam, status=Attempt.Status.OPEN)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


@transaction.atomic
def exam_attempt_start(*, user, exam: Exam) -> tuple[Attempt, bool]:
    """Starts an attempt of `exam` for `user`, or resumes the one they have open.

    Returns (attempt, created). Refuses (ExamRefused) without an active enrollment in
    the exam's course, without its prerequisites' current certificates (checked again
    here, not only at enrolment), while the exam is locked, or when its bank is empty.
    An open attempt whose time is up is graded on what was saved in time first, so
    the learner gets a fresh attempt rather than a dead one.
    """
    missing = prerequisites_missing(user=user, course=exam.course)
    if missing:
        names = ", ".join(course.title for course in missing)
        raise ExamRefused(
            f"{exam.course.title} requires a current certificate in {names}."
        )
    enrollment = _enrollment_for_exam(user=user, exam=exam)
    current = _open_attempt(user=user, exam=exam, lock=True)
    if current is not None:
        if not time_is_up(attempt=current):
            return current, False
        _grade(attempt=current, answers={}, now=timezone.now())
    problem = exam_unlock_problem(exam=exam, enrollment=enrollment)
    if problem:
        raise ExamRefused(problem)
    questions = _draw(user=user, exam=exam)
    if not questions:
        raise ExamRefused("This exam has no questions yet. Please try again later.")
    now = timezone.now()
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user,
                exam=exam,
                enrollment=enrollment,
                started_at=now,
                deadline=now + timedelta(minutes=exam.time_limit_minutes)
                if exam.time_limit_minutes
                else None,
                pass_mark=exam.pass_mark,
                question_count=len(questions),
            )
    except IntegrityError:
        # A second request (double click, two tabs) started one first: resume it.
        return _open_attempt(user=user, exam=exam), False
    used_keys: set[str] = set()
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            question=question,
            position=position,
            text_html=question.text_html,
            image=question.image,
            image_alt=question.image_alt,
            topic=question.topic,
            explanation_html=question.explanation_html,
            choices=_presented_choices(question, used_keys),
        )
        for position, question in enumerate(questions, start=1)
    )
    return attempt, True


# --- Answering ------------------------------------------------------------------


def _lock_open(attempt: Attempt) -> Attempt:
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if not locked.is_open:
        raise AttemptClosed(
            "This attempt was already submitted; nothing was changed. Start a new "
            "attempt to try again."
        )
    return locked


def _apply(
    items: list[AttemptQuestion], answers: Mapping[int, str], now: datetime
) -> list[AttemptQuestion]:
    """Checks every answer against what was presented, then sets them in memory.

    Raises InvalidAnswers before touching anything when a position is not in the
    attempt or a key was not presented for that question. Returns the items whose
    answer changed.
    """
    by_position = {item.position: item for item in items}
    for position, key in answers.items():
        item = by_position.get(position)
        if item is None:
            raise InvalidAnswers("An answer names a question that is not in this exam.")
        if item.choice_for(key) is None:
            raise InvalidAnswers(
                f"The answer to question {position} is not one of its choices."
            )
    changed = []
    for position, key in answers.items():
        item = by_position[position]
        if item.selected_key != key:
            item.selected_key = key
            item.selected_choice_id = item.choice_for(key)["choice"]
            item.answered_at = now
            changed.append(item)
    return changed


@transaction.atomic
def exam_attempt_answer(*, attempt: Attempt, answers: Mapping[int, str]) -> int:
    """Saves answers ({position: choice key}) of an open attempt; returns how many
    changed. Answers not mentioned keep what was saved before.

    Raises InvalidAnswers (nothing saved) for a question or choice not presented,
    AttemptClosed once submitted, TimeIsUp after the deadline.
    """
    locked = _lock_open(attempt)
    now = timezone.now()
    items = list(locked.items.all())
    changed = _apply(items, answers, now)
    if time_is_up(attempt=locked, now=now):
        raise TimeIsUp("Time is up: answers can no longer be changed. Submit to see "
                       "your result; the answers saved in time count.")  # fmt: skip
    if changed:
        AttemptQuestion.objects.bulk_update(
            changed, ["selected_key", "selected_choice", "answered_at"]
        )
    return len(changed)


# --- Submitting -----------------------------------------------------------------


def _grade(
    *, attempt: Attempt, answers: Mapping[int, str], now: datetime
) -> tuple[bool, bool]:
    """Applies `answers` (unless late), grades the stored presentation and records
    the result if the attempt is still open. Returns (graded, late_answers_ignored).
    The caller holds the attempt's row lock."""
    items = list(attempt.items.all())
    late = time_is_up(attempt=attempt, now=now)
    changed = _apply(items, answers, now)
    if late:
        # Graded on what was saved before the deadline; the late answers are dropped.
        changed = []
        items = list(attempt.items.all())
    for item in items:
        item.is_correct = bool(item.selected_key) and item.selected_key == (
            item.correct_key
        )
    correct = sum(1 for item in items if item.is_correct)
    total = len(items)
    passed = correct * 100 >= attempt.pass_mark * total
    score = (Decimal(100 * correct) / Decimal(total or 1)).quantize(Decimal("0.01"))
    graded = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(
        status=Attempt.Status.SUBMITTED,
        submitted_at=now,
        correct_count=correct,
        score=score,
        passed=passed,
    )
    if not graded:
        return False, False
    for item in changed:
        item.is_correct = bool(item.selected_key) and item.selected_key == (
            item.correct_key
        )
    AttemptQuestion.objects.bulk_update(
        items, ["selected_key", "selected_choice", "answered_at", "is_correct"]
    )
    attempt.refresh_from_db(
        fields=["status", "submitted_at", "correct_count", "score", "passed"]
    )
    return True, late and bool(answers)


def enrollment_requirements_met(*, enrollment: Enrollment) -> bool:
    """Every published lesson done, every module exam and the final exam passed,
    all in this enrollment (three queries)."""
    lessons_left = (
        Lesson.objects.published()
        .filter(course_id=enrollment.course_id)
        .exclude(
            pk__in=LessonProgress.objects.filter(enrollment=enrollment).values(
                "lesson_id"
            )
        )
        .exists()
    )
    if lessons_left:
        return False
    exams = list(
        Exam.objects.filter(course_id=enrollment.course_id)
        .annotate(
            passed=Exists(
                Attempt.objects.filter(
                    exam=OuterRef("pk"), enrollment=enrollment, passed=True
                )
            )
        )
        .values_list("kind", "passed")
    )
    has_final = any(kind == Exam.Kind.FINAL for kind, _ in exams)
    return has_final and all(passed for _, passed in exams)


@transaction.atomic
def exam_attempt_submit(
    *, attempt: Attempt, answers: Mapping[int, str] | None = None
) -> SubmitOutcome:
    """Grades the attempt once, from what it presented, after saving `answers`.

    Answers arriving after the deadline are not saved; the attempt is graded on what
    was saved in time. A second submit (again, or concurrently) changes nothing and
    returns graded_now=False. InvalidAnswers (nothing changes) for a question or
    choice not presented. When the attempt passes and every completion rule now
    holds, the enrollment is completed in this transaction, and the certificate is
    enqueued when it commits.
    """
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if not locked.is_open:
        # Validate anyway: a malformed payload is refused, not silently dropped.
        _apply(list(locked.items.all()), answers or {}, timezone.now())
        return SubmitOutcome(attempt=locked, graded_now=False)
    graded, late = _grade(attempt=locked, answers=answers or {}, now=timezone.now())
    if not graded:
        return SubmitOutcome(attempt=locked, graded_now=False)
    completed = False
    if locked.passed:
        enrollment = locked.enrollment
        if enrollment.status == Enrollment.Status.ACTIVE and (
            enrollment_requirements_met(enrollment=enrollment)
        ):
            completed = enrollment_complete(enrollment=enrollment)
    return SubmitOutcome(
        attempt=locked,
        graded_now=True,
        late_answers_ignored=late,
        completed_course=completed,
    )
