"""The statistics counters (issue 19): kept in the grading transaction, equal to a full
recount from the attempts (the GROUP BY reference) after grading, retakes, expired
attempts, a question's retirement and its choices being replaced; rebuilt exactly by
`recount_exam_statistics`; read by the statistics page in a fixed number of queries
whatever the number of attempts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from exams.models import (
    Attempt,
    Choice,
    ChoiceTally,
    ExamTally,
    QuestionPairTally,
    QuestionTally,
)
from exams.selectors import exam_statistics
from exams.selectors.tallies import exam_tallies, exam_tallies_recounted
from exams.services import (
    exam_attempt_answer,
    exam_attempt_start,
    exam_attempt_submit,
    exam_attempts_sweep_expired,
    exam_tallies_recount,
    questions_activate,
)
from tests.exams.conftest import answers_for, complete_lessons, ready_to_retake
from tests.exams.test_concurrency import race
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def assert_counters_equal_recount(exam) -> None:
    """The counters as maintained equal the GROUP BY recount: counts exactly, float
    sums up to rounding (they add in another order)."""
    counted, recounted = exam_tallies(exam=exam), exam_tallies_recounted(exam=exam)
    assert asdict(counted.exam) == asdict(recounted.exam)
    assert counted.choices == recounted.choices
    assert counted.pairs == recounted.pairs
    assert counted.questions.keys() == recounted.questions.keys()
    for pk, counts in counted.questions.items():
        assert asdict(counts) == pytest.approx(asdict(recounted.questions[pk]))
    assert counted.matches(recounted)


def _learner(bls):
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    return enrollment.user


def _take(user, exam, *, correct: int | None, skip: int = 0) -> Attempt:
    """Starts and submits an attempt answering the first `correct` right, the rest
    wrong, and the last `skip` not at all."""
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = answers_for(attempt, correct=correct)
    for position in sorted(answers)[len(answers) - skip :]:
        del answers[position]
    exam_attempt_submit(attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    return attempt


def test_counters_equal_a_recount_after_gradings_and_retakes(module_exam, bls, clock):
    ann, ben, cat = _learner(bls), _learner(bls), _learner(bls)
    _take(ann, module_exam, correct=None)  # passes first time
    for correct in (1, 2, 0, 5):  # Ben fails three times, then passes
        _take(ben, module_exam, correct=correct, skip=1 if correct == 0 else 0)
        ready_to_retake(ben, module_exam, clock)
    _take(ben, module_exam, correct=4)  # a retake after the pass counts too
    _take(cat, module_exam, correct=3, skip=2)  # fails, never comes back
    assert_counters_equal_recount(module_exam)

    stats = exam_statistics(exam=module_exam)
    assert (stats.attempts, stats.passed) == (7, 3)
    assert (stats.learners, stats.learners_passed) == (3, 2)
    # Ann needed 1 attempt, Ben 4 (his fifth, after the pass, does not count).
    assert stats.average_attempts_to_pass == pytest.approx(5 / 2)
    assert sum(s.unanswered for s in stats.questions) == 1 + 2
    assert sum(s.answers for s in stats.questions) == 7 * 5


def test_open_and_expired_attempts_count_once_graded(module_exam, bls, clock):
    module_exam.time_limit_minutes = 10
    module_exam.save(update_fields=["time_limit_minutes"])
    dan, eve = _learner(bls), _learner(bls)
    # Eve answers two questions in time and leaves: the sweeper grades her attempt
    # as of its deadline.
    left, _ = exam_attempt_start(user=eve, exam=module_exam)
    exam_attempt_answer(attempt=left, answers=dict(list(answers_for(left).items())[:2]))
    # Dan's attempt stays open (abandoned before its time is up): not counted.
    exam_attempt_start(user=dan, exam=module_exam)
    assert exam_statistics(exam=module_exam).attempts == 0
    clock.shift(timedelta(minutes=11))
    exam_attempts_sweep_expired(max_batches=None)
    assert_counters_equal_recount(module_exam)
    stats = exam_statistics(exam=module_exam)
    assert (stats.attempts, stats.passed, stats.in_progress) == (2, 0, 0)
    assert sum(s.correct for s in stats.questions) == 2


def test_counters_survive_a_question_retired_and_its_choices_replaced(
    module_exam, bls, staff
):
    for correct in (5, 4, 2, 1):
        _take(_learner(bls), module_exam, correct=correct)
    presented = QuestionTally.objects.filter(exam=module_exam).order_by("pk")
    retired, edited = [row.question for row in presented[:2]]
    answered = QuestionTally.objects.get(question=retired).answers
    questions_activate(questions=[retired], actor=staff, active=False)
    # An edit of the choices (as the sync does when a bank's choices change): the
    # attempts keep their snapshot, their link to the old choices is cleared.
    edited.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(question=edited, text=f"New {i}", is_correct=i == 0, order=i)
        for i in range(4)
    )
    for correct in (3, 5):
        _take(_learner(bls), module_exam, correct=correct)
    assert_counters_equal_recount(module_exam)

    by_pk = {s.question.pk: s for s in exam_statistics(exam=module_exam).questions}
    # The retired question still shows, with what it gathered while in use.
    assert not by_pk[retired.pk].question.is_active
    assert by_pk[retired.pk].answers == answered > 0
    assert [c.text for c in by_pk[edited.pk].choices] == [f"New {i}" for i in range(4)]


def test_recount_command_rebuilds_counters_exactly_and_is_idempotent(
    module_exam, final_exam, bls
):
    learners = [_learner(bls) for _ in range(3)]
    for n, user in enumerate(learners):
        _take(user, module_exam, correct=5 - n % 2)  # a pass unlocks the final
        _take(user, final_exam, correct=n)
    expected = exam_statistics(exam=module_exam)
    # Lost (as before the migration) and off (a count edited by hand).
    for model in (QuestionTally, ChoiceTally, QuestionPairTally):
        model.objects.filter(exam=module_exam).delete()
    ExamTally.objects.filter(exam=module_exam).delete()
    ExamTally.objects.filter(exam=final_exam).update(attempts=99)

    out = StringIO()
    call_command("recount_exam_statistics", "--batch-size", "2", stdout=out)
    assert "2 had counters to rebuild" in out.getvalue()
    assert_counters_equal_recount(module_exam)
    assert_counters_equal_recount(final_exam)
    rebuilt = exam_statistics(exam=module_exam)
    assert [(s.answers, s.correct, s.discrimination) for s in rebuilt.questions] == [
        (s.answers, s.correct, pytest.approx(s.discrimination))
        if s.discrimination is not None
        else (s.answers, s.correct, None)
        for s in expected.questions
    ]
    assert rebuilt.reliability == pytest.approx(expected.reliability)

    out = StringIO()
    call_command("recount_exam_statistics", str(module_exam.pk), stdout=out)
    assert "0 had counters to rebuild" in out.getvalue()
    assert exam_tallies_recount(exam=final_exam) is False


def test_recount_command_refuses_an_unknown_exam(module_exam):
    with pytest.raises(CommandError, match="No exam with id"):
        call_command("recount_exam_statistics", str(module_exam.pk + 1000))


@pytest.mark.parametrize("learners", [2, 8], ids=["2-attempts", "8-attempts"])
def test_statistics_page_queries_do_not_grow_with_attempts(
    staff_client, module_exam, bls, learners, django_assert_num_queries
):
    for n in range(learners):
        _take(_learner(bls), module_exam, correct=n % 6)
    # User (the session comes from the cache), the staff member's authenticator and TOTP check, exam; then
    # four counter tables, attempts in progress, questions and their choices.
    with django_assert_num_queries(11):
        response = staff_client.get(reverse("exams:statistics", args=[module_exam.pk]))
    assert response.status_code == 200
    assert f'<td class="num">{learners}</td>' in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_gradings_of_one_exam_count_exactly(module_exam, bls):
    """Pairs of learners submit at the same moment, each in its own connection: the
    counters lose nothing (and deadlock nowhere) and equal the recount."""
    rounds = 4
    attempts = []
    for n in range(2 * rounds):
        attempt, _ = exam_attempt_start(user=_learner(bls), exam=module_exam)
        attempts.append((attempt, answers_for(attempt, correct=n % 6)))
    for first, second in zip(attempts[::2], attempts[1::2], strict=True):
        outcomes = race(
            lambda pair=first: exam_attempt_submit(attempt=pair[0], answers=pair[1]),
            lambda pair=second: exam_attempt_submit(attempt=pair[0], answers=pair[1]),
        )
        assert all(getattr(o, "graded_now", False) for o in outcomes), outcomes
    assert_counters_equal_recount(module_exam)
    stats = exam_statistics(exam=module_exam)
    assert (stats.attempts, stats.learners) == (2 * rounds, 2 * rounds)
    assert sum(s.answers for s in stats.questions) == 2 * rounds * 5
