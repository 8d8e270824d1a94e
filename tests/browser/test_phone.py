"""A learner on a phone (375x667, touch): finds the course in the catalog, reads and
completes a lesson, takes an exam by tapping, and never has to scroll sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from courses.services import enrollment_create, lesson_complete, lesson_open
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    assert_no_horizontal_scroll,
    choice_texts,
    open_attempt,
    screenshot,
    sign_in,
    wait_for_autosave,
)

pytestmark = pytest.mark.browser


def test_a_learner_studies_and_takes_an_exam_on_a_phone(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    learner = factories.UserFactory(email="on.the.bus@example.org")
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    lesson_open(enrollment=enrollment, lesson=curriculum.bls_lessons[0])
    lesson_complete(enrollment=enrollment, lesson=curriculum.bls_lessons[0])
    sign_in(page.context, learner, live_server.url)

    page.goto("/")
    assert_no_horizontal_scroll(page)
    page.get_by_role("heading", name="Basic Life Support").get_by_role("link").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Basic Life Support")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Continue learning").tap()
    lesson = curriculum.bls_lessons[1]
    # The course home leads with the next step: the lesson after the one done.
    page.get_by_role("link", name=f"Start lesson: {lesson.title}").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
    # The lesson's table is the widest thing on it: it scrolls in its own box.
    expect(page.get_by_role("table")).to_be_visible()
    assert_no_horizontal_scroll(page)
    # The module's last lesson: continuing leads to the module's quiz, now open.
    expect(page.get_by_text("Up next: ")).to_contain_text("Adult CPR check")
    page.get_by_role("button", name="Mark complete and continue").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adult CPR check")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Start Adult CPR check").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adult CPR check")
    expect(page.get_by_role("button", name="Submit for grading")).to_be_visible()
    assert_no_horizontal_scroll(page)
    attempt = open_attempt(page)
    for item in attempt.items.order_by("position"):
        text = choice_texts(item, correct=True)[0]
        question = page.locator(f"#question-{item.position}")
        question.get_by_text(text, exact=True).tap()
        expect(question.get_by_label(text, exact=True)).to_be_checked()
    wait_for_autosave(page)
    question = page.locator("#question-1")
    question.scroll_into_view_if_needed()
    screenshot(page, "exam-answered", full_page=False)
    page.get_by_role("button", name="Submit for grading").tap()
    expect(page.get_by_text("You scored 100%")).to_be_visible()
    assert_no_horizontal_scroll(page)
