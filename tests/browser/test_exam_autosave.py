"""The exam page's autosave sends only the answers the server has not saved yet, and
an answer whose save failed goes with the next save (issue 19: a save reads and
checks only the questions it names)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Attempt
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import choice_texts, open_attempt, sign_in

pytestmark = pytest.mark.browser


def _choose(page: Page, item, *, correct: bool) -> str:
    text = choice_texts(item, correct=correct)[0]
    page.locator(f"#question-{item.position}").get_by_text(text, exact=True).click()
    return next(c["key"] for c in item.choices if c["text"] == text)


def _saved(attempt: Attempt) -> dict[int, str]:
    return {
        position: key
        for position, key in attempt.items.exclude(selected_key="").values_list(
            "position", "selected_key"
        )
    }


def test_each_save_sends_what_is_unsaved_and_a_failed_save_is_sent_again(
    page: Page, live_server, curriculum: Curriculum
):
    learner = factories.UserFactory(email="autosave.user@example.org")
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    for lesson in curriculum.bls_lessons[:2]:
        lesson_open(enrollment=enrollment, lesson=lesson)
        lesson_complete(enrollment=enrollment, lesson=lesson)
    sign_in(page.context, learner, live_server.url)
    page.goto("/learn/bls/")
    up_next = page.get_by_role("region", name="Up next")
    up_next.get_by_role("button", name="Start Adult CPR check").click()
    attempt = open_attempt(page)
    first, second, third = attempt.items.order_by("position")[:3]
    status = page.locator("[data-autosave-status]")
    posts: list[list[str]] = []  # the question names each save sent

    def sent(request) -> None:
        if request.url.endswith("/answer/") and request.method == "POST":
            names = parse_qs(request.post_data or "")
            posts.append(sorted(name for name in names if name.startswith("q")))

    page.on("request", sent)

    chosen = {first.position: _choose(page, first, correct=True)}
    expect(status).to_contain_text("Answers saved")
    assert _saved(attempt) == chosen
    assert posts == [[first.field_name]]

    # Offline: the second answer is not saved, and the page says so.
    page.route("**/answer/", lambda route: route.abort())
    chosen[second.position] = _choose(page, second, correct=False)
    expect(status).to_contain_text("You seem to be offline")
    page.unroute("**/answer/")
    assert second.position not in _saved(attempt)

    # Back online, the next save carries the second answer with the third, and not
    # the first, saved before.
    chosen[third.position] = _choose(page, third, correct=True)
    expect(status).to_contain_text("Answers saved")
    assert posts[-1] == sorted([second.field_name, third.field_name])
    assert _saved(attempt) == chosen
