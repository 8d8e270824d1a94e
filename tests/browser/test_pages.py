"""Every learner page and the main staff pages, on a desktop (1280x800) and on phones
(375x667, then 320 wide): axe-core finds no violation of any impact, nothing scrolls
sideways on a phone (document.scrollingElement.scrollWidth <= clientWidth), and a
screenshot of each lands in test-artifacts/screenshots/. tests/browser/test_html_valid.py
runs the Nu HTML checker over the learner pages.

The learner's records are written through the services (the journeys drive the same
steps through the browser), so each page shows realistic content: progress, a failed
and a passed attempt, an exam in progress, an issued certificate, an outside card
waiting for review; and a paramedic's case simulations (tests/browser/cases.py): an
ACLS case not passed (its debrief), one in progress with the rhythm on the monitor,
a lay case where the AED has just spoken.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from accounts.models import Profession, User
from certificates.models import Certificate, ExternalCertificate
from certificates.services.issuing import certificate_issue
from courses.models import Enrollment, InfoPage
from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Attempt, Exam
from exams.services import exam_attempt_start, exam_attempt_submit
from tests import factories
from tests.browser.cases import CaseRecords, case_records
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    sign_in,
    sign_in_staff,
)
from tests.exams.conftest import ready_to_retake

pytestmark = pytest.mark.browser


@dataclass
class Records:
    learner: User
    staff: User
    failed: Attempt
    passed: Attempt
    in_progress: Attempt
    certificate: Certificate
    card: ExternalCertificate
    curriculum: Curriculum
    cases: CaseRecords


def _graded(*, user: User, exam: Exam, right: bool) -> Attempt:
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = {
        item.position: next(c["key"] for c in item.choices if c["correct"] is right)
        for item in attempt.items.all()
    }
    return exam_attempt_submit(attempt=attempt, answers=answers).attempt


def card_image() -> bytes:
    """A photographed BLS card, more or less: 1200x760 with a few lines of text."""
    image = Image.new("RGB", (1200, 760), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1200, 120), fill=(200, 16, 46))
    for row, text in enumerate(
        ["BLS Provider", "Maria Alvarez", "Issued 2026-05-01", "Card EXT000123"]
    ):
        draw.text((60, 180 + row * 110), text, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _trust_pages() -> None:
    """The about and privacy pages as content/pages/ writes them."""
    for slug in ("about", "privacy"):
        text = (Path(settings.CONTENT_DIR) / "pages" / f"{slug}.md").read_text()
        _, head, body = text.split("---\n", 2)
        meta = yaml.safe_load(head)
        InfoPage.objects.create(
            slug=slug,
            title=meta["title"],
            summary=meta.get("summary", ""),
            order=meta["order"],
            is_published=True,
            body_md=body,
        )


@pytest.fixture
def records(curriculum: Curriculum) -> Records:
    """A nurse halfway through BLS (module exam failed once, then passed; the final
    exam in progress) who already holds a CPR/AED certificate and has uploaded an
    outside ACLS-prerequisite card; a staff member who reviews it."""
    learner = factories.UserFactory(
        email="maria.alvarez@example.org",
        legal_name="Maria Alvarez",
        profession=Profession.NURSE,
    )
    enrollment = enrollment_create(user=learner, course=curriculum.bls)
    for lesson in curriculum.bls_lessons[:2]:
        lesson_open(enrollment=enrollment, lesson=lesson)  # read, then complete
        lesson_complete(enrollment=enrollment, lesson=lesson)
    failed = _graded(user=learner, exam=curriculum.module_exam, right=False)
    ready_to_retake(learner, curriculum.module_exam)  # opens the lessons it names
    passed = _graded(user=learner, exam=curriculum.module_exam, right=True)
    in_progress, _ = exam_attempt_start(user=learner, exam=curriculum.final_exam)
    _trust_pages()
    completed = factories.EnrollmentFactory(
        user=learner,
        course=curriculum.cpr,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    card = factories.ExternalCertificateFactory(
        user=factories.UserFactory(
            email="sam.okafor@example.org",
            legal_name="Samuel Okafor",
            profession=Profession.PARAMEDIC,
        ),
        course=curriculum.bls,
        file=ContentFile(card_image(), name="card.png"),
        content_type="image/png",
    )
    return Records(
        learner=learner,
        staff=factories.StaffFactory(email="reviewer@example.org", legal_name="Ada"),
        failed=failed,
        passed=passed,
        in_progress=in_progress,
        certificate=certificate_issue(enrollment=completed),
        card=card,
        curriculum=curriculum,
        cases=case_records(curriculum),
    )


@dataclass(frozen=True)
class MainPage:
    """A page to check: where it is and who looks at it (None: nobody signed in)."""

    path: Callable[[Records], str]
    who: str | None = "learner"
    status: int = 200


LEARNER_PAGES = {
    "catalog": MainPage(lambda r: "/", who=None),
    "catalog-recommended": MainPage(lambda r: "/"),
    "course": MainPage(lambda r: "/courses/bls/", who=None),
    "course-enrol": MainPage(lambda r: "/courses/cpr-aed/", who="newcomer"),
    "course-prerequisite-missing": MainPage(lambda r: "/courses/acls/"),
    "course-home": MainPage(lambda r: "/learn/bls/"),
    "lesson": MainPage(lambda r: "/learn/bls/adult-cpr/adult-compressions/"),
    "exam": MainPage(lambda r: r.in_progress.get_absolute_url()),
    "result-not-passed": MainPage(lambda r: r.failed.get_absolute_url()),
    "result-passed": MainPage(lambda r: r.passed.get_absolute_url()),
    "exam-history": MainPage(lambda r: f"/exams/{r.passed.exam_id}/history/"),
    "dashboard": MainPage(lambda r: "/dashboard/"),
    "profile": MainPage(lambda r: "/accounts/profile/"),
    "email-addresses": MainPage(lambda r: "/accounts/email/"),
    "password-change": MainPage(lambda r: "/accounts/password/change/"),
    "two-factor": MainPage(lambda r: "/accounts/2fa/"),
    "log-out": MainPage(lambda r: "/accounts/logout/"),
    "outside-card": MainPage(lambda r: "/certificates/outside/"),
    "verify": MainPage(lambda r: "/verify/", who=None),
    "verify-result": MainPage(lambda r: r.certificate.get_absolute_url(), who=None),
    "verify-not-found": MainPage(
        lambda r: "/verify/BLS-0000-0000-0000/", who=None, status=404
    ),
    "sign-up": MainPage(lambda r: "/accounts/signup/", who=None),
    "log-in": MainPage(lambda r: "/accounts/login/", who=None),
    "password-reset": MainPage(lambda r: "/accounts/password/reset/", who=None),
    "verification-sent": MainPage(lambda r: "/accounts/confirm-email/", who=None),
    "page-not-found": MainPage(lambda r: "/no-such-page/", who=None, status=404),
    "about": MainPage(lambda r: "/about/", who=None),
    "api-docs": MainPage(lambda r: "/api/v1/docs", who=None),
    "privacy": MainPage(lambda r: "/about/privacy/", who=None),
    "case-list": MainPage(lambda r: "/cases/acls/", who="player"),
    "case-briefing": MainPage(
        lambda r: r.cases.cases.acls.get_absolute_url(), who="player"
    ),
    "case-play": MainPage(
        lambda r: r.cases.in_progress.get_absolute_url(), who="player"
    ),
    "case-play-aed": MainPage(lambda r: r.cases.aed.get_absolute_url(), who="player"),
    "case-debrief": MainPage(lambda r: r.cases.failed.get_absolute_url(), who="player"),
}
STAFF_PAGES = {
    "admin-home": MainPage(lambda r: "/admin/", who="staff"),
    "admin-lesson-editor": MainPage(
        lambda r: f"/admin/courses/lesson/{r.curriculum.bls_lessons[1].pk}/change/",
        who="staff",
    ),
    "admin-cards": MainPage(
        lambda r: "/admin/certificates/externalcertificate/", who="staff"
    ),
    "admin-card": MainPage(
        lambda r: f"/admin/certificates/externalcertificate/{r.card.pk}/change/",
        who="staff",
    ),
    "admin-card-approve": MainPage(
        lambda r: (
            f"/admin/certificates/externalcertificate/{r.card.pk}/review/approve/"
        ),
        who="staff",
    ),
    "admin-exam": MainPage(
        lambda r: f"/admin/exams/exam/{r.curriculum.module_exam.pk}/change/",
        who="staff",
    ),
    "exam-statistics": MainPage(
        lambda r: f"/exams/{r.curriculum.module_exam.pk}/statistics/?sort=-facility",
        who="staff",
    ),
    "admin-users": MainPage(lambda r: "/admin/accounts/user/", who="staff"),
    "admin-certificates": MainPage(
        lambda r: "/admin/certificates/certificate/", who="staff"
    ),
    "case-statistics": MainPage(
        lambda r: f"/cases/statistics/{r.cases.cases.acls.pk}/", who="staff"
    ),
}
PAGES = {**LEARNER_PAGES, **STAFF_PAGES}


def open_page(page: Page, name: str, records: Records, base_url: str) -> None:
    main_page = PAGES[name]
    if main_page.who == "learner":
        sign_in(page.context, records.learner, base_url)
    elif main_page.who == "newcomer":
        sign_in(page.context, records.card.user, base_url)
    elif main_page.who == "player":
        sign_in(page.context, records.cases.cases.player, base_url)
    elif main_page.who == "staff":
        sign_in_staff(page.context, records.staff, base_url)
    response = page.goto(main_page.path(records))
    assert response is not None
    assert response.status == main_page.status, f"{name}: HTTP {response.status}"
    assert page.url.endswith(main_page.path(records)), f"{name}: sent to {page.url}"
    expect(page.locator("h1").first).to_be_visible()


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations_on_a_desktop(
    page: Page, records: Records, live_server, name: str
):
    open_page(page, name, records, live_server.url)
    screenshot(page, name)
    assert_accessible(page)


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_phone_screens_and_stays_accessible(
    phone_page: Page, records: Records, live_server, name: str
):
    open_page(phone_page, name, records, live_server.url)
    screenshot(phone_page, name)
    assert_no_horizontal_scroll(phone_page)
    assert_accessible(phone_page)
    phone_page.set_viewport_size({"width": 320, "height": 568})
    assert_no_horizontal_scroll(phone_page)
