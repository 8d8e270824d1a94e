"""The admin shows a bank's item-quality gate findings (exams.quality) on the exam's
page and after a question is saved (issue 12)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from exams.models import Exam, Question
from exams.selectors import exam_bank_findings
from tests.exams.test_admin import question_post
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

KEY = "Two hundred joules biphasic"  # strictly the longest choice
WRONG = ["Twenty joules", "Fifty joules given", "One hundred joules given"]


@pytest.fixture
def bad_exam(module_exam) -> Exam:
    """20 questions whose key is always the longest choice (so never the shortest),
    one offering "All of the above": three gates fail."""
    module_exam.questions.all().delete()
    for n in range(20):
        wrong = [*WRONG[:2], "All of the above"] if n == 0 else WRONG
        QuestionFactory(
            exam=module_exam,
            key=f"bad-{n}",
            text_md=f"Which energy suits defibrillator model{n}?",
            choices=[KEY, *wrong],
        )
    return module_exam


def _page(client, url: str) -> str:
    return html.unescape(client.get(url).content.decode())


def test_the_selector_finds_the_crafted_banks_failures(
    bad_exam, django_assert_num_queries
):
    with django_assert_num_queries(3):
        findings = exam_bank_findings(exam=bad_exam)
    assert {f.code for f in findings} == {
        "key-longest-share",
        "key-shortest-share",
        "all-none-of-the-above",
    }
    assert {f.bank for f in findings} == {"bls/adult-cpr"}


def test_the_exam_page_lists_the_banks_warnings(staff_client, bad_exam):
    page = _page(staff_client, reverse("admin:exams_exam_change", args=[bad_exam.pk]))
    assert "Item-quality warnings" in page
    assert (
        "key-longest-share: the key is the strictly longest choice in 20 of 20" in page
    )
    assert "all-none-of-the-above" in page


def test_a_clean_bank_says_it_passes(staff_client, module_exam):
    page = _page(
        staff_client, reverse("admin:exams_exam_change", args=[module_exam.pk])
    )
    assert "None: this bank passes every item-quality gate." in page


def test_a_final_restating_a_module_item_is_warned_on_the_finals_page(
    staff_client, module_exam, final_exam
):
    stem = module_exam.questions.first().text_md
    QuestionFactory(exam=final_exam, key="restated", text_md=stem)
    page = _page(staff_client, reverse("admin:exams_exam_change", args=[final_exam.pk]))
    assert "near-duplicate-stem" in page


def test_saving_a_question_of_a_bad_bank_warns_after_the_save(staff_client, bad_exam):
    question = Question.objects.get(key="bad-3")
    response = staff_client.post(
        reverse("admin:exams_question_change", args=[question.pk]),
        question_post(question, correct=[0], text_md="Which energy now for model3?"),
        follow=True,
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.text_md == "Which energy now for model3?"  # saved regardless
    warnings = [
        str(m) for m in response.context["messages"] if m.level_tag == "warning"
    ]
    assert any(
        w.startswith("Item-quality warning (key-longest-share)") for w in warnings
    )
    assert any("(all-none-of-the-above)" in w for w in warnings)


def test_saving_a_question_of_a_clean_bank_warns_of_nothing(staff_client, module_exam):
    question = module_exam.questions.first()
    response = staff_client.post(
        reverse("admin:exams_question_change", args=[question.pk]),
        question_post(question, correct=[0]),
        follow=True,
    )
    assert response.status_code == 200
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
