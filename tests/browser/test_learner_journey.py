"""A nurse's whole way through Lifeline in a real browser: from signing up to holding
a verified BLS certificate and starting ACLS."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import User
from certificates.models import Certificate
from courses.models import Enrollment
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    answer_exam,
    choice_texts,
    log_in,
    log_out,
    screenshot,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "maria.alvarez@example.org"
LEGAL_NAME = "Maria Alvarez"


def _sign_up_and_verify(page: Page, mailoutbox) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")

    (message,) = [m for m in mailoutbox if m.to == [EMAIL]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body)
    assert link, message.body
    # The link names the configured site; the test server listens elsewhere.
    page.goto(urlsplit(link.group(0)).path)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _set_profile(page: Page) -> None:
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Legal full name").fill(LEGAL_NAME)
    page.get_by_label("Profession").select_option(label="Nurse")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")


def _study_module(page: Page, curriculum: Curriculum) -> None:
    """Reads the first lesson, logs out and back in, resumes, finishes the rest."""
    first, second, third = curriculum.bls_lessons
    page.get_by_role("link", name=f"Next lesson: {first.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)
    expect(
        page.get_by_role("heading", name="Check breathing and pulse")
    ).to_be_visible()
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)

    log_out(page)
    log_in(page, EMAIL)
    page.get_by_role("link", name="Continue Basic Life Support").click()
    expect(page.get_by_text("Lessons completed: 1 of 3")).to_be_visible()
    page.get_by_role("link", name=f"Resume: {second.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)
    expect(page.get_by_role("table")).to_contain_text("100 to 120 per minute")
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(third.title)
    page.get_by_role("button", name="Mark complete", exact=True).click()
    expect(page.get_by_text("Lessons completed: 3 of 3")).to_be_visible()


def _take_exam(page: Page, button: str, *, right: int | None = None):
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("button", name="Submit for grading")).to_be_visible()
    attempt = answer_exam(page, right=right)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("result")
    return attempt


def _download_certificate(page: Page, certificate: Certificate) -> None:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"Lifeline-{certificate.code}.pdf"
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert LEGAL_NAME in text
    assert certificate.code in text


def test_a_nurse_signs_up_studies_fails_passes_and_is_certified(
    new_context, curriculum: Curriculum, mailoutbox
):
    page = new_context().new_page()

    _sign_up_and_verify(page, mailoutbox)
    _set_profile(page)

    # The catalog recommends what a nurse needs.
    page.get_by_role("link", name="Catalog", exact=True).click()
    recommendation = page.get_by_text("For nurse, we recommend")
    expect(recommendation).to_contain_text(
        "Basic Life Support, then Advanced Cardiovascular Life Support"
    )
    bls_card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Basic Life Support")
    )
    expect(bls_card.get_by_text("Recommended for you")).to_be_visible()

    # ACLS first: refused until BLS is held, and the page says how to get it.
    page.get_by_role("link", name="Advanced Cardiovascular Life Support").first.click()
    expect(page.get_by_text("Missing")).to_be_visible()
    expect(
        page.get_by_text(
            "Advanced Cardiovascular Life Support requires a current Basic Life "
            "Support certificate."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Enrol"))).to_have_count(0)

    page.get_by_role("link", name="Take Basic Life Support with Lifeline").click()
    page.get_by_role("button", name="Enroll in Basic Life Support").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You are enrolled in Basic Life Support."
    )
    _study_module(page, curriculum)
    screenshot(page, "journey-course-home")

    module_attempt = _take_exam(page, "Start Adult CPR check")
    expect(page.get_by_text("You scored 100%")).to_be_visible()

    # The final exam, failed: the result counts the misses per lesson to review,
    # never which questions or answers.
    page.get_by_role("link", name="Back to Basic Life Support").click()
    failed = _take_exam(page, "Start BLS final exam", right=2)
    expect(page.get_by_text("Not passed")).to_be_visible()
    expect(page.get_by_text("You scored 40%")).to_be_visible()
    missed = list(failed.items.filter(is_correct=False).order_by("position"))
    assert len(missed) == 3
    per_lesson: dict = {}
    for item in missed:
        lesson = item.question.review_lesson
        per_lesson[lesson] = per_lesson.get(lesson, 0) + 1
    review = page.locator("[data-review-topics]")
    expect(review.get_by_role("listitem")).to_have_count(len(per_lesson))
    for lesson, count in per_lesson.items():
        expect(
            review.get_by_role("listitem").filter(has_text=lesson.title)
        ).to_have_text(f"{lesson.title}: {count} missed")
    main = page.get_by_role("main")
    for item in missed:
        expect(main).not_to_contain_text(item.question.text_md)
        expect(main).not_to_contain_text(item.topic)
        for text in choice_texts(item, correct=True):
            expect(main).not_to_contain_text(text)
    expect(page.get_by_text("Correct answer", exact=True)).to_have_count(0)
    # The retake opens once those lessons are opened: no "Try again" until then.
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    screenshot(page, "final-exam-not-passed")
    wait = page.locator("[data-retake-wait]")
    for lesson in per_lesson:
        wait.get_by_role("link", name=lesson.title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
        page.go_back()
    page.reload()
    expect(page.locator("[data-retake-wait]")).to_have_count(0)

    # Retake and pass: the course is complete and the certificate issued.
    passed = _take_exam(page, "Try again")
    assert passed.pk not in (failed.pk, module_attempt.pk)
    expect(page.get_by_text("You scored 100%")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Congratulations: you have completed Basic Life Support."
    )
    screenshot(page, "journey-result-passed")

    learner = User.objects.get(email=EMAIL)
    certificate = Certificate.objects.get(user=learner)
    assert certificate.holder_name == LEGAL_NAME
    assert any(certificate.code in m.body for m in mailoutbox if m.to == [EMAIL])

    page.get_by_role("link", name="your dashboard").click()
    row = page.get_by_role("listitem").filter(has_text=certificate.code)
    expect(row).to_contain_text("Valid")
    screenshot(page, "journey-dashboard")
    _download_certificate(page, certificate)
    verify_path = row.get_by_role("link", name="Verify").get_attribute("href")

    # Anyone can check it, without an account.
    anonymous = new_context().new_page()
    anonymous.goto(verify_path)
    expect(anonymous.get_by_role("status")).to_contain_text("Valid.")
    expect(anonymous.get_by_text(LEGAL_NAME)).to_be_visible()
    expect(anonymous.get_by_text("Basic Life Support", exact=True)).to_be_visible()

    # With BLS held, ACLS opens.
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="Advanced Cardiovascular Life Support").first.click()
    expect(page.get_by_text("Met", exact=True)).to_be_visible()
    page.get_by_role(
        "button", name="Enroll in Advanced Cardiovascular Life Support"
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "You are enrolled in Advanced Cardiovascular Life Support."
    )
    expect(
        page.get_by_role("link", name=f"Next lesson: {curriculum.acls_lesson.title}")
    ).to_be_visible()
    assert Enrollment.objects.get(user=learner, course=curriculum.acls).is_open
