"""The authors' item analysis of an exam, aggregated in the database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from ..models import Attempt, AttemptQuestion, Choice, Exam, Question

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
