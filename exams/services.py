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
from django.db.models import Count, Exists, OuterRef, Prefetch
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
    """The exam cannot be started now; the message says why. Code "not_enrolled"
    when the learner has no active enrollment in the course."""


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
    # The attempt met every completion rule but a prerequisite certificate is no
    # longer current: the enrollment waits for it instead of completing.
    waiting_for_prerequisites: bool = False


def time_is_up(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the attempt's deadline (plus the grace) has passed."""
    if attempt.deadline is None:
        return False
    return (now or timezone.now()) > attempt.deadline + DEADLINE_GRACE


def _answered_in_time(attempt: Attempt, item: AttemptQuestion) -> bool:
    """Whether the item's saved answer counts: given, and saved by the deadline plus
    the grace (the database guarantees every answer has its time)."""
    if not item.selected_key:
        return False
    if attempt.deadline is None:
        return True
    return (
        item.answered_at is not None
        and item.answered_at <= attempt.deadline + DEADLINE_GRACE
    )


# --- Starting -------------------------------------------------------------------


def _lessons_left(enrollment: Enrollment, **scope) -> bool:
    """Whether a published lesson within `scope` (a module or course filter) is not
    yet done in `enrollment` (one query)."""
    done = LessonProgress.objects.filter(enrollment=enrollment).values("lesson_id")
    return Lesson.objects.published().filter(**scope).exclude(pk__in=done).exists()


def exam_unlock_problem(*, exam: Exam, enrollment: Enrollment) -> str:
    """Why `exam` is still locked in `enrollment`, or "" when it is open.

    A module exam opens once every published lesson of its module is done; the final
    exam once every module exam of the course is passed in this enrollment.
    """
    if exam.kind == Exam.Kind.MODULE:
        if _lessons_left(enrollment, module_id=exam.module_id):
            return "Finish every lesson of this module to unlock its exam."
        return ""
    not_passed = (
        Exam.objects.filter(
            course_id=exam.course_id, kind=Exam.Kind.MODULE, is_active=True
        )
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
    """The learner's active enrollment in the exam's course, or ExamRefused."""
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=exam.course_id)
        .order_by("-enrolled_at", "-pk")
        .first()
    )
    if enrollment is None:
        raise ExamRefused(
            f"Enrol in {exam.course.title} to take its exams.", code="not_enrolled"
        )
    if enrollment.status == Enrollment.Status.COMPLETED:
        raise ExamRefused(
            f"You have completed {exam.course.title}. Its exams open again when you "
            "re-enrol to renew your certificate.",
            code="not_enrolled",
        )
    if enrollment.status == Enrollment.Status.WAITING:
        raise ExamRefused(
            f"{exam.course.title} opens as soon as you hold its prerequisite "
            "certificate.",
            code="not_enrolled",
        )
    return enrollment


def _draw(*, user, exam: Exam) -> list[Question]:
    """The questions of a new attempt, in the order they are presented.

    Questions this learner was shown least often come first (never shown before
    anything else), ties broken at random: each retake is a fresh draw until the bank
    is exhausted, and then cycles through it evenly.
    """
    times_shown = dict(
        AttemptQuestion.objects.filter(attempt__user=user, attempt__exam=exam)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    bank = list(
        Question.objects.filter(exam=exam, is_active=True).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
        )
    )
    size = min(exam.draw_size or len(bank), len(bank))
    _random.shuffle(bank)
    # A stable sort keeps the random order among questions shown equally often.
    drawn = sorted(bank, key=lambda question: times_shown.get(question.pk, 0))[:size]
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
    queryset = Attempt.objects.filter(
        user=user, exam=exam, status=Attempt.Status.OPEN
    ).select_related("enrollment")
    if lock:
        queryset = queryset.select_for_update()
    return queryset.first()


@transaction.atomic
def exam_attempt_start(*, user, exam: Exam) -> tuple[Attempt, bool]:
    """Starts an attempt of `exam` for `user`, or resumes the one they have open.

    Returns (attempt, created). Refuses (ExamRefused) without the course's
    prerequisite certificates (checked again here, not only at enrolment), without an
    active enrollment in the exam's course, while the exam is locked, or when its bank
    is empty. An open attempt whose time is up (or that belongs to an earlier
    enrollment) is graded first on what was saved in time, so the learner gets a fresh
    attempt rather than a dead one; if grading it completes the course, that graded
    attempt is returned instead of a new one.
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
        if current.enrollment_id == enrollment.pk and not time_is_up(attempt=current):
            return current, False
        if _finish(current, answers={}).completed_course:
            return current, False
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


def _lock(attempt: Attempt) -> Attempt:
    # The enrollment row is locked too (PostgreSQL locks every joined row): two exams
    # of one enrollment passed at the same moment then see each other's result, and
    # the completion check cannot miss.
    return (
        Attempt.objects.select_for_update()
        .select_related("enrollment")
        .get(pk=attempt.pk)
    )


def _validate(items: list[AttemptQuestion], answers: Mapping[int, str]) -> None:
    """Raises InvalidAnswers when a position is not in the attempt or a key was not
    presented for that question."""
    by_position = {item.position: item for item in items}
    for position, key in answers.items():
        item = by_position.get(position)
        if item is None:
            raise InvalidAnswers("An answer names a question that is not in this exam.")
        if item.choice_for(key) is None:
            raise InvalidAnswers(
                f"The answer to question {position} is not one of its choices."
            )


def _set_answers(
    items: list[AttemptQuestion], answers: Mapping[int, str], now: datetime
) -> list[AttemptQuestion]:
    """Sets validated answers in memory; returns the items whose answer changed."""
    changed = []
    for item in items:
        key = answers.get(item.position)
        if key is not None and key != item.selected_key:
            item.selected_key = key
            item.selected_choice_id = item.choice_for(key)["choice"]
            item.answered_at = now
            changed.append(item)
    return changed


@transaction.atomic
def exam_attempt_answer(*, attempt: Attempt, answers: Mapping[int, str]) -> int:
    """Saves answers ({position: choice key}) of an open attempt; returns how many
    changed. Questions not mentioned keep what was saved before.

    Raises AttemptClosed once the attempt is submitted, InvalidAnswers for a question
    or choice it did not present, TimeIsUp after the deadline; nothing is saved then.
    """
    locked = _lock(attempt)
    if not locked.is_open:
        raise AttemptClosed(
            "This attempt was already submitted, so nothing was changed. Start a new "
            "attempt to try again."
        )
    items = list(locked.items.all())
    _validate(items, answers)
    now = timezone.now()
    if time_is_up(attempt=locked, now=now):
        raise TimeIsUp(
            "Time is up, so answers can no longer be changed. Submit to see your "
            "result: the answers saved in time count."
        )
    changed = _set_answers(items, answers, now)
    if changed:
        AttemptQuestion.objects.bulk_update(
            changed, ["selected_key", "selected_choice", "answered_at"]
        )
    return len(changed)


# --- Submitting -----------------------------------------------------------------


def enrollment_requirements_met(*, enrollment: Enrollment) -> bool:
    """Every published lesson done, every module exam and the final exam passed,
    all in this enrollment (two queries)."""
    if _lessons_left(enrollment, course_id=enrollment.course_id):
        return False
    exams = list(
        Exam.objects.filter(course_id=enrollment.course_id, is_active=True)
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


def _finish(locked: Attempt, *, answers: Mapping[int, str]) -> SubmitOutcome:
    """Grades an attempt whose row lock the caller holds; see exam_attempt_submit."""
    items = list(locked.items.all())
    _validate(items, answers)
    if not locked.is_open:
        return SubmitOutcome(attempt=locked, graded_now=False)
    now = timezone.now()
    late = time_is_up(attempt=locked, now=now)
    if late:
        # Graded as of the deadline, whenever the submit arrives: only answers saved
        # in time count, and the grade (and any completion) is dated at the deadline.
        now = locked.deadline
    else:
        _set_answers(items, answers, now)
    for item in items:
        item.is_correct = _answered_in_time(locked, item) and (
            item.selected_key == item.correct_key
        )
    correct = sum(1 for item in items if item.is_correct)
    total = len(items)
    # Compared exactly, not through the rounded score: 21 of 25 is 84%, a pass at 84.
    passed = correct * 100 >= locked.pass_mark * total
    score = (Decimal(100 * correct) / Decimal(total or 1)).quantize(Decimal("0.01"))
    graded = Attempt.objects.filter(pk=locked.pk, status=Attempt.Status.OPEN).update(
        status=Attempt.Status.SUBMITTED,
        submitted_at=now,
        correct_count=correct,
        score=score,
        passed=passed,
    )
    if not graded:
        return SubmitOutcome(attempt=locked, graded_now=False)
    AttemptQuestion.objects.bulk_update(
        items, ["selected_key", "selected_choice", "answered_at", "is_correct"]
    )
    locked.status = Attempt.Status.SUBMITTED
    locked.submitted_at, locked.correct_count = now, correct
    locked.score, locked.passed = score, passed
    completed = False
    enrollment = locked.enrollment
    if (
        passed
        and enrollment.status == Enrollment.Status.ACTIVE
        and enrollment_requirements_met(enrollment=enrollment)
    ):
        # Prerequisites are checked again there: without them the pass stands and
        # the enrollment waits (completing once they are held).
        completed = enrollment_complete(enrollment=enrollment, at=now)
    return SubmitOutcome(
        attempt=locked,
        graded_now=True,
        late_answers_ignored=late and bool(answers),
        completed_course=completed,
        waiting_for_prerequisites=enrollment.status == Enrollment.Status.WAITING,
    )


@transaction.atomic
def exam_attempt_submit(
    *, attempt: Attempt, answers: Mapping[int, str] | None = None
) -> SubmitOutcome:
    """Saves `answers` ({position: choice key}) and grades the attempt, once, from
    what it presented.

    After the deadline (plus the grace) the posted answers are not saved and the
    attempt is graded as of its deadline: on the answers saved by the deadline plus the
    grace, with submitted_at and any completion dated at the deadline
    (late_answers_ignored). Submitting again, or concurrently,
    changes nothing and returns graded_now=False. InvalidAnswers, with nothing
    changed, for a question or choice the attempt did not present. When the attempt
    passes and every completion rule now holds, the enrollment is completed in this
    transaction and the certificate is enqueued when it commits (completed_course),
    unless a prerequisite certificate is no longer current: then the pass stands and
    the enrollment waits for it (waiting_for_prerequisites).
    """
    return _finish(_lock(attempt), answers=answers or {})
