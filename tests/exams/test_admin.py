"""Authoring question banks in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exams.models import Attempt, Choice, Question
from tests.factories import LessonFactory, ModuleFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def question_post(question: Question, *, correct: list[int], **changes) -> dict:
    """The question's change form as the admin would post it, with `correct`
    (indexes into its choices in order) ticked."""
    choices = list(question.choices.order_by("order", "id"))
    data = {
        "exam": question.exam_id,
        "key": question.key,
        "order": question.order,
        "is_active": "on",
        "topic": question.topic,
        "review_lesson": question.review_lesson_id or "",
        "text_md": question.text_md,
        "image": "",
        "image_alt": "",
        "explanation_md": question.explanation_md,
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": len(choices),
        "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for index, choice in enumerate(choices):
        data |= {
            f"choices-{index}-id": choice.pk,
            f"choices-{index}-question": question.pk,
            f"choices-{index}-order": choice.order,
            f"choices-{index}-text": choice.text,
        }
        if index in correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data | changes


@pytest.fixture
def question(module_exam) -> Question:
    return module_exam.questions.order_by("order").first()


def change_url(question: Question) -> str:
    return reverse("admin:exams_question_change", args=[question.pk])


@pytest.mark.parametrize("correct", [[], [0, 2]], ids=["none", "two"])
def test_a_question_needs_exactly_one_correct_choice(staff_client, question, correct):
    response = staff_client.post(
        change_url(question), question_post(question, correct=correct)
    )
    assert response.status_code == 200
    assert "Mark exactly one choice as correct" in response.content.decode()
    assert list(
        question.choices.order_by("order").values_list("is_correct", flat=True)
    ) == [True, False, False, False]


def test_moving_the_correct_mark_to_another_choice_saves(staff_client, question):
    response = staff_client.post(
        change_url(question), question_post(question, correct=[2])
    )
    assert response.status_code == 302
    assert list(
        question.choices.order_by("order").values_list("is_correct", flat=True)
    ) == [False, False, True, False]


def test_deleting_the_correct_choice_while_marking_another_saves(
    staff_client, question
):
    data = question_post(question, correct=[1]) | {"choices-0-DELETE": "on"}
    response = staff_client.post(change_url(question), data)
    assert response.status_code == 302
    assert list(question.choices.values_list("text", "is_correct")) == [
        ("Wrong A", True), ("Wrong B", False), ("Wrong C", False),
    ]  # fmt: skip


def test_markdown_is_rendered_and_sanitized_when_saved(staff_client, question):
    data = question_post(
        question,
        correct=[0],
        text_md="Which **rate**? <script>alert(1)</script>",
        explanation_md="See [the guideline](javascript:alert(1)).",
    )
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    assert "<strong>rate</strong>" in question.text_html
    assert "<script>" not in question.text_html
    assert "javascript:" not in question.explanation_html


def test_the_review_lesson_must_belong_to_the_exams_course(
    staff_client, question, acls
):
    foreign = acls.lessons.first()
    data = question_post(question, correct=[0], review_lesson=foreign.pk)
    response = staff_client.post(change_url(question), data)
    assert response.status_code == 200
    assert "Choose a lesson of the exam" in response.content.decode()


def test_key_point_and_vignette_are_edited_in_the_admin(staff_client, question):
    question.review_lesson.body_md = "## Key points\n\n- Push hard\n- Let it recoil\n"
    question.review_lesson.save()
    data = question_post(question, correct=[0], key_point=2, vignette="on")
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    assert (question.key_point, question.vignette) == (2, True)


@pytest.mark.parametrize("number", [0, 3])
def test_a_key_point_beyond_the_review_lessons_list_is_refused(
    staff_client, question, number
):
    question.review_lesson.body_md = "## Key points\n\n- Push hard\n- Let it recoil\n"
    question.review_lesson.save()
    data = question_post(question, correct=[0], key_point=number)
    response = staff_client.post(change_url(question), data)
    assert response.status_code == 200
    assert ("choose 1 to 2" if number else "greater than or equal to 1") in (
        response.content.decode()
    )
    question.refresh_from_db()
    assert question.key_point is None


def test_question_list_searches_and_filters(staff_client, module_exam, final_exam):
    QuestionFactory(exam=module_exam, key="aed-pads", topic="Pad placement")
    QuestionFactory(exam=module_exam, key="retired-question", is_active=False)
    url = reverse("admin:exams_question_changelist")
    found = staff_client.get(url, {"q": "pad placement"}).content.decode()
    assert "aed-pads" in found
    assert f"{module_exam.pk}-q0" not in found
    filtered = staff_client.get(
        url, {"exam__id__exact": module_exam.pk, "is_active__exact": 1}
    ).content.decode()
    # The exam's active questions are listed; retired ones and other exams' are not.
    for question in module_exam.questions.filter(is_active=True):
        assert f">{question.key}</a>" in filtered
    assert "retired-question" not in filtered
    for question in final_exam.questions.all():
        assert f">{question.key}</a>" not in filtered
    assert "9 questions" in filtered


def test_exam_admin_shows_its_questions_and_counts(staff_client, module_exam):
    page = staff_client.get(reverse("admin:exams_exam_change", args=[module_exam.pk]))
    html = page.content.decode()
    for question in module_exam.questions.all():
        assert question.key in html
    listing = staff_client.get(reverse("admin:exams_exam_changelist")).content.decode()
    assert ">8<" in listing  # active questions


def test_attempts_are_read_only_evidence_in_the_admin(staff_client, attempt):
    url = reverse("admin:exams_attempt_change", args=[attempt.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.post(url, {}).status_code == 403
    delete = reverse("admin:exams_attempt_delete", args=[attempt.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Attempt.objects.filter(pk=attempt.pk).exists()


def test_a_question_used_in_an_attempt_cannot_be_deleted(staff_client, attempt):
    question = attempt.items.first().question
    url = reverse("admin:exams_question_delete", args=[question.pk])
    staff_client.post(url, {"post": "yes"})
    assert Question.objects.filter(pk=question.pk).exists()
    assert Choice.objects.filter(question=question).count() == 4


def test_new_module_and_lesson_can_be_chosen_for_review(staff_client, question, bls):
    lesson = LessonFactory(module=ModuleFactory(course=bls), slug="new-lesson")
    data = question_post(question, correct=[0], review_lesson=lesson.pk)
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    assert question.review_lesson == lesson


def _list_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_question_list_queries_do_not_grow_with_the_bank(staff_client, bls):
    """The "edited since sync" column reads each question's choices: prefetched."""
    from tests.exams.conftest import make_bank
    from tests.factories import ExamFactory

    url = reverse("admin:exams_question_changelist")
    exam = ExamFactory(course=bls)
    make_bank(exam, 5)
    # Synced rows: only those have a fingerprint to compare.
    Question.objects.update(synced_hash="0" * 64)
    few = _list_queries(staff_client, url)
    make_bank(exam, 35)
    Question.objects.update(synced_hash="0" * 64)
    page = staff_client.get(url).content.decode()
    assert "40 questions" in page
    assert _list_queries(staff_client, url) == few


def _enemy_options(html: str) -> list[str]:
    select = html[html.index('<select name="enemies"') :]
    select = select[: select.index("</select>")]
    return [part.split('"')[0] for part in select.split('value="')[1:]]


def test_enemies_are_chosen_among_the_questions_of_the_same_exam(
    staff_client, question, final_exam
):
    others = list(question.exam.questions.exclude(pk=question.pk).order_by("order"))
    html = staff_client.get(change_url(question)).content.decode()
    # Every other question of this exam, never itself nor another exam's.
    assert _enemy_options(html) == [other.key for other in others]
    question.synced_hash = question.content_fingerprint()
    question.save(update_fields=["synced_hash"])
    data = question_post(question, correct=[0], enemies=[others[3].key, others[0].key])
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    # Stored in bank order, and an admin edit the next sync will not overwrite.
    assert question.enemies == [others[0].key, others[3].key]
    assert question.edited_since_sync
    foreign = final_exam.questions.first()
    data = question_post(question, correct=[0], enemies=[foreign.key])
    response = staff_client.post(change_url(question), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    question.refresh_from_db()
    assert question.enemies == [others[0].key, others[3].key]


def test_saving_a_question_keeps_the_order_of_its_listed_enemies(
    staff_client, question
):
    first, second = question.exam.questions.exclude(pk=question.pk).order_by("order")[
        :2
    ]
    question.enemies = [second.key, first.key]
    question.save(update_fields=["enemies"])
    data = question_post(question, correct=[0], enemies=[first.key, second.key])
    assert staff_client.post(change_url(question), data).status_code == 302
    question.refresh_from_db()
    assert question.enemies == [second.key, first.key]


def test_the_question_page_names_the_questions_that_list_it_as_an_enemy(
    staff_client, question
):
    naming = question.exam.questions.exclude(pk=question.pk).order_by("order").last()
    naming.enemies = [question.key]
    naming.save(update_fields=["enemies"])
    html = staff_client.get(change_url(question)).content.decode()
    assert "Named as an enemy by" in html
    assert (
        f'<a href="{reverse("admin:exams_question_change", args=[naming.pk])}">'
        f"{naming.key}</a>"
    ) in html


def test_enemies_cannot_follow_a_question_to_another_exam(
    staff_client, question, final_exam
):
    other = question.exam.questions.exclude(pk=question.pk).first()
    data = question_post(question, correct=[0], exam=final_exam.pk, enemies=[other.key])
    response = staff_client.post(change_url(question), data)
    assert response.status_code == 200
    assert "Enemies are questions of the same exam" in response.content.decode()
    question.refresh_from_db()
    assert question.exam_id != final_exam.pk


def test_a_new_question_chooses_its_enemies_once_saved(staff_client, module_exam):
    html = staff_client.get(reverse("admin:exams_question_add")).content.decode()
    assert "Save the question first, then choose its enemies." in html
    assert _enemy_options(html) == []
