"""The one-statement autosave under real concurrency on PostgreSQL
(exams.services.answers._answer_one): it shares the attempt's lock with other
autosaves (FOR SHARE), so they never queue behind each other, and it waits for a
submission being graded (which locks the attempt FOR UPDATE), then is refused."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from exams.errors import AttemptClosed
from exams.models import Attempt, AttemptQuestion, Exam
from exams.services import exam_attempt_autosave, exam_attempt_start
from tests import factories
from tests.exams.conftest import complete_lessons, make_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def attempt(postgres) -> Attempt:
    course = factories.CourseFactory(slug="bls", code="BLS")
    module = factories.ModuleFactory(course=course)
    factories.LessonFactory(module=module)
    exam = factories.ExamFactory(
        course=course, module=module, kind=Exam.Kind.MODULE, draw_size=4
    )
    make_bank(exam, 4)
    user = factories.UserFactory()
    complete_lessons(factories.EnrollmentFactory(user=user, course=course))
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    return attempt


def autosave_in_thread(attempt: Attempt, item: AttemptQuestion, key: str):
    """Starts the autosave of `key` to `item` in a thread of its own (its own
    connection); returns the thread and where its outcome lands."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["changed"] = exam_attempt_autosave(
                attempt_id=attempt.pk,
                user=attempt.user,
                positions={item.position},
                parse=lambda items: {item.position: key},
                single=(item.position, key),
            )
        except Exception as error:  # handed to the assertions
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_a_backend_waits_for_a_lock(seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # A transaction sees one snapshot of the statistics unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


def test_an_autosave_waits_for_a_submission_being_graded_then_is_refused(attempt):
    item = attempt.items.order_by("position").first()
    key = item.choices[0]["key"]
    with transaction.atomic():
        # As grading does (exams.services.answers.lock_attempt), and holds it.
        Attempt.objects.select_for_update().get(pk=attempt.pk)
        thread, outcome = autosave_in_thread(attempt, item, key)
        assert wait_until_a_backend_waits_for_a_lock(), (
            "the autosave did not wait",
            outcome,
        )
        Attempt.objects.filter(pk=attempt.pk).update(
            status=Attempt.Status.SUBMITTED,
            submitted_at=timezone.now(),
            correct_count=0,
            score=0,
            passed=False,
        )
    thread.join(timeout=30)
    assert isinstance(outcome.get("error"), AttemptClosed), outcome
    item.refresh_from_db()
    assert item.selected_key == ""


def test_autosaves_of_one_attempt_do_not_wait_for_each_other(attempt):
    second = attempt.items.order_by("position")[1]
    with transaction.atomic():
        # Another autosave of the attempt in flight: the lock it shares.
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT 1 FROM "{Attempt._meta.db_table}" WHERE id = %s FOR SHARE',  # noqa: S608
                [attempt.pk],
            )
        thread, outcome = autosave_in_thread(attempt, second, second.choices[1]["key"])
        thread.join(timeout=10)
        assert not thread.is_alive(), "the autosave queued behind the other one"
    assert outcome == {"changed": 1}
    second.refresh_from_db()
    assert second.selected_key == second.choices[1]["key"]
