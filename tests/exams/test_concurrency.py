"""Real concurrency against PostgreSQL: two requests racing on one attempt."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from exams.models import Attempt
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, complete_lessons
from tests.factories import EnrollmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], object]) -> list[object]:
    """Runs the calls at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # handed to the assertions, not lost in a thread
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def open_attempt(module_exam, bls):
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    return exam_attempt_start(user=enrollment.user, exam=module_exam)[0]


def test_two_concurrent_submits_grade_once(open_attempt):
    right, wrong = answers_for(open_attempt), answers_for(open_attempt, correct=0)
    outcomes = race(
        lambda: exam_attempt_submit(attempt=open_attempt, answers=right),
        lambda: exam_attempt_submit(attempt=open_attempt, answers=wrong),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    graded = [o for o in outcomes if o.graded_now]
    assert len(graded) == 1
    attempt = Attempt.objects.get(pk=open_attempt.pk)
    assert attempt.status == Attempt.Status.SUBMITTED
    # The stored grade and answers are those of the one submit that graded.
    assert attempt.correct_count == graded[0].attempt.correct_count
    assert attempt.items.filter(is_correct=True).count() == attempt.correct_count
    winner = right if graded[0].attempt.correct_count == 5 else wrong
    assert dict(attempt.items.values_list("position", "selected_key")) == winner


def test_two_concurrent_starts_make_one_attempt(module_exam, bls):
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    user = enrollment.user
    results = race(
        lambda: exam_attempt_start(user=user, exam=module_exam),
        lambda: exam_attempt_start(user=user, exam=module_exam),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Attempt.objects.filter(user=user).count() == 1
    assert {attempt.pk for attempt, _ in results} == {Attempt.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]
