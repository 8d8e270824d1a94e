"""Every main page, at desktop and phone size: no serious or critical axe-core
violation, nothing to scroll sideways on a 375px-wide phone, and a screenshot of each
in test-artifacts/screenshots/.

The learner's records are written through the services (the journeys drive the same
steps through the browser), so each page shows realistic content: progress, a failed
and a passed attempt, an exam in progress, an issued certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Profession, User
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from courses.models import Enrollment
from courses.services import enrollment_create, lesson_complete, lesson_open
from exams.models import Attempt, Exam
from exams.services import exam_attempt_start, exam_attempt_submit
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    sign_in,
)
from tests.exams.conftest import ready_to_retake

pytestmark = pytest.mark.browser


@dataclass
class Records:
    learner: User
    failed: Attempt
    passed: Attempt
    in_progress: Attempt
    certificate: Certificate


def _graded(*, user: User, exam: Exam, right: bool) -> Attempt:
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = {
        item.position: next(c["key"] for c in item.choices if c["correct"] is right)
        for item in attempt.items.all()
    }
    return exam_attempt_submit(attempt=attempt, answers=answers).attempt


@pytest.fixture
def records(curriculum: Curriculum) -> Records:
    """A nurse halfway through BLS (module exam failed once, then passed; the final
    exam in progress) who already holds a CPR/AED certificate."""
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
    completed = factories.EnrollmentFactory(
        user=learner,
        course=curriculum.cpr,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    return Records(
        learner=learner,
        failed=failed,
        passed=passed,
        in_progress=in_progress,
        certificate=certificate_issue(enrollment=completed),
    )


@dataclass(frozen=True)
class MainPage:
    """A page to check: where it is, whether the learner is signed in, and the
    heading that proves it rendered."""

    path: Callable[[Records], str]
    heading: str
    signed_in: bool = True


PAGES = {
    "catalog": MainPage(
        lambda r: "/",
        "Life support courses you can finish at your own pace",
        signed_in=False,
    ),
    "catalog-recommended": MainPage(
        lambda r: "/", "Life support courses you can finish at your own pace"
    ),
    "course": MainPage(
        lambda r: "/courses/bls/", "Basic Life Support", signed_in=False
    ),
    "course-prerequisite-missing": MainPage(
        lambda r: "/courses/acls/", "Advanced Cardiovascular Life Support"
    ),
    "course-home": MainPage(lambda r: "/learn/bls/", "Basic Life Support"),
    "lesson": MainPage(
        lambda r: "/learn/bls/adult-cpr/adult-compressions/",
        "High-quality chest compressions",
    ),
    "exam": MainPage(lambda r: r.in_progress.get_absolute_url(), "BLS final exam"),
    "result-not-passed": MainPage(
        lambda r: r.failed.get_absolute_url(), "Adult CPR check: result"
    ),
    "result-passed": MainPage(
        lambda r: r.passed.get_absolute_url(), "Adult CPR check: result"
    ),
    "exam-history": MainPage(
        lambda r: f"/exams/{r.passed.exam_id}/history/", "Adult CPR check"
    ),
    "dashboard": MainPage(lambda r: "/dashboard/", "Your dashboard"),
    "profile": MainPage(lambda r: "/accounts/profile/", "Your profile"),
    "outside-card": MainPage(
        lambda r: "/certificates/outside/",
        "Use a certificate from another provider",
    ),
    "verify": MainPage(lambda r: "/verify/", "Verify a certificate", signed_in=False),
    "verify-result": MainPage(
        lambda r: r.certificate.get_absolute_url(), "Certificate", signed_in=False
    ),
    "sign-up": MainPage(lambda r: "/accounts/signup/", "Sign Up", signed_in=False),
    "log-in": MainPage(lambda r: "/accounts/login/", "Sign In", signed_in=False),
}


def _open(page: Page, name: str, records: Records, live_server) -> None:
    main_page = PAGES[name]
    if main_page.signed_in:
        sign_in(page.context, records.learner, live_server.url)
    response = page.goto(main_page.path(records))
    assert response is not None
    assert response.ok, f"{name}: HTTP {response.status} at {page.url}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(main_page.heading)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations_on_a_desktop(
    page: Page, records: Records, live_server, name: str
):
    _open(page, name, records, live_server)
    screenshot(page, name)
    assert_accessible(page)


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_screen_and_stays_accessible(
    phone_page: Page, records: Records, live_server, name: str
):
    _open(phone_page, name, records, live_server)
    screenshot(phone_page, name)
    assert_no_horizontal_scroll(phone_page)
    assert_accessible(phone_page)
