"""Submitting: graded once, on the server, from what the attempt presented."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.revocation import certificate_revoke
from courses.services import enrollment_create
from exams.models import Attempt, AttemptQuestion, Choice
from exams.selectors import DEADLINE_GRACE, attempt_result
from exams.services import (
    AttemptClosed,
    TimeIsUp,
    exam_attempt_answer,
    exam_attempt_start,
    exam_attempt_submit,
)
from tests.exams.conftest import (
    answers_for,
    as_post,
    complete_lessons,
    open_lessons,
    ready_to_retake,
)

pytestmark = pytest.mark.django_db


def attempt_url(attempt) -> str:
    return reverse("exams:attempt", args=[attempt.pk])


def test_submit_grades_score_and_pass_against_the_pass_mark(learner_client, attempt):
    response = learner_client.post(
        attempt_url(attempt), as_post(answers_for(attempt, correct=4))
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.correct_count == 4
    assert attempt.score == Decimal("80.00")
    assert attempt.passed  # 80% meets the pass mark of 80%
    assert list(
        attempt.items.order_by("position").values_list("is_correct", flat=True)
    ) == [True, True, True, True, False]


def test_one_below_the_pass_mark_fails(attempt):
    outcome = exam_attempt_submit(
        attempt=attempt, answers=answers_for(attempt, correct=3)
    )
    assert outcome.graded_now
    assert outcome.attempt.score == Decimal("60.00")
    assert outcome.attempt.passed is False


def test_unanswered_questions_count_as_wrong(attempt):
    answers = answers_for(attempt)
    del answers[5], answers[4]
    exam_attempt_submit(attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.correct_count == 3 and not attempt.passed
    assert attempt.items.get(position=5).is_correct is False


def test_pass_mark_is_the_one_in_force_when_the_attempt_started(attempt):
    attempt.exam.pass_mark = 100
    attempt.exam.save()
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt, correct=4))
    attempt.refresh_from_db()
    assert attempt.passed


def test_grading_reads_the_stored_presentation_not_the_edited_bank(attempt):
    answers = answers_for(attempt)
    # After the attempt started an author marks another choice correct in every
    # question and rewords every choice.
    for item in attempt.items.select_related("question"):
        question = item.question
        Choice.objects.filter(question=question).update(is_correct=False)
        wrong = question.choices.exclude(text="Right").first()
        wrong.is_correct = True
        wrong.save()
        for index, choice in enumerate(question.choices.all()):
            choice.text = f"Reworded {index}"
            choice.save()
    outcome = exam_attempt_submit(attempt=attempt, answers=answers)
    assert outcome.attempt.correct_count == 5
    assert outcome.attempt.passed


def test_grading_survives_the_bank_replacing_its_choices(attempt):
    answers = answers_for(attempt)
    exam_attempt_answer(attempt=attempt, answers=answers)
    Choice.objects.filter(question__exam=attempt.exam).delete()
    outcome = exam_attempt_submit(attempt=attempt)
    assert outcome.attempt.correct_count == 5
    assert not AttemptQuestion.objects.filter(selected_choice__isnull=False).exists()


def test_submitting_twice_grades_once(learner_client, attempt):
    url = attempt_url(attempt)
    learner_client.post(url, as_post(answers_for(attempt, correct=1)))
    attempt.refresh_from_db()
    first = (attempt.submitted_at, attempt.score, attempt.correct_count)
    response = learner_client.post(url, as_post(answers_for(attempt)), follow=True)
    assert "already submitted" in response.content.decode()
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score, attempt.correct_count) == first
    assert attempt.items.filter(is_correct=True).count() == 1


def test_a_second_submit_through_the_service_changes_nothing(attempt):
    first = exam_attempt_submit(
        attempt=attempt, answers=answers_for(attempt, correct=0)
    )
    second = exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert first.graded_now and not second.graded_now
    attempt.refresh_from_db()
    assert attempt.correct_count == 0
    with pytest.raises(AttemptClosed):
        exam_attempt_answer(attempt=attempt, answers=answers_for(attempt))


# --- Time limit -----------------------------------------------------------------


@pytest.fixture
def timed_attempt(user, module_exam, studied):
    module_exam.time_limit_minutes = 10
    module_exam.save()
    with time_machine.travel(timezone.now(), tick=False):
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    return attempt


def test_answers_after_the_deadline_are_refused(learner_client, timed_attempt):
    attempt = timed_attempt
    answers = answers_for(attempt)
    with time_machine.travel(attempt.deadline + timedelta(seconds=30), tick=False):
        with pytest.raises(TimeIsUp):
            exam_attempt_answer(attempt=attempt, answers=answers)
        response = learner_client.post(
            reverse("exams:answer", args=[attempt.pk]), as_post(answers)
        )
        assert response.status_code == 409
        assert "Time is up" in response.json()["error"]
    assert not attempt.items.exclude(selected_key="").exists()


def test_a_late_submit_grades_only_what_was_saved_in_time(
    learner_client, timed_attempt
):
    attempt = timed_attempt
    answers = answers_for(attempt)
    with time_machine.travel(attempt.deadline - timedelta(minutes=1), tick=False):
        exam_attempt_answer(attempt=attempt, answers={1: answers[1], 2: answers[2]})
    with time_machine.travel(attempt.deadline + timedelta(minutes=5), tick=False):
        # Posted straight from the page left open (coming back to it first grades
        # it: tests/exams/test_timing.py).
        response = learner_client.post(
            attempt_url(attempt), as_post(answers), follow=True
        )
    assert "not counted" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.correct_count == 2
    assert not attempt.passed


def test_an_answer_just_inside_the_grace_period_counts(timed_attempt):
    attempt = timed_attempt
    with time_machine.travel(attempt.deadline + timedelta(seconds=5), tick=False):
        outcome = exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert outcome.attempt.correct_count == 5
    assert not outcome.late_answers_ignored


@pytest.mark.parametrize(
    ("after_deadline", "on_time"),
    [(timedelta(seconds=10), True), (timedelta(seconds=11), False)],
    ids=["deadline+10s-on-time", "deadline+11s-late"],
)
def test_the_deadline_allowance_is_exactly_ten_seconds(
    timed_attempt, after_deadline, on_time
):
    attempt = timed_attempt
    answers = answers_for(attempt)
    with time_machine.travel(attempt.deadline - timedelta(minutes=1), tick=False):
        exam_attempt_answer(attempt=attempt, answers={1: answers[1]})
    moment = attempt.deadline + after_deadline
    with time_machine.travel(moment, tick=False):
        if on_time:
            assert exam_attempt_answer(attempt=attempt, answers={2: answers[2]}) == 1
        else:
            with pytest.raises(TimeIsUp):
                exam_attempt_answer(attempt=attempt, answers={2: answers[2]})
        outcome = exam_attempt_submit(attempt=attempt, answers=answers)
    assert outcome.graded_now
    assert outcome.late_answers_ignored is not on_time
    attempt.refresh_from_db()
    if on_time:
        assert attempt.correct_count == 5 and attempt.passed
        assert attempt.submitted_at == moment
    else:
        # Graded as of the deadline: only the answer saved in time counts.
        assert attempt.correct_count == 1 and not attempt.passed
        assert attempt.submitted_at == attempt.deadline


def test_an_answer_stamped_after_the_deadline_does_not_count(timed_attempt):
    """Whatever wrote it (another server's clock, a repair by hand), an answer saved
    after the deadline plus the allowance is not graded."""
    attempt = timed_attempt
    with time_machine.travel(attempt.deadline - timedelta(minutes=1), tick=False):
        exam_attempt_answer(attempt=attempt, answers=answers_for(attempt))
    cutoff = attempt.deadline + DEADLINE_GRACE
    attempt.items.filter(position=5).update(answered_at=cutoff + timedelta(seconds=1))
    attempt.items.filter(position=4).update(answered_at=cutoff)
    with time_machine.travel(attempt.deadline + timedelta(hours=1), tick=False):
        outcome = exam_attempt_submit(attempt=attempt)
    assert outcome.attempt.correct_count == 4
    assert list(
        attempt.items.order_by("position").values_list("is_correct", flat=True)
    ) == [True, True, True, True, False]


def test_every_saved_answer_records_when_it_was_saved(attempt):
    item = attempt.items.get(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttemptQuestion.objects.filter(pk=item.pk).update(
            selected_key=item.correct_key, answered_at=None
        )
    exam_attempt_answer(attempt=attempt, answers={1: item.correct_key})
    item.refresh_from_db()
    assert item.answered_at is not None


def test_starting_after_the_time_ran_out_grades_the_old_attempt_and_draws_anew(
    user, timed_attempt
):
    attempt = timed_attempt
    exam_attempt_answer(attempt=attempt, answers=answers_for(attempt, correct=1))
    with time_machine.travel(attempt.deadline + timedelta(hours=1), tick=False):
        # Back after the deadline, the learner has reviewed the module's lessons.
        open_lessons(attempt.enrollment)
        fresh, created = exam_attempt_start(user=user, exam=attempt.exam)
    assert created and fresh != attempt
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.correct_count == 1


def test_starting_after_the_time_ran_out_keeps_the_failed_grade_and_shows_it(
    user, timed_attempt
):
    attempt = timed_attempt
    exam_attempt_answer(attempt=attempt, answers=answers_for(attempt, correct=1))
    with time_machine.travel(attempt.deadline + timedelta(hours=1), tick=False):
        shown, created = exam_attempt_start(user=user, exam=attempt.exam)
    # The failure paces the retake (its lessons first): the graded attempt is
    # returned, its grade kept, and no new attempt is drawn.
    assert (shown, created) == (attempt, False)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.correct_count == 1
    assert Attempt.objects.count() == 1


# --- Results --------------------------------------------------------------------


def test_failed_result_shows_score_and_missed_counts_per_lesson_but_no_questions(
    learner_client, attempt
):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt, correct=2)))
    html = unescape(learner_client.get(attempt_url(attempt)).content.decode())
    assert "Not passed" in html
    assert "40%" in html and "2 of 5 correct" in html and "pass mark is 80%" in html
    lesson = attempt.exam.module.lessons.order_by("order").first()
    missed = attempt.items.filter(is_correct=False)
    assert missed.count() == 3
    assert f'href="/learn/bls/{lesson.module.slug}/{lesson.slug}/"' in html
    assert f"{lesson.title}</a>: 3 missed" in html
    for item in attempt.items.all():
        assert item.text_html not in html
        assert f"Question {item.position}" not in html
        assert item.topic not in html
    assert "shown only for an attempt you pass" in html
    assert "Correct answer" not in html and "<p>Because.</p>" not in html


def test_passed_result_reveals_answers_and_explanations(learner_client, attempt):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt, correct=4)))
    html = learner_client.get(attempt_url(attempt)).content.decode()
    assert "Passed" in html
    assert html.count("Correct answer") == 5
    assert html.count("Your answer") == 5
    assert html.count("<p>Because.</p>") == 5
    assert 'class="choice-incorrect"' in html


def test_a_failed_attempt_reveals_nothing_even_once_the_exam_is_passed(
    learner_client, user, attempt
):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt, correct=0)))
    assert (
        "Correct answer"
        not in learner_client.get(attempt_url(attempt)).content.decode()
    )
    ready_to_retake(user, attempt.exam)
    retake, _ = exam_attempt_start(user=user, exam=attempt.exam)
    exam_attempt_submit(attempt=retake, answers=answers_for(retake))
    # The pass reviews its own questions; the failed attempt stays counts only.
    assert "Correct answer" in learner_client.get(attempt_url(retake)).content.decode()
    failed = learner_client.get(attempt_url(attempt)).content.decode()
    assert "Correct answer" not in failed and "<p>Because.</p>" not in failed


def test_retake_after_a_fail_is_a_fresh_attempt(learner_client, user, attempt):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt, correct=0)))
    ready_to_retake(user, attempt.exam)
    response = learner_client.post(reverse("exams:start", args=[attempt.exam_id]))
    retake = Attempt.objects.exclude(pk=attempt.pk).get()
    assert response["Location"] == attempt_url(retake)
    assert retake.is_open and retake.items.count() == 5
    assert set(retake.items.values_list("question_id", flat=True)) != set(
        attempt.items.values_list("question_id", flat=True)
    )


def test_retake_after_a_pass_is_allowed_and_the_pass_stays(
    learner_client, user, attempt
):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt)))
    learner_client.post(reverse("exams:start", args=[attempt.exam_id]))
    retake = Attempt.objects.exclude(pk=attempt.pk).get()
    learner_client.post(attempt_url(retake), as_post(answers_for(retake, correct=0)))
    retake.refresh_from_db()
    assert retake.passed is False
    home = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "Passed" in home
    assert "Best 100% in 2 attempts" in home


def test_history_lists_every_attempt_with_dates_and_scores(
    learner_client, user, attempt
):
    exam = attempt.exam
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt, correct=1))
    ready_to_retake(user, exam)
    second, _ = exam_attempt_start(user=user, exam=exam)
    exam_attempt_submit(attempt=second, answers=answers_for(second))
    third, _ = exam_attempt_start(user=user, exam=exam)
    html = learner_client.get(reverse("exams:history", args=[exam.pk])).content.decode()
    assert html.count("<tr>") == 4  # header and three attempts
    assert "20%" in html and "100%" in html and "In progress" in html
    for row in (attempt, second, third):
        assert attempt_url(row) in html
    assert html.index(attempt_url(third)) < html.index(attempt_url(attempt))


def test_answers_are_hidden_while_a_retake_of_the_same_exam_is_open(
    learner_client, user, attempt
):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt)))
    first = learner_client.get(attempt_url(attempt)).content.decode()
    assert first.count("Correct answer") == 5
    retake, _ = exam_attempt_start(user=user, exam=attempt.exam)
    html = learner_client.get(attempt_url(attempt)).content.decode()
    assert "Passed" in html
    assert "Correct answer" not in html and "<p>Because.</p>" not in html
    assert "not shown while you have an attempt of this exam in progress" in html
    exam_attempt_submit(attempt=retake, answers=answers_for(retake, correct=0))
    html = learner_client.get(attempt_url(attempt)).content.decode()
    assert html.count("Correct answer") == 5


def test_answers_of_an_enrollment_whose_certificate_was_revoked_are_hidden(
    learner_client, user, staff, module_exam, final_exam, studied,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    passed, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=passed, answers=answers_for(passed))
    final, _ = exam_attempt_start(user=user, exam=final_exam)
    with django_capture_on_commit_callbacks(execute=True):
        exam_attempt_submit(attempt=final, answers=answers_for(final))
    certificate = Certificate.objects.get(enrollment=studied)
    for shown in (passed, final):
        assert (
            "Correct answer" in learner_client.get(attempt_url(shown)).content.decode()
        )
    certificate_revoke(certificate=certificate, by=staff, reason="Exam fraud")
    for hidden in (passed, final):
        html = learner_client.get(attempt_url(hidden)).content.decode()
        assert "Correct answer" not in html and "<p>Because.</p>" not in html
    # Enrolled again, the revoked enrollment's answers stay hidden; a pass in the new
    # enrollment shows its own.
    renewal = enrollment_create(user=user, course=module_exam.course)
    complete_lessons(renewal)
    again, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=again, answers=answers_for(again))
    assert "Correct answer" in learner_client.get(attempt_url(again)).content.decode()
    html = learner_client.get(attempt_url(passed)).content.decode()
    assert "Correct answer" not in html


def test_answers_of_an_earlier_pass_are_hidden_while_renewing(
    user, module_exam, final_exam, enrollment, django_capture_on_commit_callbacks
):
    """A renewing learner draws from the same bank: the previous pass's review must
    not be readable before the renewal's final (reviewer's finding)."""
    complete_lessons(enrollment)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    final, _ = exam_attempt_start(user=user, exam=final_exam)
    with django_capture_on_commit_callbacks(execute=True):
        exam_attempt_submit(attempt=final, answers=answers_for(final))
    final.refresh_from_db()
    assert attempt_result(attempt=final).reveal is True
    certificate = Certificate.objects.get(enrollment=enrollment)
    with time_machine.travel(certificate.expires_on - timedelta(days=30)):
        enrollment_create(user=user, course=final_exam.course)
        assert attempt_result(attempt=final).reveal is False
