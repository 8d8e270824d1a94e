"""Reads of exams and attempts: the attempt page, results, history, the course home's
exam list and the authors' statistics.

Every page-level selector runs a fixed number of queries whatever the number of
questions or attempts (asserted in tests); statistics are aggregated in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import Http404

from certificates.models import Certificate
from certificates.selectors import prerequisites_missing
from courses.markdown import image_url
from courses.models import Course, Enrollment, Module

from .models import Attempt, AttemptQuestion, Choice, Exam, Question

# --- Taking and results ---------------------------------------------------------


def exam_for_viewer(*, exam_id: int, user) -> Exam:
    """The exam, if its course is published (any exam for staff); else 404."""
    queryset = Exam.objects.select_related("course", "module")
    if not user.is_staff:
        queryset = queryset.filter(course__is_published=True, is_active=True)
    try:
        return queryset.get(pk=exam_id)
    except Exam.DoesNotExist:
        raise Http404("No such exam.") from None


def attempt_for_owner(*, attempt_id: int, user) -> Attempt:
    """The attempt if `user` took it; 404 for anyone else (staff included: they read
    attempts in the admin), so an attempt's existence is not revealed."""
    try:
        return Attempt.objects.select_related(
            "exam__course", "exam__module", "enrollment"
        ).get(pk=attempt_id, user=user)
    except Attempt.DoesNotExist:
        raise Http404("No such attempt.") from None


def attempt_items(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The presented questions in order, each with `image_src` (one query)."""
    items = list(attempt.items.order_by("position"))
    _set_image_src(items, course_slug=attempt.exam.course.slug)
    return items


def _set_image_src(items: list[AttemptQuestion], *, course_slug: str) -> None:
    for item in items:
        item.image_src = image_url(course_slug, item.image) if item.image else ""


def exam_passed_by(*, user, exam: Exam) -> bool:
    return Attempt.objects.filter(user=user, exam=exam, passed=True).exists()


def _may_reveal_answers(attempt: Attempt) -> bool:
    """Answers show once the exam was passed in this attempt's enrollment, unless that
    enrollment's certificate was revoked, and never while the learner has an attempt
    of the same exam open (e.g. when renewing). One query, two for a pass found in
    another attempt."""
    attempts = Attempt.objects.filter(exam=attempt.exam_id)
    if (
        not attempt.passed
        and not attempts.filter(enrollment=attempt.enrollment_id, passed=True).exists()
    ):
        return False
    revoked = Certificate.objects.filter(
        enrollment=attempt.enrollment_id, status=Certificate.Status.REVOKED
    )
    retake_open = attempts.filter(user=attempt.user_id, status=Attempt.Status.OPEN)
    return not (
        Enrollment.objects.filter(pk=attempt.enrollment_id)
        .filter(Exists(revoked) | Exists(retake_open))
        .exists()
    )


@dataclass
class AttemptResult:
    attempt: Attempt
    items: list[AttemptQuestion]
    # The learner has passed this exam (in any attempt): answers may be shown.
    reveal: bool
    # A passed final exam that did not complete the course: lessons are left to do.
    lessons_left: bool = False
    # A passed final exam whose completion waits for these prerequisite courses (a
    # prerequisite certificate was no longer current when it was passed).
    waiting_for: list[Course] = field(default_factory=list)

    @property
    def missed(self) -> list[AttemptQuestion]:
        return [item for item in self.items if not item.is_correct]


def attempt_result(*, attempt: Attempt) -> AttemptResult:
    """A submitted attempt with its questions and the lessons to review (two or three
    queries; a passed final waiting for a prerequisite adds the prerequisites)."""
    items = list(
        attempt.items.select_related("question__review_lesson__module").order_by(
            "position"
        )
    )
    _set_image_src(items, course_slug=attempt.exam.course.slug)
    reveal = _may_reveal_answers(attempt)
    lessons_left = (
        attempt.passed
        and attempt.exam.kind == Exam.Kind.FINAL
        and attempt.enrollment.status == Enrollment.Status.ACTIVE
    )
    waiting_for = []
    if (
        attempt.passed
        and attempt.exam.kind == Exam.Kind.FINAL
        and attempt.enrollment.status == Enrollment.Status.WAITING
    ):
        waiting_for = prerequisites_missing(
            user=attempt.user, course=attempt.exam.course
        )
    return AttemptResult(
        attempt=attempt,
        items=items,
        reveal=reveal,
        lessons_left=lessons_left,
        waiting_for=waiting_for,
    )


def attempt_history(*, user, exam: Exam) -> QuerySet[Attempt]:
    """The learner's attempts of `exam`, newest first (one query)."""
    return Attempt.objects.filter(user=user, exam=exam).order_by("-started_at", "-pk")


# --- The course home's exam list ------------------------------------------------


@dataclass
class ExamStatus:
    exam: Exam
    locked_reason: str = ""
    passed: bool = False
    best_score: Decimal | None = None
    attempts: int = 0
    open_attempt_id: int | None = None

    @property
    def locked(self) -> bool:
        return bool(self.locked_reason)


@dataclass
class ExamOverview:
    module_exams: list[ExamStatus] = field(default_factory=list)
    final: ExamStatus | None = None

    def __bool__(self) -> bool:
        return bool(self.module_exams or self.final)


def exam_overview_for(
    *, enrollment: Enrollment, modules: list[Module], done_ids: set[int]
) -> ExamOverview:
    """Each exam of the enrollment's course with whether it is open, passed, in
    progress, and its best score in this enrollment (two queries).

    `modules` (with `.visible_lessons`) and `done_ids` are what the course home
    already loaded; the unlock rules are the ones exam_attempt_start enforces.
    """
    exams = list(
        Exam.objects.filter(course_id=enrollment.course_id, is_active=True)
        .select_related("module")
        .order_by("kind", "module__order", "pk")
    )
    summary = {
        row["exam_id"]: row
        for row in Attempt.objects.filter(enrollment=enrollment)
        .values("exam_id")
        .annotate(
            tries=Count("id", filter=Q(status=Attempt.Status.SUBMITTED)),
            passes=Count("id", filter=Q(passed=True)),
            best=Max("score"),
            open_id=Max("id", filter=Q(status=Attempt.Status.OPEN)),
        )
    }
    lessons_by_module = {module.pk: module.visible_lessons for module in modules}
    overview = ExamOverview()
    for exam in exams:
        row = summary.get(exam.pk, {})
        status = ExamStatus(
            exam=exam,
            passed=bool(row.get("passes")),
            best_score=row.get("best"),
            attempts=row.get("tries", 0),
            open_attempt_id=row.get("open_id"),
        )
        if exam.kind == Exam.Kind.MODULE:
            lessons = lessons_by_module.get(exam.module_id, [])
            if any(lesson.pk not in done_ids for lesson in lessons):
                status.locked_reason = "Finish this module's lessons to unlock it."
            overview.module_exams.append(status)
        else:
            overview.final = status
    if overview.final and not all(s.passed for s in overview.module_exams):
        overview.final.locked_reason = "Pass every module exam to unlock it."
    return overview


# --- Statistics -----------------------------------------------------------------

# Below this many answers a question's figures are shown but not flagged: too noisy.
MIN_ANSWERS_TO_FLAG = 10
# Conventional item-analysis bounds (facility as share correct, 0 to 1).
TOO_HARD, TOO_EASY, LOW_DISCRIMINATION = 0.30, 0.95, 0.20


@dataclass
class ChoiceStat:
    text: str
    is_correct: bool
    picked: int
    # Of the answers given to the question (unanswered ones left out).
    share: float | None

    @property
    def share_percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)


@dataclass
class QuestionStat:
    question: Question
    answers: int = 0
    correct: int = 0
    unanswered: int = 0
    discrimination: float | None = None
    choices: list[ChoiceStat] = field(default_factory=list)

    @property
    def facility(self) -> float | None:
        return self.correct / self.answers if self.answers else None

    @property
    def flags(self) -> list[str]:
        if self.answers < MIN_ANSWERS_TO_FLAG:
            return []
        flags = []
        if self.facility < TOO_HARD:
            flags.append("Very hard")
        if self.facility > TOO_EASY:
            flags.append("Very easy")
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            flags.append("Low discrimination")
        return flags


@dataclass
class ExamStatistics:
    exam: Exam
    attempts: int
    passed: int
    in_progress: int
    learners: int
    learners_passed: int
    average_score: Decimal | None
    average_attempts_to_pass: float | None
    questions: list[QuestionStat]

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempts if self.attempts else None


def _point_biserial(
    n: int, sum_x: float, sum_y: float, sum_yy: float, sum_xy: float
) -> float | None:
    """Pearson correlation of a 0/1 variable x with y, from sums (x*x == x)."""
    if n < 2:
        return None
    spread = (n * sum_x - sum_x * sum_x) * (n * sum_yy - sum_y * sum_y)
    if spread <= 0:
        return None
    return (n * sum_xy - sum_x * sum_y) / math.sqrt(spread)


def exam_statistics(*, exam: Exam) -> ExamStatistics:
    """Item analysis of an exam over its submitted attempts (six queries).

    Per exam: attempts, pass rate, learners, average score, and average attempts a
    learner needed up to their first pass. Per question: facility (share answered
    correctly), discrimination (point-biserial correlation between getting the
    question right and the score on the rest of the attempt, so the question does not
    correlate with itself) and how often each choice was picked.
    """
    submitted = Attempt.objects.filter(exam=exam, status=Attempt.Status.SUBMITTED)
    # Aliases must not shadow field names that the filters use (passed, status).
    totals = Attempt.objects.filter(exam=exam).aggregate(
        n_attempts=Count("id", filter=Q(status=Attempt.Status.SUBMITTED)),
        n_passed=Count("id", filter=Q(passed=True)),
        n_in_progress=Count("id", filter=Q(status=Attempt.Status.OPEN)),
        n_learners=Count(
            "user", distinct=True, filter=Q(status=Attempt.Status.SUBMITTED)
        ),
        n_learners_passed=Count("user", distinct=True, filter=Q(passed=True)),
        mean_score=Avg("score"),
    )
    first_pass = (
        Attempt.objects.filter(exam=exam, user=OuterRef("user"), passed=True)
        .order_by("submitted_at", "pk")
        .values("submitted_at")[:1]
    )
    average_attempts_to_pass = (
        submitted.filter(submitted_at__lte=Subquery(first_pass))
        .values("user")
        .annotate(tries=Count("id"))
        .aggregate(average=Avg("tries"))["average"]
    )

    rows = AttemptQuestion.objects.filter(
        attempt__exam=exam, attempt__status=Attempt.Status.SUBMITTED
    )
    x = Case(When(is_correct=True, then=Value(1.0)), default=Value(0.0))
    rest = (Cast("attempt__correct_count", FloatField()) - x) / Cast(
        F("attempt__question_count") - 1, FloatField()
    )
    # The rest score needs at least one other question in the attempt.
    multi = Q(attempt__question_count__gt=1)
    per_question = {
        row["question_id"]: row
        for row in rows.values("question_id").annotate(
            answers=Count("id"),
            correct=Count("id", filter=Q(is_correct=True)),
            unanswered=Count("id", filter=Q(selected_key="")),
            n=Count("id", filter=multi),
            sum_x=Sum(x, filter=multi, output_field=FloatField()),
            sum_y=Sum(rest, filter=multi, output_field=FloatField()),
            sum_yy=Sum(rest * rest, filter=multi, output_field=FloatField()),
            sum_xy=Sum(x * rest, filter=multi, output_field=FloatField()),
        )
    }
    picks: dict[tuple[int, int], int] = {
        (row["question_id"], row["selected_choice_id"]): row["picked"]
        for row in rows.filter(selected_choice__isnull=False)
        .values("question_id", "selected_choice_id")
        .annotate(picked=Count("id"))
    }
    questions = Question.objects.filter(exam=exam).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
    )
    stats = []
    for question in questions:
        row = per_question.get(question.pk, {})
        stat = QuestionStat(
            question=question,
            answers=row.get("answers", 0),
            correct=row.get("correct", 0),
            unanswered=row.get("unanswered", 0),
            discrimination=_point_biserial(
                row.get("n", 0),
                row.get("sum_x") or 0.0,
                row.get("sum_y") or 0.0,
                row.get("sum_yy") or 0.0,
                row.get("sum_xy") or 0.0,
            ),
        )
        answered = stat.answers - stat.unanswered
        for choice in question.choices.all():
            picked = picks.get((question.pk, choice.pk), 0)
            stat.choices.append(
                ChoiceStat(
                    text=choice.text,
                    is_correct=choice.is_correct,
                    picked=picked,
                    share=picked / answered if answered else None,
                )
            )
        stats.append(stat)
    return ExamStatistics(
        exam=exam,
        attempts=totals["n_attempts"],
        passed=totals["n_passed"],
        in_progress=totals["n_in_progress"],
        learners=totals["n_learners"],
        learners_passed=totals["n_learners_passed"],
        average_score=totals["mean_score"],
        average_attempts_to_pass=average_attempts_to_pass,
        questions=stats,
    )
