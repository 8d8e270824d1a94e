"""The pass rule in words: "You may miss up to 2 of 10 questions and still pass.",
computed from the draw size and the pass mark exactly as grading decides (issue 12)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from exams.models import Exam
from exams.selectors import (
    correct_needed,
    exam_draw_count,
    may_miss_sentence,
    misses_allowed,
)
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, make_bank

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("questions", "pass_mark", "needed", "allowed"),
    [
        (10, 80, 8, 2),  # module quizzes
        (25, 84, 21, 4),  # 84% of 25 is exactly 21
        (20, 84, 17, 3),  # 16.8 rounds up
        (46, 84, 39, 7),  # 38.64 rounds up (today's ACLS final)
        (9, 80, 8, 1),  # 7.2 rounds up (a module bank of 9)
        (5, 84, 5, 0),  # the old module quiz: no mistake allowed
        (50, 84, 42, 8),
    ],
)
def test_the_questions_needed_are_the_pass_mark_rounded_up(
    questions, pass_mark, needed, allowed
):
    assert correct_needed(questions=questions, pass_mark=pass_mark) == needed
    assert misses_allowed(questions=questions, pass_mark=pass_mark) == allowed


def test_the_sentences():
    assert (
        may_miss_sentence(questions=10, pass_mark=80)
        == "You may miss up to 2 of 10 questions and still pass."
    )
    assert (
        may_miss_sentence(questions=25, pass_mark=84)
        == "You may miss up to 4 of 25 questions and still pass."
    )
    assert (
        may_miss_sentence(questions=5, pass_mark=84)
        == "You must answer all 5 questions correctly to pass."
    )


@pytest.mark.parametrize(("size", "pass_mark"), [(10, 80), (25, 84)])
def test_missing_the_allowed_number_passes_and_one_more_fails(
    user, module_exam, studied, size, pass_mark
):
    """The sentence is grading's rule: checked against exam_attempt_submit."""
    module_exam.draw_size, module_exam.pass_mark = size, pass_mark
    module_exam.save()
    make_bank(module_exam, size)
    allowed = misses_allowed(questions=size, pass_mark=pass_mark)
    for missed, passes in ((allowed, True), (allowed + 1, False)):
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        assert attempt.question_count == size
        outcome = exam_attempt_submit(
            attempt=attempt, answers=answers_for(attempt, correct=size - missed)
        )
        assert outcome.attempt.passed is passes, (missed, passes)


def test_the_course_home_says_how_many_may_be_missed_before_starting(
    learner_client, module_exam, final_exam, studied
):
    module_exam.draw_size = 10
    module_exam.save()
    make_bank(module_exam, 4)  # 12 questions, 10 drawn at 80%
    # The final: 4 drawn from 6 at 75%: 3 needed, 1 may be missed.
    page = html.unescape(
        learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    )
    assert "You may miss up to 2 of 10 questions and still pass." in page
    assert "You may miss up to 1 of 4 questions and still pass." in page


def test_a_draw_larger_than_the_bank_counts_the_questions_it_can_ask(
    learner_client, module_exam, studied
):
    module_exam.draw_size = 10  # 8 in the bank: 8 asked at 80%, 7 needed
    module_exam.save()
    page = html.unescape(
        learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    )
    assert "You may miss up to 1 of 8 questions and still pass." in page


def test_the_attempt_page_says_how_many_may_be_missed(
    learner_client, module_exam, studied
):
    module_exam.draw_size, module_exam.pass_mark = 25, 84
    module_exam.save()
    make_bank(module_exam, 17)
    attempt, _ = exam_attempt_start(user=learner_client.user, exam=module_exam)
    page = html.unescape(
        learner_client.get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
    )
    assert "You may miss up to 4 of 25 questions and still pass." in page


def test_the_draw_count_follows_the_blueprint_then_the_draw_size_then_the_bank():
    exam = Exam(draw_size=5, blueprint={"by": "topic", "quotas": {"A": 6, "B": 4}})
    assert exam_draw_count(exam=exam, active_questions=30) == 10
    assert exam_draw_count(exam=exam, active_questions=8) == 8
    exam.blueprint = {}
    assert exam_draw_count(exam=exam, active_questions=30) == 5
    exam.draw_size = None
    assert exam_draw_count(exam=exam, active_questions=30) == 30
