"""What only a browser shows of the learner's next steps: a certificate being issued
appears by itself (static/js/refresh.js), times follow the browser's time zone
(static/js/timezone.js), an outside card waiting for review says so on the ACLS page,
and the new pages (an exam's page, a completed course's review, the dashboard's
sections) fit a phone and stay accessible."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Profession, User
from certificates.models import Certificate, ExternalCertificate
from certificates.services.issuing import certificate_issue
from courses.models import Enrollment
from courses.services import enrollment_create, lesson_complete, lesson_open
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


def _learner(**extra) -> User:
    return factories.UserFactory(
        legal_name="Maria Alvarez", profession=Profession.NURSE, **extra
    )


def _studied(learner: User, curriculum: Curriculum) -> Enrollment:
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    for lesson in curriculum.bls_lessons:
        lesson_open(enrollment=enrollment, lesson=lesson)
        lesson_complete(enrollment=enrollment, lesson=lesson)
    return enrollment


def test_a_certificate_being_issued_appears_without_reloading(
    page: Page, live_server, curriculum: Curriculum
):
    # Her time zone already saved: timezone.js would otherwise post it while this
    # test issues the certificate, and the live server's in-memory SQLite refuses a
    # second writer (tests/browser/helpers.py).
    learner = _learner(time_zone=settings.TIME_ZONE)
    enrollment = Enrollment.objects.create(
        user=learner,
        course=curriculum.bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    sign_in(page.context, learner, live_server.url)
    page.goto("/learn/bls/")
    up_next = page.locator("#up-next")
    expect(up_next).to_contain_text("Being issued")
    screenshot(page, "certificate-being-issued", full_page=False)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    certificate = certificate_issue(enrollment=enrollment)  # the worker, done
    expect(
        up_next.get_by_role("link", name="Download your certificate (PDF)")
    ).to_be_visible()
    expect(up_next).to_contain_text(certificate.code)
    assert navigations == []  # the region was replaced, the page not reloaded


def test_times_follow_the_browsers_time_zone(
    new_context, live_server, curriculum: Curriculum
):
    learner = _learner()
    _studied(learner, curriculum)
    curriculum.module_exam.time_limit_minutes = 20
    curriculum.module_exam.save()
    context = new_context(timezone_id="America/Chicago")
    sign_in(context, learner, live_server.url)
    page = context.new_page()
    page.goto("/dashboard/")
    # timezone.js stored the browser's zone on the profile, once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your dashboard")
    page.wait_for_function("document.cookie.includes('tz=America%2FChicago')")
    for _ in range(50):
        learner.refresh_from_db()
        if learner.time_zone:
            break
        page.wait_for_timeout(100)
    assert learner.time_zone == "America/Chicago"

    attempt, _ = exam_attempt_start(user=learner, exam=curriculum.module_exam)
    page.goto(attempt.get_absolute_url())
    local = attempt.deadline.astimezone(ZoneInfo("America/Chicago"))
    expect(page.locator("[data-deadline] time")).to_have_text(
        f"{local:%-I:%M %p} {local:%Z}"
    )
    stamp = page.locator("[data-deadline] time").get_attribute("datetime")
    assert stamp == local.replace(microsecond=0).isoformat()
    # Autosave says when in the same format and zone as the deadline.
    item = attempt.items.order_by("position").first()
    page.locator("#question-1").get_by_text(item.choices[0]["text"], exact=True).click()
    expect(page.locator("[data-autosave-status]")).to_have_text(
        re.compile(rf"^Answers saved at \d{{1,2}}:\d\d [AP]M {local:%Z}\.$")
    )
    # The profile shows the zone, and the learner can change it there.
    page.goto("/accounts/profile/")
    expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")


def test_a_card_waiting_for_review_is_under_review_on_the_acls_page(
    phone_page: Page, live_server, curriculum: Curriculum
):
    learner = _learner()
    ExternalCertificate.objects.create(
        user=learner,
        course=curriculum.bls,
        issuer="American Heart Association",
        card_number="225512345678",
        issued_on=timezone.localdate() - timedelta(days=100),
        expires_on=timezone.localdate() + timedelta(days=500),
        file=SimpleUploadedFile("card.pdf", b"%PDF-1.4\n%%EOF\n"),
        content_type="application/pdf",
    )
    sign_in(phone_page.context, learner, live_server.url)
    phone_page.goto("/courses/acls/")
    expect(phone_page.get_by_text("Under review", exact=True)).to_be_visible()
    expect(phone_page.get_by_text("Missing", exact=True)).to_have_count(0)
    expect(
        phone_page.get_by_role(
            "link", name="Upload a current card from another provider"
        )
    ).to_have_count(0)
    screenshot(phone_page, "acls-card-under-review")
    assert_no_horizontal_scroll(phone_page)
    phone_page.goto("/certificates/outside/")
    expect(phone_page.locator("[data-under-review]")).to_be_visible()
    expect(phone_page.get_by_role("button", name="Upload for review")).to_have_count(0)


@pytest.fixture
def journey_pages(curriculum: Curriculum):
    """A nurse with BLS done (certificate issued), ACLS in progress, and a learner
    partway through BLS: the pages this issue added or changed."""
    certified = _learner(email="certified@example.org")
    completed = _studied(certified, curriculum)
    Enrollment.objects.filter(pk=completed.pk).update(
        status=Enrollment.Status.COMPLETED, completed_at=timezone.now()
    )
    completed.refresh_from_db()
    certificate_issue(enrollment=completed)
    enrollment_create(user=certified, course=curriculum.acls)
    studying = _learner(email="studying@example.org")
    _studied(studying, curriculum)
    return {"certified": certified, "studying": studying}


PAGES = {
    "exam-page": ("studying", lambda c: f"/exams/{c.module_exam.pk}/"),
    "course-home-module-cards": ("studying", lambda c: "/learn/bls/"),
    "course-home-review": ("certified", lambda c: "/learn/bls/"),
    "lesson-review": (
        "certified",
        lambda c: c.bls_lessons[0].get_absolute_url(),
    ),
    "dashboard-full": ("certified", lambda c: "/dashboard/"),
}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_next_step_pages_fit_and_stay_accessible(
    new_context, live_server, curriculum, journey_pages, name, phone
):
    who, path = PAGES[name]
    context = new_context(phone=phone)
    sign_in(context, journey_pages[who], live_server.url)
    page = context.new_page()
    response = page.goto(path(curriculum))
    assert response is not None and response.ok, f"{name}: {page.url}"
    screenshot(page, name)
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    assert Certificate.objects.filter(user=journey_pages["certified"]).count() == 1
