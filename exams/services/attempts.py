"""Starting an attempt: the checks, the draw and the shuffled, keyed choices."""

from __future__ import annotations

import logging
import random
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from courses.models import Enrollment
from courses.selectors import prerequisites_missing

from ..errors import ExamRefused, RetakeNotOpen
from ..models import Attempt, AttemptQuestion, Choice, Exam, Question, enemy_map
from ..selectors import exam_access_for, time_is_up
from .grading import attempt_grade
from .pacing import exam_retake_check

logger = logging.getLogger(__name__)

# One generator seeded from the operating system: draws and orders are unpredictable.
_random = random.SystemRandom()


def _enrollment_for_exam(*, user, exam: Exam) -> Enrollment:
    """The learner's active enrollment in the exam's course, or ExamRefused."""
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=exam.course_id)
        .order_by("-enrolled_at", "-pk")
        .first()
    )
    if enrollment is None:
        raise ExamRefused(
            f"Enroll in {exam.course.title} to take its exams.",
            code="exam.not_enrolled",
        )
    if enrollment.status == Enrollment.Status.COMPLETED:
        raise ExamRefused(
            f"You have completed {exam.course.title}. Its exams open again when you "
            "re-enroll to renew your certificate.",
            code="exam.not_enrolled",
        )
    if enrollment.status == Enrollment.Status.WAITING:
        raise ExamRefused(
            f"{exam.course.title} opens as soon as you hold its prerequisite "
            "certificate.",
            code="exam.not_enrolled",
        )
    return enrollment


def _draw(*, user, exam: Exam) -> list[Question]:
    """The questions of a new attempt, in the order they are presented.

    With a blueprint (Exam.blueprint), each topic (or, in a final, each module: that
    of the question's review lesson) gives its quota; without one, `draw_size` comes
    from the whole bank (all of it when empty). Within each pool, questions this
    learner was shown least often come first (never shown before anything else),
    ties broken at random: each retake is a fresh draw until the pool is exhausted,
    and then cycles through it evenly. A pool smaller than its quota (questions
    deactivated since the sync) gives what it has. The drawn questions are then
    shuffled, or put in bank order when the exam says not to shuffle.

    Enemies (Question.enemies, either side) never share an attempt: walking each
    pool in that order, a question that is an enemy of one already drawn (from any
    pool) is skipped. A pool that then cannot fill its quota takes skipped ones, in
    the same order, so an attempt always has its full size; that is logged as a
    warning (the sync warns about such banks too).
    """
    times_shown = dict(
        AttemptQuestion.objects.filter(attempt__user=user, attempt__exam=exam)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    bank = list(
        Question.objects.filter(exam=exam, is_active=True)
        .select_related("review_lesson__module")
        .prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
        )
    )
    _random.shuffle(bank)
    # A stable sort keeps the random order among questions shown equally often.
    bank.sort(key=lambda question: times_shown.get(question.pk, 0))
    quotas = exam.blueprint_quotas
    if quotas:
        by_module = exam.blueprint_by == "module"

        def pool_of(question: Question) -> str | None:
            if not by_module:
                return question.topic
            lesson = question.review_lesson
            return lesson.module.slug if lesson else None

        pools: dict[str | None, list[Question]] = {}
        for question in bank:
            pools.setdefault(pool_of(question), []).append(question)
        walk = [(name, pools.get(name, []), quota) for name, quota in quotas.items()]
    else:
        walk = [(None, bank, exam.draw_size or len(bank))]
    # Enemies among the active questions (the stored lists are already loaded).
    enemies = enemy_map({question.key: question.enemies for question in bank})
    drawn: list[Question] = []
    barred: set[str] = set()  # enemies of the questions drawn so far
    for name, pool, quota in walk:
        taken, skipped = [], []
        for question in pool:
            if len(taken) == quota:
                break
            if question.key in barred:
                skipped.append(question)
            else:
                taken.append(question)
                barred |= enemies[question.key]
        if len(taken) < quota and skipped:
            fill = skipped[: quota - len(taken)]
            logger.warning(
                "Exam %s (%s): pool %s cannot fill its quota of %d without enemies; "
                "drawing %d enemies of questions already drawn: %s",
                exam.pk,
                exam.title,
                "the bank" if name is None else repr(name),
                quota,
                len(fill),
                ", ".join(question.key for question in fill),
            )
            for question in fill:
                barred |= enemies[question.key]
            taken += fill
        drawn += taken
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


def exam_questions_draw(*, user, exam: Exam) -> list[Question]:
    """The questions a new attempt of `exam` by `user` would present (_draw)."""
    return _draw(user=user, exam=exam)


def attempt_rows_create(
    *,
    user,
    exam: Exam,
    enrollment,
    questions: list[Question],
    is_test_out: bool = False,
) -> Attempt:
    """The rows of a new open attempt presenting `questions`: the attempt and a
    snapshot of each question with its choices shuffled. No rule is checked here:
    exam_attempt_start checks them first (and bench/bench_pages.py opens the bench
    learner's attempt of a final whose modules it did not play)."""
    now = timezone.now()
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
        is_test_out=is_test_out,
    )
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
    return attempt


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
    active enrollment in the exam's course, while the exam is locked
    (exams.selectors.exam_access_for: the unlock rule), while the retake of a failed
    exam is not open yet (RetakeNotOpen: the missed lessons to open, the cool-down;
    exams.selectors.pacing), or when its bank is empty. A renewing learner's module
    exam started before its lessons are done is a test-out (`is_test_out`: a pass
    marks the lessons done, a fail locks the exam until they are). An open attempt whose
    time is up (or that belongs to an earlier enrollment) is graded first on what was
    saved in time, so the learner gets a fresh attempt rather than a dead one; if
    grading it completes the course, or its failure paces the retake, that graded
    attempt is returned instead of a new one (its result says what opens the next).
    """
    missing = prerequisites_missing(user=user, course=exam.course)
    if missing:
        names = ", ".join(course.title for course in missing)
        raise ExamRefused(
            f"{exam.course.title} requires a current certificate in {names}.",
            code="exam.prerequisite_missing",
        )
    enrollment = _enrollment_for_exam(user=user, exam=exam)
    current = _open_attempt(user=user, exam=exam, lock=True)
    if current is not None:
        if current.enrollment_id == enrollment.pk and not time_is_up(attempt=current):
            return current, False
        if attempt_grade(current, answers={}).completed_course:
            return current, False
    access = exam_access_for(exam=exam, enrollment=enrollment)
    lock = access.lock_for(exam)
    if lock is not None:
        raise ExamRefused(lock.refusal, code=lock.code)
    try:
        exam_retake_check(exam=exam, enrollment=enrollment)
    except RetakeNotOpen:
        if current is not None:
            # Keep the grade just given (raising would roll it back): its result
            # page says what opens the retake.
            return current, False
        raise
    questions = _draw(user=user, exam=exam)
    if not questions:
        raise ExamRefused(
            "This exam has no questions yet. Please try again later.",
            code="exam.no_questions",
        )
    try:
        with transaction.atomic():
            attempt = attempt_rows_create(
                user=user,
                exam=exam,
                enrollment=enrollment,
                questions=questions,
                is_test_out=access.test_out_open(exam),
            )
    except IntegrityError:
        # A second request (double click, two tabs) started one first: resume it.
        return _open_attempt(user=user, exam=exam), False
    return attempt, True
