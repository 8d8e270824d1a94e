"""Rhythm strips and figures a learner can read on any screen (issue 14): a strip is
never shrunk below a readable scale (it scrolls sideways in its own box on a phone),
and any figure opens full-screen, enlarged, with pinch and keyboard zoom."""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from courses.models import CourseImage
from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Exam
from exams.services import exam_attempt_start
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

STRIP = "images/ecg/exam/e-001.svg"
LESSON_STRIP = "images/ecg/strip-06.svg"
ALT = "6-second lead II rhythm strip"
# 160 mm of paper drawn at no less than 3 px per mm.
MIN_STRIP_PX = 480


def _store_image(course, path: str) -> None:
    data = (Path(settings.BASE_DIR) / "content" / "acls" / path).read_bytes()
    CourseImage.objects.create(
        course=course,
        path=path,
        data=data,
        sha256=sha256(data).hexdigest(),
        content_type="image/svg+xml",
    )


def _width(locator: Locator) -> float:
    return locator.evaluate("(element) => element.getBoundingClientRect().width")


def _rhythm_exam_attempt(curriculum: Curriculum, learner):
    """A BLS module exam of one question that shows an exam strip, started."""
    bls = curriculum.bls
    _store_image(bls, STRIP)
    module = factories.ModuleFactory(
        course=bls, slug="rhythms", title="Rhythm check", order=3
    )
    lesson = factories.LessonFactory(
        module=module, slug="reading-strips", title="Reading strips", order=1
    )
    exam = factories.ExamFactory(
        course=bls, module=module, kind=Exam.Kind.MODULE, title="Rhythm check"
    )
    factories.QuestionFactory(
        exam=exam,
        key="bls-rhythm-1",
        topic="Rhythms",
        review_lesson=lesson,
        text_md="A 64-year-old man collapses; this is his monitor. What next?",
        image=STRIP,
        image_alt=ALT,
        choices=["Defibrillate", "Give epinephrine", "Check a pulse", "Pace"],
    )
    enrollment = enrollment_create(user=learner, course=bls)
    lesson_open(enrollment=enrollment, lesson=lesson)
    lesson_complete(enrollment=enrollment, lesson=lesson)
    attempt, _ = exam_attempt_start(user=learner, exam=exam)
    return attempt


def _dialog_image(page: Page) -> Locator:
    return page.get_by_role("dialog").locator("img")


def test_a_strip_on_a_phone_is_readable_and_opens_enlarged(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    learner = factories.UserFactory(email="reads.strips@example.org")
    attempt = _rhythm_exam_attempt(curriculum, learner)
    sign_in(page.context, learner, live_server.url)
    page.goto(attempt.get_absolute_url())

    question = page.locator("#question-1")
    strip = question.get_by_role("img", name=ALT)
    expect(strip).to_be_visible()
    inline = _width(strip)
    box = _width(question.locator(".figure-scroll"))
    # Never shrunk below the readable scale: wider than the phone's column, it
    # scrolls sideways in its own box and the page does not.
    assert inline >= MIN_STRIP_PX, inline
    assert inline >= box
    assert_no_horizontal_scroll(page)
    question.scroll_into_view_if_needed()
    screenshot(page, "ecg-strip-inline", full_page=False)

    enlarge = question.get_by_role("button", name=f"Enlarge image: {ALT}")
    enlarge.tap()
    dialog = page.get_by_role("dialog", name=ALT)
    expect(dialog).to_be_visible()
    enlarged = _dialog_image(page)
    expect(enlarged).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('dialog img').getBoundingClientRect().width > 0"
    )
    assert _width(enlarged) >= 2.5 * inline, (_width(enlarged), inline)
    # The whole strip's height is on the screen: sideways scrolling only.
    height = enlarged.evaluate("(img) => img.getBoundingClientRect().height")
    assert height <= page.viewport_size["height"]
    screenshot(page, "ecg-strip-enlarged", full_page=False)
    assert_accessible(page)

    # A pinch (two pointers moving apart) zooms in.
    before = _width(enlarged)
    dialog.locator(".figure-zoom-viewport").evaluate(
        """(viewport) => {
          const at = (id, x, type) => viewport.dispatchEvent(new PointerEvent(type, {
            pointerId: id, clientX: x, clientY: 300, pointerType: "touch",
            isPrimary: id === 1, bubbles: true}));
          at(1, 150, "pointerdown"); at(2, 200, "pointerdown");
          at(1, 100, "pointermove"); at(2, 250, "pointermove");
          at(1, 100, "pointerup"); at(2, 250, "pointerup");
        }"""
    )
    assert _width(enlarged) == pytest.approx(before * 3, rel=0.05)

    dialog.get_by_role("button", name="Close").tap()
    expect(dialog).to_be_hidden()
    expect(enlarge).to_be_focused()


def test_the_keyboard_opens_zooms_and_closes_a_strip(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    learner = factories.UserFactory(email="keyboard.strips@example.org")
    attempt = _rhythm_exam_attempt(curriculum, learner)
    sign_in(page.context, learner, live_server.url)
    page.goto(attempt.get_absolute_url())

    enlarge = page.get_by_role("button", name=f"Enlarge image: {ALT}")
    enlarge.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=ALT)
    expect(dialog).to_be_visible()
    enlarged = _dialog_image(page)
    page.wait_for_function(
        "() => document.querySelector('dialog img').getBoundingClientRect().width > 0"
    )
    fit = _width(enlarged)
    page.keyboard.press("+")
    assert _width(enlarged) == pytest.approx(fit * 1.25, rel=0.01)
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert _width(enlarged) == pytest.approx(fit / 1.25, rel=0.01)
    page.keyboard.press("0")
    assert _width(enlarged) == pytest.approx(fit, rel=0.01)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(enlarge).to_be_focused()
    # Nothing of the exam changed: no answer chosen, no submit.
    assert not attempt.items.exclude(selected_key="").exists()


def test_a_lesson_strip_fills_the_column_and_opens_full_screen(
    page: Page, live_server, curriculum: Curriculum
):
    bls = curriculum.bls
    _store_image(bls, LESSON_STRIP)
    module = factories.ModuleFactory(
        course=bls, slug="rhythms", title="Rhythms", order=3
    )
    lesson = factories.LessonFactory(
        module=module,
        slug="shockable",
        title="Shockable rhythms",
        order=1,
        body_md=(
            "## The strip\n\n"
            f"![Six-second strip showing coarse ventricular fibrillation]({LESSON_STRIP})"
            "\n\nChaotic waves, no QRS.\n"
        ),
    )
    learner = factories.UserFactory(email="lesson.strips@example.org")
    enrollment_create(user=learner, course=bls)
    sign_in(page.context, learner, live_server.url)
    page.goto(lesson.get_absolute_url())

    strip = page.locator(".prose").get_by_role("img")
    expect(strip).to_be_visible()
    column = _width(page.locator(".prose"))
    assert _width(strip) == pytest.approx(column, abs=1)
    strip.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('dialog img').getBoundingClientRect().width > 0"
    )
    assert _width(_dialog_image(page)) > _width(strip)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Opened by a click on the image: focus lands on its Enlarge button, where a
    # keyboard user can open it again.
    expect(page.get_by_role("button", name="Enlarge image: Six-second")).to_be_focused()
