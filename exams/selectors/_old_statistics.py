"""The authors' item analysis of an exam, aggregated in the database: per exam
(attempts, pass rate, KR-20 reliability), per topic and per question (facility,
point-biserial discrimination, choices picked, flags)."""

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

# Below this many responses (times a submitted attempt presented the question) its
# figures are shown but not flagged: too noisy.
MIN_ANSWERS_TO_FLAG = 30
# Item-analysis bounds (facility as share correct, 0 to 1; point-biserial against the
# rest of the attempt): issue 12 flags facility above 0.95 and discrimination below
# 0.15; very hard items are flagged too.
TOO_HARD, TOO_EASY, LOW_DISCRIMINATION = 0.30, 0.95, 0.15


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
class TopicStat:
    """A topic of the bank: its questions, their responses and mean facility (the
    mean of its questions' facilities, over those answered at least once)."""

    topic: str
    items: int
    active_items: int
    responses: int
    mean_facility: float | None
    # The topic's quota in the exam's blueprint, when it draws by topic.
    quota: int | None = None

    @property
    def mean_facility_percent(self) -> int | None:
        return None if self.mean_facility is None else round(self.mean_facility * 100)


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
    topics: list[TopicStat] = field(default_factory=list)
    # KR-20 over the submitted attempts (kr20), None below two attempts or without
    # spread in the scores.
    reliability: float | None = None

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


def kr20(
    *,
    attempts: int,
    responses: int,
    item_variance_sum: float,
    centred_score_squares: float,
) -> float | None:
    """KR-20 reliability over attempts that may each present different questions.

    k/(k-1) * (1 - E[sum of p*q over an attempt's questions] / var(score)), where
    - p is a question's facility among the attempts that presented it, q = 1 - p;
    - k is the mean number of questions per attempt (`responses` / `attempts`);
    - E[...] is `item_variance_sum` (the sum over questions of n * p * q, n its
      responses) divided by `attempts`;
    - var(score) is the variance of the attempts' scores centred on the questions
      each presented: y = sum over its questions of (x - p), x 1 if right; its mean
      is 0, so var = `centred_score_squares` (sum of y squared) / `attempts`.
    For a fixed form (every attempt presents the same questions) this is exactly
    KR-20; for blueprint draws, centring removes the spread that comes only from one
    draw being harder than another. None below two attempts, with one question per
    attempt, or with no spread in the scores.
    """
    if attempts < 2 or responses <= attempts:
        return None
    variance = centred_score_squares / attempts
    if variance <= 1e-12:
        return None
    k = responses / attempts
    return k / (k - 1) * (1 - (item_variance_sum / attempts) / variance)


def _topics(exam: Exam, stats: list[QuestionStat]) -> list[TopicStat]:
    quotas = exam.blueprint_quotas if exam.blueprint_by == "topic" else {}
    grouped: dict[str, list[QuestionStat]] = {}
    for stat in stats:
        grouped.setdefault(stat.question.topic, []).append(stat)
    topics = []
    for topic, group in sorted(grouped.items(), key=lambda pair: pair[0].lower()):
        facilities = [s.facility for s in group if s.facility is not None]
        topics.append(
            TopicStat(
                topic=topic,
                items=len(group),
                active_items=sum(1 for s in group if s.question.is_active),
                responses=sum(s.answers for s in group),
                mean_facility=sum(facilities) / len(facilities) if facilities else None,
                quota=quotas.get(topic),
            )
        )
    return topics


def _reliability(rows, per_question: dict, attempts: int) -> float | None:
    """KR-20 (kr20) from the per-question counts already aggregated and one pass over
    the responses (one query, streamed: memory does not grow with attempts)."""
    if attempts < 2:
        return None
    facility = {
        pk: row["correct"] / row["answers"]
        for pk, row in per_question.items()
        if row["answers"]
    }
    item_variance_sum = sum(
        row["answers"] * facility[pk] * (1 - facility[pk])
        for pk, row in per_question.items()
        if row["answers"]
    )
    responses = sum(row["answers"] for row in per_question.values())
    squares, current, centred = 0.0, None, 0.0
    for attempt_id, question_id, correct in (
        rows.order_by("attempt_id")
        .values_list("attempt_id", "question_id", "is_correct")
        .iterator(chunk_size=2000)
    ):
        if attempt_id != current:
            squares += centred * centred
            current, centred = attempt_id, 0.0
        centred += (1.0 if correct else 0.0) - facility[question_id]
    squares += centred * centred
    return kr20(
        attempts=attempts,
        responses=responses,
        item_variance_sum=item_variance_sum,
        centred_score_squares=squares,
    )


def exam_statistics(*, exam: Exam) -> ExamStatistics:
    """Item analysis of an exam over its submitted attempts (seven queries).

    Per exam: attempts, pass rate, learners, average score, and average attempts a
    learner needed up to their first pass. Per question: facility (share answered
    correctly), discrimination (point-biserial correlation between getting the
    question right and the score on the rest of the attempt, so the question does not
    correlate with itself) and how often each choice was picked; flags from
    MIN_ANSWERS_TO_FLAG responses. Per topic: questions, responses, mean facility.
    KR-20 reliability over the submitted attempts (kr20: exact for a fixed form, an
    approximation over blueprint draws).
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
        topics=_topics(exam, stats),
        reliability=_reliability(rows, per_question, totals["n_attempts"]),
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


# The question table's sortable columns: name -> the value a row sorts by. Rows
# without a value (no responses yet) come last whichever the direction.
QUESTION_SORTS = {
    "order": lambda stat: stat.question.order,
    "question": lambda stat: stat.question.text_md.casefold(),
    "topic": lambda stat: stat.question.topic.casefold(),
    "answers": lambda stat: stat.answers,
    "facility": lambda stat: stat.facility,
    "discrimination": lambda stat: stat.discrimination,
}


def question_stats_sorted(
    stats: list[QuestionStat], *, sort: str = "order", descending: bool = False
) -> list[QuestionStat]:
    """The question rows in the order a column asks for (QUESTION_SORTS), ties in
    bank order; rows without a value last. Reads nothing from the database."""
    key = QUESTION_SORTS[sort]
    by_order = sorted(stats, key=lambda stat: (stat.question.order, stat.question.pk))
    present = [stat for stat in by_order if key(stat) is not None]
    missing = [stat for stat in by_order if key(stat) is None]
    return sorted(present, key=key, reverse=descending) + missing
