"""Time is checked when it counts (issue 12): an open attempt whose time is up is
graded as of its deadline (24 hours after start for an untimed quiz) by whichever
comes first: a late submit, the learner coming back to an exam page or the course
home, or the sweeper task; a completion is dated at the passing submit or the
deadline, never later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from courses.models import Enrollment
from exams.models import Attempt
from exams.selectors import DEADLINE_GRACE
from exams.services import (
    TimeIsUp,
    exam_attempt_answer,
    exam_attempt_start,
    exam_attempt_submit,
    exam_attempts_sweep_expired,
)
from exams.tasks import close_expired_attempts
from tests.exams.conftest import answers_for, as_post, complete_lessons
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def attempt_url(attempt: Attempt) -> str:
    return reverse("exams:attempt", args=[attempt.pk])


def start_at(moment: datetime, *, user, exam) -> Attempt:
    with time_machine.travel(moment, tick=False):
        attempt, created = exam_attempt_start(user=user, exam=exam)
    assert created
    return attempt


def save_at(moment: datetime, attempt: Attempt, answers: dict[int, str]) -> None:
    with time_machine.travel(moment, tick=False):
        exam_attempt_answer(attempt=attempt, answers=answers)


@pytest.fixture
def timed_exam(module_exam):
    module_exam.time_limit_minutes = 10
    module_exam.save()
    return module_exam


@pytest.fixture
def timed_attempt(user, timed_exam, studied) -> Attempt:
    """Started now; the first two answers right were saved a minute before the
    deadline, nothing after: 2 of 5, a fail at 80%."""
    attempt = start_at(timezone.now(), user=user, exam=timed_exam)
    right = answers_for(attempt)
    save_at(
        attempt.deadline - timedelta(minutes=1), attempt, {1: right[1], 2: right[2]}
    )
    return attempt


def assert_graded_as_of(attempt: Attempt, moment: datetime, *, correct: int) -> None:
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submitted_at == moment
    assert attempt.correct_count == correct


# --- Late submit ----------------------------------------------------------------


def test_a_late_submit_is_graded_as_of_the_deadline_on_what_was_saved_by_then(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    with time_machine.travel(attempt.deadline + timedelta(hours=3), tick=False):
        response = learner_client.post(
            attempt_url(attempt), as_post(answers_for(attempt)), follow=True
        )
    assert "not counted" in response.content.decode()
    assert_graded_as_of(attempt, attempt.deadline, correct=2)


# --- Coming back ------------------------------------------------------------------


def test_coming_back_to_the_attempt_page_after_the_deadline_shows_it_graded(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    with time_machine.travel(attempt.deadline + timedelta(minutes=30), tick=False):
        page = learner_client.get(attempt_url(attempt)).content.decode()
    assert_graded_as_of(attempt, attempt.deadline, correct=2)
    assert "Time was up on your attempt at Adult CPR quiz" in page
    assert "You scored <strong>40%</strong>: 2 of 5 correct" in page
    assert 'name="action" value="submit"' not in page  # the result, not the form


def test_coming_back_to_the_course_home_grades_the_attempt_left_open(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    url = reverse("courses:home", args=["bls"])
    with time_machine.travel(attempt.deadline + timedelta(days=2), tick=False):
        page = learner_client.get(url).content.decode()
    assert_graded_as_of(attempt, attempt.deadline, correct=2)
    assert "Time was up on your attempt at Adult CPR quiz" in page
    exam_card = page.split(f'id="exam-{attempt.exam_id}"', 1)[1].split("</li>", 1)[0]
    assert "In progress" not in exam_card and "Resume Adult CPR quiz" not in page
    # The graded attempt failed: the card now says what opens the retake (pacing).
    assert "Your next attempt at Adult CPR quiz opens once you have opened" in page


def test_coming_back_to_the_exam_history_grades_the_attempt_left_open(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    url = reverse("exams:history", args=[attempt.exam_id])
    with time_machine.travel(attempt.deadline + timedelta(hours=1), tick=False):
        page = learner_client.get(url).content.decode()
    assert_graded_as_of(attempt, attempt.deadline, correct=2)
    assert "Time was up" in page


def test_coming_back_before_the_deadline_plus_the_allowance_changes_nothing(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    with time_machine.travel(attempt.deadline + DEADLINE_GRACE, tick=False):
        learner_client.get(reverse("courses:home", args=["bls"]))
        page = learner_client.get(attempt_url(attempt)).content.decode()
        assert exam_attempts_sweep_expired().closed == 0
    attempt.refresh_from_db()
    assert attempt.is_open
    assert 'value="submit"' in page


def test_a_final_left_open_with_passing_answers_completes_as_of_its_deadline(
    learner_client, user, module_exam, final_exam, studied,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The learner answered everything right and closed the tab: coming back to the
    course home a week later completes the course, dated at the deadline."""
    passed, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=passed, answers=answers_for(passed))
    final_exam.time_limit_minutes = 45
    final_exam.save()
    attempt = start_at(timezone.now(), user=user, exam=final_exam)
    save_at(attempt.deadline - timedelta(minutes=5), attempt, answers_for(attempt))
    with (
        time_machine.travel(attempt.deadline + timedelta(days=7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        learner_client.force_login(user)
        response = learner_client.get(reverse("courses:home", args=["bls"]))
    # The course home is now the completed course's: its certificate comes next
    # (issued after this request commits: the page refreshes itself until then).
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have completed Basic Life Support" in page
    assert "Your certificate is being issued" in page
    assert "data-refresh-seconds" in page
    assert_graded_as_of(attempt, attempt.deadline, correct=4)
    studied.refresh_from_db()
    assert studied.status == Enrollment.Status.COMPLETED
    assert studied.completed_at == attempt.deadline
    assert Certificate.objects.get().issued_on == timezone.localdate(attempt.deadline)


# --- The sweeper ----------------------------------------------------------------


@pytest.fixture
def expired_attempts(module_exam, bls) -> list[Attempt]:
    """Five learners' timed attempts, each with one right answer saved in time, and
    one learner's attempt started later, still within its time."""
    module_exam.time_limit_minutes = 10
    module_exam.save()
    start = timezone.now() - timedelta(hours=1)
    attempts = []
    for index in range(6):
        enrollment = EnrollmentFactory(course=bls)
        complete_lessons(enrollment)
        moment = start if index < 5 else timezone.now()
        attempt = start_at(moment, user=enrollment.user, exam=module_exam)
        save_at(moment, attempt, {1: answers_for(attempt)[1]})
        attempts.append(attempt)
    return attempts


def test_the_sweeper_task_grades_every_expired_attempt_once(expired_attempts):
    *expired, running = expired_attempts
    assert close_expired_attempts.delay().get() == 5  # eager, as the suite runs
    for attempt in expired:
        assert_graded_as_of(attempt, attempt.deadline, correct=1)
    running.refresh_from_db()
    assert running.is_open
    assert close_expired_attempts.delay().get() == 0  # a second run: nothing left


def test_the_sweeper_service_works_in_bounded_batches(expired_attempts):
    first = exam_attempts_sweep_expired(batch_size=2)
    assert (first.closed, first.more) == (2, True)
    rest = exam_attempts_sweep_expired(batch_size=2, max_batches=None)
    assert (rest.closed, rest.more) == (3, False)
    assert Attempt.objects.filter(status=Attempt.Status.OPEN).count() == 1


def test_the_sweeper_task_queues_itself_again_while_its_batch_is_full(
    expired_attempts, monkeypatch
):
    monkeypatch.setattr("exams.services.grading.SWEEP_BATCH", 2)
    # Its own batch of 2; the copies it queued (eager here) grade the other 3.
    assert close_expired_attempts.delay().get() == 2
    assert Attempt.objects.filter(status=Attempt.Status.OPEN).count() == 1


def test_the_close_expired_attempts_command_grades_them_all(expired_attempts, capsys):
    call_command("close_expired_attempts")
    assert "Graded 5 expired attempt(s)." in capsys.readouterr().out
    assert Attempt.objects.filter(status=Attempt.Status.OPEN).count() == 1


def test_the_sweeper_runs_every_few_minutes_from_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["close-expired-attempts"]
    assert entry["task"] == close_expired_attempts.name
    assert entry["schedule"].minute == set(range(0, 60, 5))


def test_the_sweeper_dates_a_completion_at_the_deadline_not_at_its_run(
    user, module_exam, final_exam, studied, django_capture_on_commit_callbacks
):
    """Deadline two minutes before midnight, sweep five minutes after: the course
    completes, and the certificate is issued, on the day of the deadline."""
    passed, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=passed, answers=answers_for(passed))
    final_exam.time_limit_minutes = 30
    final_exam.save()
    day = timezone.localdate() + timedelta(days=3)
    started = datetime(day.year, day.month, day.day, 23, 28, tzinfo=UTC)
    attempt = start_at(started, user=user, exam=final_exam)
    save_at(started + timedelta(minutes=20), attempt, answers_for(attempt))
    with (
        time_machine.travel(attempt.deadline + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert close_expired_attempts.delay().get() == 1
    assert_graded_as_of(attempt, attempt.deadline, correct=4)
    studied.refresh_from_db()
    assert studied.completed_at == attempt.deadline == started + timedelta(minutes=30)
    assert Certificate.objects.get(enrollment=studied).issued_on == day


def test_a_completion_is_dated_by_the_passing_submit(
    user, module_exam, final_exam, studied
):
    passed, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=passed, answers=answers_for(passed))
    attempt, _ = exam_attempt_start(user=user, exam=final_exam)
    moment = timezone.now() + timedelta(minutes=7)
    with time_machine.travel(moment, tick=False):
        exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert exam_attempts_sweep_expired().closed == 0
    studied.refresh_from_db()
    assert studied.completed_at == moment


# --- Untimed quizzes ----------------------------------------------------------------


def test_an_untimed_quiz_closes_24_hours_after_it_started(
    learner_client, user, module_exam, studied
):
    assert module_exam.time_limit_minutes is None
    started = timezone.now()
    attempt = start_at(started, user=user, exam=module_exam)
    right = answers_for(attempt)
    save_at(started + timedelta(hours=23), attempt, {1: right[1], 2: right[2]})
    closes = started + timedelta(hours=24)
    # Still open a moment before, and answers count until then.
    with time_machine.travel(closes - timedelta(minutes=1), tick=False):
        assert exam_attempts_sweep_expired().closed == 0
        exam_attempt_answer(attempt=attempt, answers={3: right[3]})
    with time_machine.travel(closes + timedelta(minutes=1), tick=False):
        with pytest.raises(TimeIsUp):
            exam_attempt_answer(attempt=attempt, answers={4: right[4]})
        page = learner_client.get(attempt_url(attempt)).content.decode()
    assert "Time was up on your attempt" in page
    assert_graded_as_of(attempt, closes, correct=3)


def test_the_sweeper_closes_an_untimed_quiz_left_open_for_a_day(
    user, module_exam, studied
):
    started = timezone.now()
    attempt = start_at(started, user=user, exam=module_exam)
    save_at(started + timedelta(hours=2), attempt, answers_for(attempt))
    with time_machine.travel(started + timedelta(hours=25), tick=False):
        assert close_expired_attempts.delay().get() == 1
    assert_graded_as_of(attempt, started + timedelta(hours=24), correct=5)
    attempt.refresh_from_db()
    assert attempt.passed


# --- Concurrency (PostgreSQL) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_grade_each_attempt_once(expired_attempts):
    from tests.exams.test_concurrency import race

    results = race(exam_attempts_sweep_expired, exam_attempts_sweep_expired)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.closed for r in results) == 5
    for attempt in expired_attempts[:5]:
        assert_graded_as_of(attempt, attempt.deadline, correct=1)
        assert attempt.items.filter(is_correct=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweeper_and_a_late_submit_at_once_grade_once(expired_attempts):
    from tests.exams.test_concurrency import race

    attempt = expired_attempts[0]
    results = race(
        exam_attempts_sweep_expired,
        lambda: exam_attempt_submit(attempt=attempt, answers=answers_for(attempt)),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    sweep, submit = results
    assert sweep.closed + int(submit.graded_now) == 5
    assert_graded_as_of(attempt, attempt.deadline, correct=1)
