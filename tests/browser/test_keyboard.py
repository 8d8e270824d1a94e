"""An exam taken with the keyboard alone: Tab to move, Space and the arrow keys to
choose, Enter to press buttons. No mouse, no clicks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Attempt
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import open_attempt, sign_in, wait_for_autosave

pytestmark = pytest.mark.browser

# More Tab presses than any page here has stops before the one we want.
MAX_TABS = 60

FOCUSED = """() => {
  const el = document.activeElement;
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.name || "",
    checked: !!el.checked,
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : "",
    text: el.innerText ? el.innerText.trim() : "",
  };
}"""


def _tab_to(page: Page, wanted, what: str) -> dict:
    """Presses Tab until the focused element satisfies `wanted`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            return focused
    raise AssertionError(f"{MAX_TABS} Tab presses never reached {what}")


def _answer_by_keyboard(page: Page, attempt: Attempt) -> None:
    for item in attempt.items.order_by("position"):
        name = item.field_name
        first = _tab_to(
            page,
            lambda f, name=name: f["type"] == "radio" and f["name"] == name,
            f"question {item.position}",
        )
        # Tab enters an unanswered radio group at its first choice; the arrow keys
        # move through the group, choosing as they go.
        assert first["label"] == item.choices[0]["text"]
        index = next(i for i, c in enumerate(item.choices) if c["correct"])
        if index == 0:
            page.keyboard.press("Space")
        for _ in range(index):
            page.keyboard.press("ArrowDown")
        focused = page.evaluate(FOCUSED)
        assert focused["checked"], f"question {item.position}: nothing chosen"
        assert focused["label"] == item.choices[index]["text"]


def test_an_exam_can_be_started_answered_and_submitted_with_the_keyboard_alone(
    page: Page, live_server, curriculum: Curriculum
):
    learner: User = factories.UserFactory(email="keyboard.user@example.org")
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    for lesson in curriculum.bls_lessons[:2]:
        lesson_open(enrollment=enrollment, lesson=lesson)  # read, then complete
        lesson_complete(enrollment=enrollment, lesson=lesson)
    sign_in(page.context, learner, live_server.url)
    page.goto("/learn/bls/")

    _tab_to(
        page,
        lambda f: f["tag"] == "button" and f["text"] == "Start Adult CPR check",
        "the exam's start button",
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Adult CPR check")
    attempt = open_attempt(page)

    _answer_by_keyboard(page, attempt)
    wait_for_autosave(page)
    expect(page.get_by_text(f"{attempt.question_count} answered")).to_be_visible()
    _tab_to(
        page,
        lambda f: f["tag"] == "button" and f["text"] == "Submit for grading",
        "the submit button",
    )
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Adult CPR check: result")
    expect(page.get_by_text("You scored 100%")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.passed
