"""A long timed exam on a phone (375x667): the time left and the answered count stay
on screen while the learner scrolls, every question is one tap away in the
navigator, and submitting with questions left asks in the page (a dialog), not with
the browser's confirm()."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Attempt
from exams.services import exam_attempt_start, exam_attempt_submit
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import choice_texts, screenshot, sign_in, wait_for_autosave

pytestmark = pytest.mark.browser
QUESTIONS = 40


IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
}"""


def _in_view(page: Page, selector: str) -> bool:
    return page.evaluate(IN_VIEW, selector)


def _comes_into_view(page: Page, selector: str) -> None:
    """Waits until the element is on screen (scrolling may be smooth)."""
    page.wait_for_function(IN_VIEW, arg=selector, timeout=5000)


@pytest.fixture
def long_final(curriculum: Curriculum) -> Attempt:
    """A learner's open attempt at a 40-question final exam with a 60-minute limit."""
    final = curriculum.final_exam
    final.time_limit_minutes = 60
    final.draw_size = None
    final.save(update_fields=["time_limit_minutes", "draw_size"])
    lesson = curriculum.bls_lessons[0]
    for n in range(QUESTIONS - final.questions.count()):
        factories.QuestionFactory(
            exam=final,
            key=f"bls-final-extra-{n}",
            topic="Extra",
            review_lesson=lesson,
            text_md=f"Extra question {n}: which step comes first?",
        )
    learner = factories.UserFactory(email="night.shift@example.org")
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    for each in curriculum.bls_lessons:
        lesson_open(enrollment=enrollment, lesson=each)
        lesson_complete(enrollment=enrollment, lesson=each)
    module_attempt, _ = exam_attempt_start(user=learner, exam=curriculum.module_exam)
    exam_attempt_submit(
        attempt=module_attempt,
        answers={
            item.position: next(c["key"] for c in item.choices if c["correct"])
            for item in module_attempt.items.all()
        },
    )
    attempt, _ = exam_attempt_start(user=learner, exam=final)
    assert attempt.question_count == QUESTIONS
    return attempt


def test_the_timer_and_the_navigator_stay_in_view_and_submitting_early_asks_in_the_page(
    phone_page: Page, live_server, long_final: Attempt
):
    page = phone_page
    page.emulate_media(reduced_motion="reduce")  # jumps land at once
    sign_in(page.context, long_final.user, live_server.url)
    page.goto(long_final.get_absolute_url())
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"Time left (59|60):\d\d"))

    # Far down the page, the bar is still at the top of the screen.
    page.locator(f"#question-{QUESTIONS}").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 5000
    assert _in_view(page, "[data-countdown]")
    assert _in_view(page, "[data-answered-count]")
    expect(page.locator("[data-answered-count]")).to_have_text("0")

    # The navigator takes the learner to any question, not hidden under the bar.
    page.get_by_text("Go to a question").tap()
    seventh = page.locator('[data-nav-question="7"]')
    expect(seventh).to_have_text("7, not answered")
    seventh.tap()
    _comes_into_view(page, "#question-7 legend")
    bar_bottom = page.evaluate(
        "document.querySelector('[data-exam-bar]').getBoundingClientRect().bottom"
    )
    legend_top = page.evaluate(
        "document.querySelector('#question-7 legend').getBoundingClientRect().top"
    )
    assert legend_top >= bar_bottom

    item = long_final.items.get(position=7)
    page.locator("#question-7").get_by_text(
        choice_texts(item, correct=True)[0], exact=True
    ).tap()
    wait_for_autosave(page)
    expect(page.locator("[data-answered-count]")).to_have_text("1")
    page.get_by_text("Go to a question").tap()
    expect(seventh).to_have_text("7, answered")
    expect(seventh).to_have_class("is-answered")
    screenshot(page, "exam-navigator", full_page=False)
    page.get_by_text("Go to a question").tap()

    # Submitting with 39 left: the page asks, and can take the learner to the first.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.get_by_role("button", name="Submit for grading", exact=True).tap()
    dialog = page.get_by_role("dialog", name="Some questions are not answered")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("39 questions are not answered yet")
    screenshot(page, "exam-unanswered-dialog", full_page=False)
    dialog.get_by_role("button", name="Go to question 1").tap()
    expect(dialog).to_be_hidden()
    _comes_into_view(page, "#question-1 legend")
    long_final.refresh_from_db()
    assert long_final.status == Attempt.Status.OPEN

    page.get_by_role("button", name="Submit for grading", exact=True).tap()
    dialog.get_by_role("button", name="Submit for grading anyway").tap()
    expect(page.get_by_text(re.compile(r"You scored"))).to_be_visible()
    long_final.refresh_from_db()
    assert long_final.status == Attempt.Status.SUBMITTED
    assert dialogs == []  # no native confirm()
