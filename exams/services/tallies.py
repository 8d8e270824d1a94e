"""The statistics counters (exams.models ExamTally, QuestionTally, ChoiceTally,
QuestionPairTally): added to in the grading transaction, rebuilt by a recount.

Adding is one INSERT ... ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n per table, so
two gradings never lose each other's counts whatever the database, and no row is read
first. The exam's row is written first: gradings of one exam queue on it until the
grading transaction commits, then take the question, choice and pair rows in id order
(no deadlock between them). The recount takes the same row lock, so a grading never
falls between the recount's reads and its writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from django.db import connection, transaction

from ..models import (
    Attempt,
    AttemptQuestion,
    ChoiceTally,
    Exam,
    ExamTally,
    QuestionPairTally,
    QuestionTally,
)
from ..selectors.tallies import (
    RECOUNT_BATCH,
    Tallies,
    attempt_tallies,
    exam_tallies,
    exam_tallies_recounted,
    learner_before,
)

# Bound parameters per INSERT: under what SQLite (32,766) and PostgreSQL (65,535)
# accept in one statement, so an attempt of up to 126 questions (7,875 pairs of four
# columns) adds to each table in one statement: the grading's queries do not grow with
# its questions.
UPSERT_PARAMETERS = 32_000
# Rows per INSERT of the recount's rebuild.
REBUILD_BATCH = 1000


def _add(model, key: tuple[str, ...], rows: list[dict]) -> None:
    """Adds each row's counts to the stored row with the same `key` columns, creating
    it at these counts when there is none (rows in `key` order: the lock order)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = list(rows[0])
    counts = [column for column in columns if column not in {*key, "exam_id"}]
    assignments = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counts
    )
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch = UPSERT_PARAMETERS // len(columns)
    insert = f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)})"
    on_conflict = (
        f"ON CONFLICT ({', '.join(quote(k) for k in key)}) DO UPDATE SET {assignments}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            # Names from the models, quoted; every value a bound parameter.
            values = ", ".join([row_placeholder] * len(chunk))
            cursor.execute(
                f"{insert} VALUES {values} {on_conflict}",
                [row[column] for row in chunk for column in columns],
            )


def _tallies_add(exam_id: int, tallies: Tallies) -> None:
    _add(ExamTally, ("exam_id",), [{"exam_id": exam_id, **asdict(tallies.exam)}])
    _add(
        QuestionTally,
        ("question_id",),
        [
            {"question_id": pk, "exam_id": exam_id, **asdict(counts)}
            for pk, counts in sorted(tallies.questions.items())
        ],
    )
    _add(
        ChoiceTally,
        ("choice_id",),
        [
            {"choice_id": pk, "exam_id": exam_id, "picked": picked}
            for pk, picked in sorted(tallies.choices.items())
        ],
    )
    _add(
        QuestionPairTally,
        ("first_id", "second_id"),
        [
            {"first_id": a, "second_id": b, "exam_id": exam_id, "together": n}
            for (a, b), n in sorted(tallies.pairs.items())
        ],
    )


def exam_tallies_add_graded(
    *, attempt: Attempt, items: Sequence[AttemptQuestion]
) -> None:
    """Counts an attempt just graded (submitted, with its graded `items`) in its
    exam's statistics. Call it in the grading transaction, once per attempt: the
    conditional UPDATE that grades it makes sure of that."""
    before = learner_before(attempt=attempt)
    _tallies_add(
        attempt.exam_id, attempt_tallies(attempt=attempt, items=items, before=before)
    )


@transaction.atomic
def exam_tallies_recount(*, exam: Exam, batch_size: int = RECOUNT_BATCH) -> bool:
    """Rebuilds the exam's counters from its submitted attempts (the GROUP BY
    reference, exams.selectors.tallies), under its counter row's lock: gradings of
    the exam wait, and are counted after. Returns whether the counters were off.
    Running it again changes nothing."""
    ExamTally.objects.get_or_create(exam=exam)
    ExamTally.objects.select_for_update().filter(exam=exam).get()
    counted = exam_tallies(exam=exam)
    recounted = exam_tallies_recounted(exam=exam, batch_size=batch_size)
    if counted.matches(recounted):
        return False
    ExamTally.objects.filter(exam=exam).update(**asdict(recounted.exam))
    for model in (QuestionTally, ChoiceTally, QuestionPairTally):
        model.objects.filter(exam=exam).delete()
    QuestionTally.objects.bulk_create(
        (
            QuestionTally(question_id=pk, exam=exam, **asdict(counts))
            for pk, counts in recounted.questions.items()
        ),
        batch_size=REBUILD_BATCH,
    )
    ChoiceTally.objects.bulk_create(
        (
            ChoiceTally(choice_id=pk, exam=exam, picked=picked)
            for pk, picked in recounted.choices.items()
        ),
        batch_size=REBUILD_BATCH,
    )
    QuestionPairTally.objects.bulk_create(
        (
            QuestionPairTally(exam=exam, first_id=a, second_id=b, together=n)
            for (a, b), n in recounted.pairs.items()
        ),
        batch_size=REBUILD_BATCH,
    )
    return True
