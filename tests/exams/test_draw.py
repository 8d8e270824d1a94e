"""Starting an attempt: the draw, the shuffle, the stored presentation."""

from __future__ import annotations

import pytest

from exams.models import Attempt, AttemptQuestion, Exam
from exams.services import ExamRefused, exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import complete_lessons, make_bank, ready_to_retake
from tests.factories import EnrollmentFactory, ExamFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _take(user, exam, clock=None) -> list[int]:
    """Starts and submits (blank) an attempt, after doing what a retake asks (the
    lessons to open, the cool-down waited out on `clock`); returns its question ids
    in order."""
    ready_to_retake(user, exam, clock)
    attempt, created = exam_attempt_start(user=user, exam=exam)
    assert created
    exam_attempt_submit(attempt=attempt)
    return list(
        attempt.items.order_by("position").values_list("question_id", flat=True)
    )


def test_draw_has_the_configured_size(user, module_exam, studied):
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert attempt.question_count == 5
    assert attempt.items.count() == 5
    assert list(attempt.items.values_list("position", flat=True).order_by("position")) == [
        1, 2, 3, 4, 5,
    ]  # fmt: skip


def test_without_a_draw_size_every_active_question_is_asked(user, module_exam, studied):
    module_exam.draw_size = None
    module_exam.save()
    retired = module_exam.questions.first()
    retired.is_active = False
    retired.save()
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    asked = set(attempt.items.values_list("question_id", flat=True))
    assert asked == set(
        module_exam.questions.filter(is_active=True).values_list("pk", flat=True)
    )
    assert retired.pk not in asked


def test_a_draw_larger_than_the_bank_asks_the_whole_bank(user, module_exam, studied):
    module_exam.draw_size = 50
    module_exam.save()
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert attempt.question_count == 8


def test_retakes_prefer_questions_not_yet_shown_until_the_bank_is_exhausted(
    user, module_exam, studied
):
    bank = set(module_exam.questions.values_list("pk", flat=True))
    first = _take(user, module_exam)
    second = _take(user, module_exam)
    # 8 questions, 5 per attempt: the second attempt asks the 3 never shown first.
    assert bank - set(first) <= set(second)
    assert set(first) | set(second) == bank
    # Now six questions were shown once and two twice: the third attempt draws
    # only from the six shown once.
    third = _take(user, module_exam)
    shown_twice = set(first) & set(second)
    assert len(shown_twice) == 2
    assert set(third) <= bank - shown_twice


def test_draws_differ_between_attempts_of_the_same_learner(
    user, module_exam, studied, clock
):
    module_exam.draw_size = 3
    module_exam.save()
    make_bank(module_exam, 22)  # 30 questions in all
    draws = {tuple(_take(user, module_exam, clock)) for _ in range(10)}
    assert len(draws) == 10
    # Ten draws of three cover all thirty questions exactly once.
    assert len({q for draw in draws for q in draw}) == 30


def test_different_learners_get_different_draws(module_exam, bls):
    make_bank(module_exam, 22)
    draws = set()
    for _ in range(5):
        enrollment = EnrollmentFactory(course=bls)
        complete_lessons(enrollment)
        attempt, _ = exam_attempt_start(user=enrollment.user, exam=module_exam)
        draws.add(tuple(attempt.items.values_list("question_id", flat=True)))
    assert len(draws) == 5


def test_questions_and_choices_are_shuffled(user, module_exam, studied, clock):
    module_exam.draw_size = None
    module_exam.save()
    question_orders, correct_positions = set(), set()
    for _ in range(8):
        ready_to_retake(user, module_exam, clock)
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        items = list(attempt.items.order_by("position"))
        question_orders.add(tuple(item.question_id for item in items))
        for item in items:
            correct_positions.add([c["correct"] for c in item.choices].index(True))
        exam_attempt_submit(attempt=attempt)
    assert len(question_orders) > 1
    # The correct choice, created first in every question, lands everywhere.
    assert correct_positions == {0, 1, 2, 3}


def test_shuffle_off_keeps_the_bank_order_of_questions_but_not_of_choices(
    user, module_exam, studied, clock
):
    module_exam.shuffle = False
    module_exam.draw_size = None
    module_exam.save()
    bank_order = list(
        module_exam.questions.order_by("order").values_list("pk", flat=True)
    )
    correct_positions = set()
    for _ in range(6):
        ready_to_retake(user, module_exam, clock)
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        items = list(attempt.items.order_by("position"))
        assert [item.question_id for item in items] == bank_order
        correct_positions |= {
            [c["correct"] for c in item.choices].index(True) for item in items
        }
        exam_attempt_submit(attempt=attempt)
    assert len(correct_positions) > 1


def test_the_presentation_is_stored_with_random_keys_and_one_correct_choice(
    user, module_exam, studied
):
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    keys = []
    for item in attempt.items.select_related("question"):
        question = item.question
        assert item.text_html == question.text_html
        assert item.topic == question.topic
        assert sorted(c["text"] for c in item.choices) == sorted(
            question.choices.values_list("text", flat=True)
        )
        assert sum(c["correct"] for c in item.choices) == 1
        keys += item.keys
    assert len(set(keys)) == len(keys) == 20
    choice_ids = {
        str(pk) for pk in module_exam.questions.values_list("choices", flat=True)
    }
    assert not choice_ids & set(keys)
    assert all(len(key) >= 8 for key in keys)


def test_the_deadline_is_the_start_plus_the_time_limit(user, module_exam, studied):
    module_exam.time_limit_minutes = 20
    module_exam.save()
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    assert (attempt.deadline - attempt.started_at).total_seconds() == 20 * 60
    assert attempt.pass_mark == 80


def test_starting_again_while_open_resumes_the_same_attempt(user, module_exam, studied):
    first, created = exam_attempt_start(user=user, exam=module_exam)
    again, created_again = exam_attempt_start(user=user, exam=module_exam)
    assert created and not created_again
    assert again == first
    assert Attempt.objects.count() == 1
    assert AttemptQuestion.objects.count() == 5


def test_an_exam_without_active_questions_cannot_start(user, bls, studied):
    exam = ExamFactory(course=bls, module=bls.modules.get(), kind=Exam.Kind.MODULE)
    QuestionFactory(exam=exam, is_active=False)
    with pytest.raises(ExamRefused, match="no questions"):
        exam_attempt_start(user=user, exam=exam)
    assert not Attempt.objects.exists()
