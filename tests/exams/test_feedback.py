"""Feedback that teaches without leaking: a failed result names the lessons to review
and how many items each missed, never which positions, questions or choices; a pass
reviews that attempt's own questions, and nothing shows an item the learner was not
given."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from exams.models import Attempt, Exam
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import as_post, ready_to_retake
from tests.factories import ExamFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_lesson_exam(bls) -> Exam:
    """A module exam asking all 8 items of its bank: 4 taught by each lesson, each
    item with its own stem, topic line and choices."""
    first, second = bls.lessons.order_by("order")
    exam = ExamFactory(
        course=bls,
        module=bls.modules.get(),
        kind=Exam.Kind.MODULE,
        title="Adult CPR quiz",
        pass_mark=80,
        draw_size=None,
    )
    for i in range(8):
        QuestionFactory(
            exam=exam,
            key=f"cpr-item-{i}",
            text_md=f"Stem number {i} about a rescue?",
            topic=f"Fine-grained topic {i}",
            explanation_md=f"Explanation {i}.",
            review_lesson=first if i < 4 else second,
            choices=[f"Keyed {i}", f"Distractor {i} A", f"Distractor {i} B"],
        )
    return exam


def _answers(attempt: Attempt, *, miss: set[str]) -> dict[int, str]:
    """Every item answered: wrong for the question keys in `miss`, right otherwise."""
    answers = {}
    for item in attempt.items.select_related("question"):
        wrong = next(c["key"] for c in item.choices if not c["correct"])
        answers[item.position] = (
            wrong if item.question.key in miss else item.correct_key
        )
    return answers


def _fail(client, attempt: Attempt, miss: set[str]) -> str:
    url = reverse("exams:attempt", args=[attempt.pk])
    client.post(url, as_post(_answers(attempt, miss=miss)))
    return client.get(url).content.decode()


def _normalised(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_failed_result_lists_lessons_and_counts_only(
    learner_client, user, two_lesson_exam, studied
):
    attempt, _ = exam_attempt_start(user=user, exam=two_lesson_exam)
    missed = {"cpr-item-0", "cpr-item-1", "cpr-item-5"}
    page = unescape(_fail(learner_client, attempt, missed))
    first, second = two_lesson_exam.course.lessons.order_by("order")
    # Structurally: the "To review" list holds one entry per lesson, with a count.
    section = page.split("data-review-topics>")[1].split("</ul>")[0]
    entries = re.findall(r"<li>(.*?)</li>", section, re.S)
    assert [re.sub(r"<[^>]+>", "", e).strip() for e in entries] == [
        f"{first.title}: 2 missed",
        f"{second.title}: 1 missed",
    ]
    assert "5 of 8 correct" in page
    for item in attempt.items.select_related("question"):
        question = item.question
        assert question.text_md not in page
        assert question.topic not in page
        assert question.key not in page
        assert f"Explanation {question.key[-1]}" not in page
        for choice in item.choices:
            assert choice["key"] not in page
            assert choice["text"] not in page
    for position in range(1, 9):
        assert f"Question {position}" not in page
        assert f"review-{position}" not in page
        assert f'name="q{position}"' not in page


def test_attempts_that_missed_different_items_of_the_same_lessons_look_the_same(
    learner_client, user, two_lesson_exam, studied, clock
):
    first, _ = exam_attempt_start(user=user, exam=two_lesson_exam)
    _fail(learner_client, first, {"cpr-item-0", "cpr-item-4", "cpr-item-5"})
    ready_to_retake(user, two_lesson_exam, clock)
    second, _ = exam_attempt_start(user=user, exam=two_lesson_exam)
    _fail(learner_client, second, {"cpr-item-3", "cpr-item-6", "cpr-item-7"})
    pages = [
        learner_client.get(reverse("exams:attempt", args=[attempt.pk]))
        for attempt in (first, second)
    ]
    # Same lessons, same counts, different items: the two result pages are the same
    # byte for byte (headers too), so nothing tells which items were missed.
    assert _normalised(pages[0].content.decode()) == _normalised(
        pages[1].content.decode()
    )
    assert dict(pages[0].headers) == dict(pages[1].headers)
    # With different counts, only the numbers differ.
    ready_to_retake(user, two_lesson_exam, clock)
    third, _ = exam_attempt_start(user=user, exam=two_lesson_exam)
    _fail(learner_client, third, {"cpr-item-1", "cpr-item-2", "cpr-item-7"})
    # (Both read now: after a third failure both show the same cool-down.)
    pages = [
        learner_client.get(reverse("exams:attempt", args=[attempt.pk])).content
        for attempt in (second, third)
    ]
    digitless = [re.sub(r"\d+", "N", _normalised(page.decode())) for page in pages]
    assert digitless[0] == digitless[1]


def test_no_exams_response_after_a_failure_names_an_item_or_a_key(
    learner_client, user, two_lesson_exam, studied, mailoutbox
):
    attempt, _ = exam_attempt_start(user=user, exam=two_lesson_exam)
    answers = _answers(attempt, miss={"cpr-item-2", "cpr-item-6"})
    url = reverse("exams:attempt", args=[attempt.pk])
    submitted = learner_client.post(url, as_post(answers))
    responses = {
        "submit": submitted,
        "result": learner_client.get(url),
        "resubmit": learner_client.post(url, as_post(answers)),
        "autosave": learner_client.post(
            reverse("exams:answer", args=[attempt.pk]), as_post(answers)
        ),
        "history": learner_client.get(
            reverse("exams:history", args=[two_lesson_exam.pk])
        ),
        "retake": learner_client.post(
            reverse("exams:start", args=[two_lesson_exam.pk]), follow=True
        ),
        "course home": learner_client.get(reverse("courses:home", args=["bls"])),
    }
    assert responses["autosave"].status_code == 409
    assert responses["autosave"]["Content-Type"] == "application/json"
    secrets = set()
    for item in attempt.items.select_related("question"):
        secrets |= {item.question.key, item.question.text_md, item.question.topic}
        secrets |= {choice["key"] for choice in item.choices}
        secrets |= {choice["text"] for choice in item.choices}
    for name, response in responses.items():
        body = unescape(response.content.decode())
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
        for secret in secrets:
            assert secret not in body, (name, secret)
            assert secret not in headers, (name, secret)
    assert not mailoutbox


def test_a_pass_reviews_its_own_questions_and_never_one_not_given(
    learner_client, user, module_exam, studied
):
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)  # 5 of 8 drawn
    exam_attempt_submit(
        attempt=attempt,
        answers={item.position: item.correct_key for item in attempt.items.all()},
    )
    page = learner_client.get(reverse("exams:attempt", args=[attempt.pk]))
    html = page.content.decode()
    given = set(attempt.items.values_list("question_id", flat=True))
    assert html.count("Correct answer") == 5
    for question in module_exam.questions.all():
        assert (question.text_html in html) is (question.pk in given)
