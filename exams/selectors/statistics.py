"""The authors' item analysis of an exam, from the counters kept as attempts are
graded (exams.selectors.tallies): per exam (attempts, pass rate, KR-20 reliability),
per topic and per question (facility, point-biserial discrimination, choices picked,
flags)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from ..models import Attempt, Choice, Exam, Question
from .tallies import (
    QuestionCounts,
    Tallies,
    exam_pairs_facility_product,
    exam_tallies,
)

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


def _reliability(tallies: Tallies, pairs_product: float) -> float | None:
    """KR-20 (kr20) from the counters. The centred score of an attempt a is
    S_a - P_a, S_a its correct answers and P_a the sum of the facilities p of the
    questions it presented, so the sum of its squares over attempts expands into
    sum S^2 (ExamTally.correct_squares) - 2 sum_q p_q * (sum of S over the attempts
    presenting q: QuestionTally.correct_sum) + sum_q,r p_q p_r * (attempts presenting
    both: answers when q = r, QuestionPairTally otherwise: `pairs_product`, the sum
    over pairs q < r of p_q p_r times the attempts presenting both)."""
    attempts = tallies.exam.attempts
    if attempts < 2:
        return None
    facility = {
        pk: counts.correct / counts.answers
        for pk, counts in tallies.questions.items()
        if counts.answers
    }
    item_variance_sum = sum(
        counts.answers * facility[pk] * (1 - facility[pk])
        for pk, counts in tallies.questions.items()
        if counts.answers
    )
    responses = sum(counts.answers for counts in tallies.questions.values())
    squares = float(tallies.exam.correct_squares)
    for pk, counts in tallies.questions.items():
        if counts.answers:
            p = facility[pk]
            squares += p * (p * counts.answers - 2 * counts.correct_sum)
    squares += 2 * pairs_product
    # The expansion cancels large terms: what is left of a zero spread is rounding.
    if squares <= 1e-9 * max(1.0, tallies.exam.correct_squares):
        squares = 0.0
    return kr20(
        attempts=attempts,
        responses=responses,
        item_variance_sum=item_variance_sum,
        centred_score_squares=squares,
    )


def exam_statistics(*, exam: Exam) -> ExamStatistics:
    """Item analysis of an exam over its submitted attempts, from the counters
    maintained as attempts are graded (exams.selectors.tallies): seven queries,
    whatever the number of attempts.

    Per exam: attempts, pass rate, learners, average score, and average attempts a
    learner needed up to their first pass. Per question: facility (share answered
    correctly), discrimination (point-biserial correlation between getting the
    question right and the score on the rest of the attempt, so the question does not
    correlate with itself) and how often each choice was picked; flags from
    MIN_ANSWERS_TO_FLAG responses. Per topic: questions, responses, mean facility.
    KR-20 reliability over the submitted attempts (kr20: exact for a fixed form, an
    approximation over blueprint draws).
    """
    tallies = exam_tallies(exam=exam, pairs=False)
    counts = tallies.exam
    in_progress = Attempt.objects.filter(exam=exam, status=Attempt.Status.OPEN).count()
    questions = Question.objects.filter(exam=exam).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
    )
    stats = []
    for question in questions:
        row = tallies.questions.get(question.pk, QuestionCounts())
        stat = QuestionStat(
            question=question,
            answers=row.answers,
            correct=row.correct,
            unanswered=row.unanswered,
            discrimination=_point_biserial(
                row.n, row.sum_x, row.sum_y, row.sum_yy, row.sum_xy
            ),
        )
        answered = stat.answers - stat.unanswered
        for choice in question.choices.all():
            picked = tallies.choices.get(choice.pk, 0)
            stat.choices.append(
                ChoiceStat(
                    text=choice.text,
                    is_correct=choice.is_correct,
                    picked=picked,
                    share=picked / answered if answered else None,
                )
            )
        stats.append(stat)
    attempts = counts.attempts
    return ExamStatistics(
        topics=_topics(exam, stats),
        reliability=_reliability(tallies, exam_pairs_facility_product(exam=exam)),
        exam=exam,
        attempts=attempts,
        passed=counts.passed,
        in_progress=in_progress,
        learners=counts.learners,
        learners_passed=counts.learners_passed,
        average_score=counts.score_sum / attempts if attempts else None,
        average_attempts_to_pass=(
            counts.tries_to_pass / counts.learners_passed
            if counts.learners_passed
            else None
        ),
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
