"""Exam statistics on a small data set worked out by hand."""

from __future__ import annotations

import statistics

import pytest
from django.urls import reverse

from exams.selectors import exam_statistics
from exams.services import exam_attempt_answer, exam_attempt_start, exam_attempt_submit
from tests.factories import (
    EnrollmentFactory,
    ExamFactory,
    QuestionFactory,
    login_with_mfa,
)

pytestmark = pytest.mark.django_db

# Each learner's attempts: the choice text picked per question (None: unanswered).
ATTEMPTS = [
    ("ann", {"s0": "Right", "s1": "Right", "s2": "Right"}),  # 3/3 pass
    ("ben", {"s0": "Right", "s1": "Right", "s2": "Wrong A"}),  # 2/3 pass
    ("cat", {"s0": "Right", "s1": "Wrong A", "s2": "Wrong B"}),  # 1/3 fail
    ("cat", {"s0": "Right", "s1": "Right", "s2": "Wrong B"}),  # 2/3 pass, 2nd try
    ("dan", {"s0": "Wrong A", "s1": None, "s2": "Wrong A"}),  # 0/3 fail
]


@pytest.fixture
def exam(bls):
    exam = ExamFactory(course=bls, title="Stats exam", pass_mark=50)
    for i in range(3):
        QuestionFactory(exam=exam, key=f"s{i}")
    return exam


def _take(user, exam, picks: dict[str, str | None]) -> None:
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = {}
    for item in attempt.items.select_related("question"):
        text = picks[item.question.key]
        if text is not None:
            answers[item.position] = next(
                c["key"] for c in item.choices if c["text"] == text
            )
    exam_attempt_submit(attempt=attempt, answers=answers)


@pytest.fixture
def taken(exam, bls):
    learners = {}
    for name, picks in ATTEMPTS:
        if name not in learners:
            learners[name] = EnrollmentFactory(course=bls).user
        _take(learners[name], exam, picks)
    # Dan has a new attempt open, with one answer saved: in progress, not counted.
    open_attempt, _ = exam_attempt_start(user=learners["dan"], exam=exam)
    item = open_attempt.items.first()
    exam_attempt_answer(attempt=open_attempt, answers={item.position: item.keys[0]})
    return learners


def _expected_discrimination(key: str) -> float:
    """Point-biserial of question `key` against the rest score, the textbook way."""
    x, y = [], []
    for _, picks in ATTEMPTS:
        right = {k: picks[k] == "Right" for k in picks}
        x.append(1.0 if right[key] else 0.0)
        y.append((sum(right.values()) - right[key]) / (len(picks) - 1))
    return statistics.correlation(x, y)


def test_exam_figures(exam, taken, django_assert_max_num_queries):
    # Six aggregates and one streamed pass over the responses for KR-20.
    with django_assert_max_num_queries(7):
        stats = exam_statistics(exam=exam)
    assert stats.attempts == 5
    assert stats.passed == 3
    assert stats.pass_rate == pytest.approx(0.6)
    assert stats.in_progress == 1
    assert stats.learners == 4
    assert stats.learners_passed == 3
    # Ann 1, Ben 1, Cat 2 attempts to her first pass; Dan never passed.
    assert stats.average_attempts_to_pass == pytest.approx(4 / 3)
    # (100 + 66.67 + 33.33 + 66.67 + 0) / 5
    assert float(stats.average_score) == pytest.approx(53.334)


def test_question_facility_and_choice_distribution(exam, taken):
    by_key = {s.question.key: s for s in exam_statistics(exam=exam).questions}
    assert [(s.answers, s.correct, s.unanswered) for s in by_key.values()] == [
        (5, 4, 0),
        (5, 3, 1),
        (5, 1, 0),
    ]
    assert by_key["s0"].facility == pytest.approx(0.8)
    assert by_key["s1"].facility == pytest.approx(0.6)
    assert by_key["s2"].facility == pytest.approx(0.2)
    picked = {
        key: {c.text: c.picked for c in stat.choices} for key, stat in by_key.items()
    }
    assert picked == {
        "s0": {"Right": 4, "Wrong A": 1, "Wrong B": 0, "Wrong C": 0},
        "s1": {"Right": 3, "Wrong A": 1, "Wrong B": 0, "Wrong C": 0},
        "s2": {"Right": 1, "Wrong A": 2, "Wrong B": 2, "Wrong C": 0},
    }
    # Shares are of the answers given: s1 had four answers.
    assert [c.share_percent for c in by_key["s1"].choices] == [75, 25, 0, 0]
    assert [c.is_correct for c in by_key["s2"].choices] == [True, False, False, False]


def test_question_discrimination_is_the_point_biserial_against_the_rest_score(
    exam, taken
):
    by_key = {s.question.key: s for s in exam_statistics(exam=exam).questions}
    for key in ("s0", "s1", "s2"):
        assert by_key[key].discrimination == pytest.approx(
            _expected_discrimination(key), abs=1e-9
        )
    # Getting s0 right goes with doing well on the rest: it discriminates.
    assert by_key["s0"].discrimination > 0.5


def test_an_exam_nobody_took_has_empty_figures(exam):
    stats = exam_statistics(exam=exam)
    assert stats.attempts == 0 and stats.pass_rate is None
    assert stats.average_attempts_to_pass is None
    assert all(
        s.answers == 0 and s.facility is None and s.discrimination is None
        for s in stats.questions
    )


def test_statistics_page_is_for_staff_only(client, user, staff, exam, taken):
    url = reverse("exams:statistics", args=[exam.pk])
    assert client.get(url).status_code == 302
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    login_with_mfa(client, staff)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "60% (3 of 5)" in html
    assert "1.33" in html
    for key in ("s0", "s1", "s2"):
        assert key in html
    assert "No answer: 1" in html


def test_exam_admin_links_to_the_statistics(staff_client, exam):
    html = staff_client.get(reverse("admin:exams_exam_change", args=[exam.pk]))
    assert reverse("exams:statistics", args=[exam.pk]) in html.content.decode()


def _question_keys_in_order(html: str) -> list[str]:
    import re

    return re.findall(r'<span class="muted small">(s\d+|bank-\d+)</span>', html)


def test_statistics_page_shows_each_question_s_text_not_only_its_id(
    staff_client, exam, taken
):
    first = exam.questions.get(key="s0")
    first.text_md = "How deep are chest compressions on an adult?"
    first.save(update_fields=["text_md"])
    html = staff_client.get(reverse("exams:statistics", args=[exam.pk])).content
    assert "How deep are chest compressions on an adult?" in html.decode()


def test_statistics_questions_sort_by_any_column_both_ways(staff_client, exam, taken):
    url = reverse("exams:statistics", args=[exam.pk])
    # Facility: s0 4/5, s1 3/5, s2 1/5.
    html = staff_client.get(url, {"sort": "facility"}).content.decode()
    assert _question_keys_in_order(html) == ["s2", "s1", "s0"]
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-facility"' in html  # the same heading reverses it
    html = staff_client.get(url, {"sort": "-facility"}).content.decode()
    assert _question_keys_in_order(html) == ["s0", "s1", "s2"]
    assert 'aria-sort="descending"' in html
    # An unknown column is the bank order.
    html = staff_client.get(url, {"sort": "password"}).content.decode()
    assert _question_keys_in_order(html) == ["s0", "s1", "s2"]


def test_statistics_questions_come_in_pages_of_25(
    staff_client, bls, django_assert_max_num_queries
):
    exam = ExamFactory(course=bls, title="Big bank", pass_mark=50)
    for i in range(30):
        QuestionFactory(exam=exam, key=f"bank-{i:02d}", order=i)
    url = reverse("exams:statistics", args=[exam.pk])
    first = staff_client.get(url).content.decode()
    assert len(_question_keys_in_order(first)) == 25
    assert "Questions 1 to 25 of 30" in first
    assert 'rel="next"' in first
    second = staff_client.get(url, {"page": 2, "sort": "-order"}).content.decode()
    assert _question_keys_in_order(second) == [
        f"bank-{i:02d}" for i in range(4, -1, -1)
    ]
    # Out of range: the last page, not an error.
    assert staff_client.get(url, {"page": 99}).status_code == 200
    assert staff_client.get(url, {"page": "x"}).status_code == 200


def test_statistics_keep_the_sort_when_the_page_number_is_bad(
    staff_client, exam, taken
):
    url = reverse("exams:statistics", args=[exam.pk])
    # Facility ascending: s2 1/5, s1 3/5, s0 4/5; a bad page is the first page.
    for page in ("x", "0", "-3"):
        html = staff_client.get(url, {"sort": "facility", "page": page}).content
        assert _question_keys_in_order(html.decode()) == ["s2", "s1", "s0"], page
