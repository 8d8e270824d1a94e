"""The attempt page, autosave and submit run a fixed number of queries whatever the
number of questions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exams.services import exam_attempt_start
from tests.exams.conftest import answers_for, as_post, make_bank

pytestmark = pytest.mark.django_db

# session, user; attempt; its questions.
PAGE_QUERIES = 4
# session, user; attempt; questions (form); savepoint, lock, questions, update,
# release.
ANSWER_QUERIES = 9
# session, user; attempt; questions (form); savepoint, lock (with enrollment),
# questions, conditional update, bulk update, release.
SUBMIT_QUERIES = 10


@pytest.fixture(params=[10, 50], ids=["10-questions", "50-questions"])
def big_attempt(request, user, module_exam, studied):
    module_exam.draw_size = request.param
    module_exam.save()
    make_bank(module_exam, request.param)
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert attempt.question_count == request.param
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


def test_autosave_queries_do_not_grow_with_questions(
    learner_client, big_attempt, django_assert_num_queries
):
    url = reverse("exams:answer", args=[big_attempt.pk])
    payload = as_post(answers_for(big_attempt))
    with django_assert_num_queries(ANSWER_QUERIES):
        response = learner_client.post(url, payload)
    assert response.status_code == 204


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


def test_result_page_queries_do_not_grow_with_questions(
    learner_client, big_attempt, django_assert_num_queries
):
    url = reverse("exams:attempt", args=[big_attempt.pk])
    learner_client.post(url, as_post(answers_for(big_attempt, correct=0)))
    # session, user, attempt, questions with lessons, "passed this exam before?";
    # messages are read from the session (already loaded).
    with django_assert_num_queries(5):
        response = learner_client.get(url)
    assert response.content.decode().count("<tr>") == big_attempt.question_count + 1
