"""What a phone shows first: a compact header whose menu opens, the course page's
enroll button on the first screen, a lesson's contents folded above it, and
certificate actions in view."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from certificates.services.issuing import certificate_issue
from courses.models import Enrollment
from courses.services import enrollment_create
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def _box(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


@pytest.mark.parametrize("width", [375, 320])
def test_the_header_is_one_compact_row_and_its_menu_opens(
    phone_page: Page, live_server, curriculum: Curriculum, width: int
):
    page = phone_page
    page.set_viewport_size({"width": width, "height": 667})
    page.goto("/")
    header = _box(page, ".site-header")
    assert header["height"] < 80
    brand, menu = _box(page, ".brand"), _box(page, ".site-menu > summary")
    assert abs(brand["y"] - menu["y"]) < 10  # side by side, not wrapped
    expect(page.locator(".site-nav a[href='/verify/']")).to_be_hidden()
    page.get_by_text("Menu", exact=True).tap()
    expect(page.get_by_role("link", name="Log in", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="Sign up", exact=True)).to_be_visible()


def test_the_course_page_offers_enrollment_on_the_first_screen(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    sign_in(page.context, factories.UserFactory(), live_server.url)
    page.goto("/courses/bls/")
    button = page.get_by_role("button", name="Enroll in Basic Life Support")
    expect(button).to_be_in_viewport()
    assert _box(page, ".course-enrol")["y"] < _box(page, "#modules-heading")["y"]


def test_a_lesson_s_contents_fold_above_it_on_a_phone(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    learner = factories.UserFactory()
    enrollment_create(user=learner, course=curriculum.bls)
    sign_in(page.context, learner, live_server.url)
    page.goto("/learn/bls/adult-cpr/adult-compressions/")
    contents = page.locator(".lesson-contents-phone")
    expect(contents).to_be_visible()
    assert _box(page, ".lesson-contents-phone")["y"] < _box(page, ".prose")["y"]
    link = contents.get_by_role("link", name="Rate and depth")
    expect(link).to_be_hidden()
    contents.locator("summary").tap()
    link.tap()
    expect(page).to_have_url(re.compile(r"#rate-and-depth$"))
    expect(page.locator(".lesson-aside")).to_be_hidden()


def test_certificate_actions_are_in_view_without_scrolling_sideways(
    phone_page: Page, live_server, curriculum: Curriculum
):
    page = phone_page
    learner = factories.UserFactory(legal_name="Maria Alvarez")
    enrollment = factories.EnrollmentFactory(
        user=learner,
        course=curriculum.cpr,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    certificate = certificate_issue(enrollment=enrollment)
    sign_in(page.context, learner, live_server.url)
    page.set_viewport_size({"width": 320, "height": 568})
    page.goto("/dashboard/")
    card = page.get_by_role("listitem").filter(has_text=certificate.code)
    for name in ("Download PDF", "Verify"):
        action = card.get_by_role("link", name=name)
        action.scroll_into_view_if_needed()
        box = action.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (name, box)
