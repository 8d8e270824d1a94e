"""Psychometrics for staff (issue 12): KR-20 per exam against hand-computed values,
flags from 30 responses, the per-topic view, and a query count that does not grow
with the bank."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptQuestion, Exam
from exams.selectors import MIN_ANSWERS_TO_FLAG, exam_statistics
from exams.services import exam_tallies_add_graded
from tests.factories import EnrollmentFactory, ExamFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _exam(bls, keys: str, *, topics: dict[str, str] | None = None) -> Exam:
    exam = ExamFactory(course=bls, title="Crafted exam", pass_mark=50)
    for key in keys:
        QuestionFactory(exam=exam, key=key, topic=(topics or {}).get(key, "T"))
    return exam


def _craft(exam: Exam, bls, responses: list[dict[str, int]]) -> None:
    """One submitted attempt per entry: {question key: 1 right / 0 wrong}, in the
    order presented; questions not named were not presented. Each attempt has its
    own learner."""
    questions = {q.key: q for q in exam.questions.all()}
    now = timezone.now()
    for n, answers in enumerate(responses):
        enrollment = EnrollmentFactory(course=bls)
        correct = sum(answers.values())
        attempt = Attempt.objects.create(
            user=enrollment.user,
            exam=exam,
            enrollment=enrollment,
            status=Attempt.Status.SUBMITTED,
            started_at=now - timedelta(minutes=n + 5),
            submitted_at=now - timedelta(minutes=n),
            pass_mark=exam.pass_mark,
            question_count=len(answers),
            correct_count=correct,
            score=Decimal(100 * correct) / Decimal(len(answers)),
            passed=correct * 100 >= exam.pass_mark * len(answers),
        )
        items = AttemptQuestion.objects.bulk_create(
            AttemptQuestion(
                attempt=attempt,
                question=questions[key],
                position=position,
                text_html=questions[key].text_html,
                topic=questions[key].topic,
                choices=[
                    {"key": "r", "text": "Right", "correct": True, "choice": None},
                    {"key": "w", "text": "Wrong", "correct": False, "choice": None},
                ],
                selected_key="r" if right else "w",
                answered_at=now,
                is_correct=bool(right),
            )
            for position, (key, right) in enumerate(answers.items(), start=1)
        )
        # Counted as grading counts an attempt.
        exam_tallies_add_graded(attempt=attempt, items=items)


# Six learners, four questions, every attempt presents all four (a fixed form).
FIXED_FORM = [
    {"a": 1, "b": 1, "c": 1, "d": 1},  # 4
    {"a": 1, "b": 1, "c": 1, "d": 0},  # 3
    {"a": 1, "b": 1, "c": 0, "d": 0},  # 2
    {"a": 1, "b": 0, "c": 1, "d": 0},  # 2
    {"a": 0, "b": 1, "c": 0, "d": 0},  # 1
    {"a": 1, "b": 0, "c": 0, "d": 0},  # 1
]


def test_kr20_of_a_fixed_form_is_the_textbook_value(bls):
    """p = 5/6, 4/6, 3/6, 1/6; sum of p*q = (5 + 8 + 9 + 5)/36 = 3/4. Scores 4, 3,
    2, 2, 1, 1: mean 13/6, variance 35/6 - 169/36 = 41/36. KR-20 = 4/3 * (1 -
    (3/4) / (41/36)) = 4/3 * 14/41 = 56/123."""
    exam = _exam(bls, "abcd")
    _craft(exam, bls, FIXED_FORM)
    assert exam_statistics(exam=exam).reliability == pytest.approx(
        float(Fraction(56, 123)), abs=1e-12
    )


# Six learners, three of four questions each (a blueprint-style draw).
VARIABLE_DRAWS = [
    {"a": 1, "b": 1, "c": 1},
    {"a": 1, "b": 0, "d": 1},
    {"b": 0, "c": 0, "d": 0},
    {"a": 1, "c": 1, "d": 0},
    {"a": 0, "b": 1, "c": 0},
    {"b": 1, "c": 1, "d": 1},
]


def test_kr20_over_different_draws_uses_each_questions_own_responses(bls):
    """Facility among those who saw each question: a 3/4, b 3/5, c 3/5, d 2/4.
    Sum of n*p*q = 4*3/16 + 5*6/25 + 5*6/25 + 4*1/4 = 83/20. Scores centred on the
    questions each attempt drew (x - p summed): 21/20, 3/20, -17/10, 3/20, -19/20,
    13/10, whose squares sum to 663/100. k = 18/6 = 3. KR-20 = 3/2 * (1 - (83/20 /
    6) / (663/100 / 6)) = 3/2 * 248/663 = 124/221."""
    exam = _exam(bls, "abcd")
    _craft(exam, bls, VARIABLE_DRAWS)
    assert exam_statistics(exam=exam).reliability == pytest.approx(
        float(Fraction(124, 221)), abs=1e-12
    )


def test_kr20_needs_two_attempts_and_a_spread(bls):
    exam = _exam(bls, "ab")
    _craft(exam, bls, [{"a": 1, "b": 0}])
    assert exam_statistics(exam=exam).reliability is None
    _craft(exam, bls, [{"a": 1, "b": 0}])  # the same again: centred scores all 0
    assert exam_statistics(exam=exam).reliability is None


def _flag_data(n: int) -> list[dict[str, int]]:
    """`n` attempts: E always right (facility 1); G1 and G2 right together for the
    first half, wrong for the second (they discriminate); L right in 7 of the first
    15 and 8 of the second 15 (facility 1/2, no relation to the rest)."""
    rows = []
    for i in range(n):
        strong = i < 15
        weak_index = i - 15
        low = i < 7 if strong else weak_index < 8
        rows.append(
            {
                "E": 1,
                "G1": int(strong),
                "G2": int(strong),
                "L": int(low),
            }
        )
    return rows


def test_items_are_flagged_from_30_responses_not_29(bls):
    assert MIN_ANSWERS_TO_FLAG == 30
    exam = _exam(bls, ["E", "G1", "G2", "L"])
    data = _flag_data(30)
    _craft(exam, bls, data[:29])
    by_key = {s.question.key: s for s in exam_statistics(exam=exam).questions}
    assert by_key["E"].answers == 29
    assert by_key["E"].facility == 1.0
    assert by_key["L"].discrimination < 0.15
    assert all(stat.flags == [] for stat in by_key.values())

    _craft(exam, bls, data[29:])
    by_key = {s.question.key: s for s in exam_statistics(exam=exam).questions}
    assert by_key["E"].answers == 30
    assert by_key["E"].flags == ["Very easy"]  # facility above 0.95
    assert by_key["L"].discrimination < 0.15
    assert by_key["L"].flags == ["Low discrimination"]
    assert by_key["G1"].discrimination > 0.15
    assert by_key["G1"].flags == by_key["G2"].flags == []


def test_discrimination_just_at_the_bound_is_not_flagged():
    from exams.selectors import QuestionStat

    stat = QuestionStat(question=None, answers=30, correct=15, discrimination=0.15)
    assert stat.flags == []
    stat.discrimination = 0.1499
    assert stat.flags == ["Low discrimination"]
    stat.discrimination, stat.correct = 0.5, 29  # 29/30 = 0.967 > 0.95
    assert stat.flags == ["Very easy"]
    stat.correct = 28  # 0.933
    assert stat.flags == []


def test_the_topic_view_counts_questions_responses_and_mean_facility(bls):
    exam = _exam(
        bls, "abcd", topics={"a": "CPR", "b": "CPR", "c": "AED", "d": "Airway"}
    )
    exam.questions.filter(key="d").update(is_active=False)
    exam.blueprint = {"by": "topic", "quotas": {"CPR": 1, "AED": 1}}
    exam.save()
    _craft(exam, bls, VARIABLE_DRAWS)
    topics = {t.topic: t for t in exam_statistics(exam=exam).topics}
    assert list(topics) == ["AED", "Airway", "CPR"]
    cpr, aed, airway = topics["CPR"], topics["AED"], topics["Airway"]
    assert (cpr.items, cpr.active_items, cpr.responses, cpr.quota) == (2, 2, 9, 1)
    # Mean of a's 3/4 and b's 3/5.
    assert cpr.mean_facility == pytest.approx((0.75 + 0.6) / 2)
    assert (aed.items, aed.responses, aed.quota) == (1, 5, 1)
    assert aed.mean_facility == pytest.approx(0.6)
    assert (airway.items, airway.active_items, airway.quota) == (1, 0, None)


def test_the_statistics_page_shows_reliability_topics_and_flags(staff_client, bls):
    exam = _exam(bls, ["E", "G1", "G2", "L"])
    _craft(exam, bls, _flag_data(30))
    page = html.unescape(
        staff_client.get(reverse("exams:statistics", args=[exam.pk])).content.decode()
    )
    stats = exam_statistics(exam=exam)
    assert "Reliability (KR-20)" in page
    assert f"{stats.reliability:.2f}" in page
    assert 'id="topics-title"' in page
    assert "Very easy" in page and "Low discrimination" in page
    assert "need at least 30 responses" in page


@pytest.mark.parametrize("size", [10, 50], ids=["10-questions", "50-questions"])
def test_statistics_queries_do_not_grow_with_questions(
    staff_client, bls, size, django_assert_num_queries
):
    keys = [f"k{i}" for i in range(size)]
    exam = _exam(bls, keys, topics={k: f"Topic {i % 7}" for i, k in enumerate(keys)})
    _craft(
        exam,
        bls,
        [{k: (i + j) % 3 != 0 for j, k in enumerate(keys)} for i in range(4)],
    )
    with django_assert_num_queries(7):
        stats = exam_statistics(exam=exam)
    assert len(stats.questions) == size and stats.reliability is not None
    # The page: user (the session comes from the cache), the staff member's authenticator and TOTP check
    # (accounts.selectors.staff_verified), exam, then the same seven.
    with django_assert_num_queries(11):
        response = staff_client.get(reverse("exams:statistics", args=[exam.pk]))
    assert response.status_code == 200
