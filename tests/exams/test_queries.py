"""The exam start, the attempt page, autosave, submit and the result run a fixed
number of queries whatever the number of questions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, as_post, make_bank, ready_to_retake

pytestmark = pytest.mark.django_db

# Every page: the user; the session comes from the cache (core.sessions).
# user; attempt; its questions.
PAGE_QUERIES = 3
# user; savepoint, the attempt (locked, the owner's), the questions the post names
# (read once: issue 19), update, release.
ANSWER_QUERIES = 6
# One answer as exam.js sends it, on PostgreSQL: the user; one statement that locks
# the attempt, checks it and saves (exams.services.answers._answer_one).
ONE_ANSWER_QUERIES_POSTGRESQL = 2
# user; attempt; questions (form); savepoint, lock (with enrollment),
# questions, conditional update, bulk update; a fail: the enrollments' mark for
# lesson openings (courses.services.enrollment_failure_record); the statistics
# counters (the learner's earlier attempts, then one upsert each: exam, questions,
# choices, pairs); release.
SUBMIT_QUERIES = 15


def saved_answers(attempt) -> dict[int, str]:
    return dict(
        attempt.items.exclude(selected_key="").values_list("position", "selected_key")
    )


@pytest.fixture(params=[10, 50], ids=["10-questions", "50-questions"])
def big_attempt(request, user, module_exam, studied, warm_outline):
    module_exam.draw_size = request.param
    module_exam.save()
    make_bank(module_exam, request.param)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert attempt.question_count == request.param
    warm_outline()
    return attempt


def test_attempt_page_queries_do_not_grow_with_questions(
    learner_client, big_attempt, django_assert_num_queries
):
    url = reverse("exams:attempt", args=[big_attempt.pk])
    learner_client.post(
        reverse("exams:answer", args=[big_attempt.pk]),
        as_post(answers_for(big_attempt)),
    )
    with django_assert_num_queries(PAGE_QUERIES):
        response = learner_client.get(url)
    assert response.content.decode().count(" checked") == big_attempt.question_count


@pytest.mark.parametrize("answered", ["every question", "one question"])
def test_autosave_queries_do_not_grow_with_questions(
    learner_client, big_attempt, django_assert_num_queries, answered
):
    url = reverse("exams:answer", args=[big_attempt.pk])
    answers = answers_for(big_attempt)
    expected = ANSWER_QUERIES
    if answered == "one question":  # what exam.js sends as an answer is chosen
        answers = dict([next(iter(answers.items()))])
        if connection.vendor == "postgresql":
            expected = ONE_ANSWER_QUERIES_POSTGRESQL
    with django_assert_num_queries(expected):
        response = learner_client.post(url, as_post(answers))
    assert response.status_code == 204
    assert saved_answers(big_attempt) == answers


def test_submit_queries_do_not_grow_with_questions(
    learner_client, big_attempt, django_assert_num_queries
):
    url = reverse("exams:attempt", args=[big_attempt.pk])
    payload = as_post(answers_for(big_attempt, correct=1))
    with django_assert_num_queries(SUBMIT_QUERIES):
        response = learner_client.post(url, payload)
    assert response.status_code == 302
    big_attempt.refresh_from_db()
    assert big_attempt.correct_count == 1


# user; the failed attempt; missed items per lesson; the pacing: the
# learner's attempts, the lessons the missed items name with their openings;
# messages are read from the session (already loaded).
FAILED_RESULT_QUERIES = 5
# user; the attempt; missed items per lesson; its questions; the reveal
# rule (revoked certificate or a retake open?); the up-next step it leads with
# (issue 15, courses.steps: completed lessons, this enrollment's attempts; the
# modules, lessons, exams and case simulations come from the cached outline, issue
# 19).
PASSED_RESULT_QUERIES = 7
# user; the exam (with course); savepoint; prerequisites; the enrollment;
# open attempt (locked); the unlock rule (completed lessons, attempts summary; the
# modules, lessons and exams are the cached outline's); the pacing (the learner's
# attempts); the draw (times shown, bank, choices); savepoint, attempt, release;
# bulk insert of its questions; release.
START_QUERIES = 17


@pytest.mark.parametrize("size", [10, 50])
def test_start_queries_do_not_grow_with_questions(
    learner_client,
    user,
    module_exam,
    studied,
    size,
    django_assert_num_queries,
    warm_outline,
):
    module_exam.draw_size = size
    module_exam.save()
    make_bank(module_exam, size)
    warm_outline()
    url = reverse("exams:start", args=[module_exam.pk])
    with django_assert_num_queries(START_QUERIES):
        response = learner_client.post(url)
    assert response.status_code == 302
    assert module_exam.attempts.get().question_count == size


@pytest.mark.parametrize("size", [10, 50])
def test_retake_start_queries_do_not_grow_with_questions(
    learner_client,
    user,
    module_exam,
    studied,
    size,
    django_assert_num_queries,
    warm_outline,
):
    module_exam.draw_size = size
    module_exam.save()
    make_bank(module_exam, size, lesson=module_exam.module.lessons.first())
    warm_outline()
    failed, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=failed, answers={})
    ready_to_retake(user, module_exam)
    url = reverse("exams:start", args=[module_exam.pk])
    # The first start's queries, and the pacing's second: the lessons the failure
    # names, with their openings.
    with django_assert_num_queries(START_QUERIES + 1):
        response = learner_client.post(url)
    assert response.status_code == 302
    assert module_exam.attempts.count() == 2


@pytest.mark.parametrize("passed", [False, True], ids=["failed", "passed"])
def test_result_page_queries_do_not_grow_with_questions(
    learner_client, big_attempt, passed, django_assert_num_queries
):
    url = reverse("exams:attempt", args=[big_attempt.pk])
    correct = big_attempt.question_count if passed else 0
    learner_client.post(url, as_post(answers_for(big_attempt, correct=correct)))
    expected = PASSED_RESULT_QUERIES if passed else FAILED_RESULT_QUERIES
    with django_assert_num_queries(expected):
        response = learner_client.get(url)
    page = response.content.decode()
    assert page.count('class="question"') == (big_attempt.question_count * passed)
