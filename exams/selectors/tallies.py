"""The counts behind an exam's statistics, three ways: as maintained in the counter
tables (`exam_tallies`, what the statistics page reads), as a full recount from the
attempts with GROUP BY (`exam_tallies_recounted`, the reference the counters must
equal, and what `recount_exam_statistics` writes back), and as one graded attempt
adds to them (`attempt_tallies`, what grading adds in its transaction).

Only submitted attempts count. A question counts once per attempt that presented it;
a choice once per answer that picked it (while the choice exists: the attempts' link
to a replaced choice is cleared, and its counter goes with it); a pair of questions
once per attempt that presented both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from itertools import combinations

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from ..models import (
    Attempt,
    AttemptQuestion,
    ChoiceTally,
    Exam,
    ExamTally,
    QuestionPairTally,
    QuestionTally,
)

# Attempts read per batch by the recount.
RECOUNT_BATCH = 1000


@dataclass
class ExamCounts:
    attempts: int = 0
    passed: int = 0
    learners: int = 0
    learners_passed: int = 0
    tries_to_pass: int = 0
    score_sum: Decimal = Decimal("0.00")
    correct_squares: int = 0


@dataclass
class QuestionCounts:
    answers: int = 0
    correct: int = 0
    unanswered: int = 0
    # Over attempts of more than one question: x right or not, y the rest score.
    n: int = 0
    sum_x: int = 0
    sum_y: float = 0.0
    sum_yy: float = 0.0
    sum_xy: float = 0.0
    correct_sum: int = 0

    def add(self, other: QuestionCounts) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNT_FIELDS = tuple(f.name for f in fields(QuestionCounts))
EXAM_FIELDS = tuple(f.name for f in fields(ExamCounts))


@dataclass
class Tallies:
    exam: ExamCounts = field(default_factory=ExamCounts)
    # question id -> its counts; choice id -> picked; (first, second) -> together.
    questions: dict[int, QuestionCounts] = field(default_factory=dict)
    choices: dict[int, int] = field(default_factory=dict)
    pairs: dict[tuple[int, int], int] = field(default_factory=dict)

    def matches(self, other: Tallies) -> bool:
        """Equal counts; float sums equal up to rounding (they add in another
        order)."""

        def same(a: QuestionCounts, b: QuestionCounts) -> bool:
            return all(
                math.isclose(getattr(a, n), getattr(b, n), rel_tol=1e-9, abs_tol=1e-9)
                for n in COUNT_FIELDS
            )

        return (
            self.exam == other.exam
            and self.choices == other.choices
            and self.pairs == other.pairs
            and self.questions.keys() == other.questions.keys()
            and all(same(q, other.questions[pk]) for pk, q in self.questions.items())
        )


def exam_tallies(*, exam: Exam, pairs: bool = True) -> Tallies:
    """The exam's counters as maintained (four queries, three without the `pairs`,
    whatever the number of attempts)."""
    row = ExamTally.objects.filter(exam=exam).values(*EXAM_FIELDS).first()
    return Tallies(
        exam=ExamCounts(**row) if row else ExamCounts(),
        questions={
            values.pop("question_id"): QuestionCounts(**values)
            for values in QuestionTally.objects.filter(exam=exam).values(
                "question_id", *COUNT_FIELDS
            )
        },
        choices=dict(
            ChoiceTally.objects.filter(exam=exam).values_list("choice_id", "picked")
        ),
        pairs={
            (first, second): together
            for first, second, together in QuestionPairTally.objects.filter(
                exam=exam
            ).values_list("first_id", "second_id", "together")
        }
        if pairs
        else {},
    )


def _facility(side: str):
    return Cast(F(f"{side}__tally__correct"), FloatField()) / Cast(
        F(f"{side}__tally__answers"), FloatField()
    )


def exam_pairs_facility_product(*, exam: Exam) -> float:
    """The sum over the exam's pairs of questions of (attempts presenting both) x the
    facility of each: what KR-20 needs of the pairs, summed in the database (one
    query, one row back, however many pairs a large bank has)."""
    total = QuestionPairTally.objects.filter(exam=exam).aggregate(
        total=Sum(
            F("together") * _facility("first") * _facility("second"),
            output_field=FloatField(),
        )
    )["total"]
    return total or 0.0


def _exam_counts_recounted(exam: Exam) -> ExamCounts:
    submitted = Attempt.objects.filter(exam=exam, status=Attempt.Status.SUBMITTED)
    # Aliases must not shadow the field names the filters use (passed).
    totals = submitted.aggregate(
        n_attempts=Count("id"),
        n_passed=Count("id", filter=Q(passed=True)),
        n_learners=Count("user", distinct=True),
        n_learners_passed=Count("user", distinct=True, filter=Q(passed=True)),
        n_score_sum=Coalesce(Sum("score"), Value(Decimal("0.00"))),
        n_correct_squares=Coalesce(Sum(F("correct_count") * F("correct_count")), 0),
    )
    # Per learner who passed: their submitted attempts up to the first pass (in
    # grading order: by time, then id, as a learner's attempts are one at a time).
    first_pass = Attempt.objects.filter(
        exam=exam, user=OuterRef("user"), passed=True
    ).order_by("submitted_at", "pk")
    at, pk = (
        Subquery(first_pass.values("submitted_at")[:1]),
        Subquery(first_pass.values("pk")[:1]),
    )
    tries = (
        submitted.filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lte=pk))
        .values("user")
        .annotate(tries=Count("id"))
        .aggregate(total=Sum("tries"))["total"]
    )
    counts = ExamCounts(
        tries_to_pass=tries or 0,
        **{name.removeprefix("n_"): value for name, value in totals.items()},
    )
    counts.score_sum = Decimal(counts.score_sum).quantize(Decimal("0.01"))
    return counts


def _batch_recounted(rows, tallies: Tallies) -> None:
    """Adds the GROUP BY counts of `rows` (attempt questions of submitted attempts)
    to `tallies`."""
    x = Case(When(is_correct=True, then=Value(1.0)), default=Value(0.0))
    rest = (Cast("attempt__correct_count", FloatField()) - x) / Cast(
        F("attempt__question_count") - 1, FloatField()
    )
    # The rest score needs at least one other question in the attempt.
    multi = Q(attempt__question_count__gt=1)
    for values in rows.values("question_id").annotate(
        answers=Count("id"),
        correct=Count("id", filter=Q(is_correct=True)),
        unanswered=Count("id", filter=Q(selected_key="")),
        n=Count("id", filter=multi),
        sum_x=Count("id", filter=multi & Q(is_correct=True)),
        sum_y=Coalesce(Sum(rest, filter=multi, output_field=FloatField()), 0.0),
        sum_yy=Coalesce(Sum(rest * rest, filter=multi, output_field=FloatField()), 0.0),
        sum_xy=Coalesce(Sum(x * rest, filter=multi, output_field=FloatField()), 0.0),
        correct_sum=Sum("attempt__correct_count"),
    ):
        question_id = values.pop("question_id")
        tallies.questions.setdefault(question_id, QuestionCounts()).add(
            QuestionCounts(**values)
        )
    for choice_id, picked in (
        rows.filter(selected_choice__isnull=False)
        .values("selected_choice_id")
        .annotate(picked=Count("id"))
        .values_list("selected_choice_id", "picked")
    ):
        tallies.choices[choice_id] = tallies.choices.get(choice_id, 0) + picked
    for first, second, together in (
        rows.annotate(other=F("attempt__items__question_id"))
        .filter(question_id__lt=F("other"))
        .values("question_id", "other")
        .annotate(together=Count("id"))
        .values_list("question_id", "other", "together")
    ):
        tallies.pairs[first, second] = tallies.pairs.get((first, second), 0) + together


def exam_tallies_recounted(*, exam: Exam, batch_size: int = RECOUNT_BATCH) -> Tallies:
    """The exam's counts recounted from its submitted attempts with GROUP BY, in
    batches of `batch_size` attempts (so no query sorts or hashes more than a batch
    of their questions): two queries, then three per batch."""
    tallies = Tallies(exam=_exam_counts_recounted(exam))
    ids = list(
        Attempt.objects.filter(exam=exam, status=Attempt.Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        rows = AttemptQuestion.objects.filter(attempt_id__in=batch).order_by()
        _batch_recounted(rows, tallies)
    return tallies


@dataclass(frozen=True)
class LearnerBefore:
    """The learner's other submitted attempts of the exam when one is graded."""

    attempts: int
    passes: int


def learner_before(*, attempt: Attempt) -> LearnerBefore:
    """One query on the (user, exam) index."""
    prior = (
        Attempt.objects.filter(
            user_id=attempt.user_id,
            exam_id=attempt.exam_id,
            status=Attempt.Status.SUBMITTED,
        )
        .exclude(pk=attempt.pk)
        .aggregate(attempts=Count("id"), passes=Count("id", filter=Q(passed=True)))
    )
    return LearnerBefore(**prior)


def attempt_tallies(
    *, attempt: Attempt, items: Sequence[AttemptQuestion], before: LearnerBefore
) -> Tallies:
    """What one graded attempt adds to its exam's counts, from its graded items and
    the learner's earlier attempts (`before`). A learner's attempts of an exam are
    graded one after the other (one open at a time), so the first pass is the first
    graded pass and the tries up to it are those graded before it, plus itself."""
    correct, total = attempt.correct_count, attempt.question_count
    first_pass = bool(attempt.passed) and before.passes == 0
    tallies = Tallies(
        exam=ExamCounts(
            attempts=1,
            passed=int(bool(attempt.passed)),
            learners=int(before.attempts == 0),
            learners_passed=int(first_pass),
            tries_to_pass=before.attempts + 1 if first_pass else 0,
            score_sum=attempt.score,
            correct_squares=correct * correct,
        )
    )
    for item in items:
        x = 1 if item.is_correct else 0
        counts = QuestionCounts(
            answers=1,
            correct=x,
            unanswered=int(item.selected_key == ""),
            correct_sum=correct,
        )
        if total > 1:
            rest = (float(correct) - x) / float(total - 1)
            counts.n, counts.sum_x = 1, x
            counts.sum_y, counts.sum_yy, counts.sum_xy = rest, rest * rest, x * rest
        tallies.questions[item.question_id] = counts
        if item.selected_choice_id is not None:
            tallies.choices[item.selected_choice_id] = 1
    tallies.pairs = dict.fromkeys(_pairs(item.question_id for item in items), 1)
    return tallies


def _pairs(question_ids: Iterable[int]) -> list[tuple[int, int]]:
    return list(combinations(sorted(question_ids), 2))
