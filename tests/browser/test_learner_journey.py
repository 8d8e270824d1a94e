"""A nurse's whole way through Lifeline in a real browser, on a desktop and on a
375 px phone: from "Sign up to enroll" on the BLS page to holding a verified BLS
certificate, rereading the course and being offered ACLS.

At every stage the page's up-next step (courses.steps) is asserted: the step the
course home leads with, where "Mark complete and continue" goes, what a result page
offers first, and the progress over lessons and exams.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import User
from certificates.models import Certificate
from courses.models import Enrollment, LessonView
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import (
    answer_exam,
    assert_no_horizontal_scroll,
    choice_texts,
    screenshot,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "maria.alvarez@example.org"
LEGAL_NAME = "Maria Alvarez"


def _up_next(page: Page):
    return page.locator("#up-next")


def _expect_up_next(page: Page, key: str, text: str) -> None:
    """The page leads with `key` (data-up-next) and names it."""
    expect(_up_next(page)).to_have_attribute("data-up-next", key)
    expect(_up_next(page)).to_contain_text(text)


def _expect_progress(page: Page, done: int, lessons: int, exams: int) -> None:
    expect(page.get_by_text(re.compile(r"^Progress: "))).to_have_text(
        f"Progress: {done} of 5 steps done ({lessons} of 3 lessons, {exams} of 2 exams)"
    )


def _sign_up_from_the_course_page(page: Page, mailoutbox) -> None:
    """ "Sign up to enroll" keeps the course through the e-mail's confirmation."""
    page.goto("/courses/bls/")
    page.get_by_role("link", name="Sign up to enroll").click()
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/courses/bls/"]
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^Sign up$", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("Verify", re.I)
    )
    (message,) = [m for m in mailoutbox if m.to == [EMAIL]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body)
    assert link, message.body
    # The link names the configured site; the test server listens elsewhere.
    parts = urlsplit(link.group(0))
    page.goto(parts.path + (f"?{parts.query}" if parts.query else ""))
    page.get_by_role("button", name="Confirm").click()
    # Back on the course page, signed in: enrolling is one click away.
    expect(page).to_have_url(re.compile(r"/courses/bls/$"))
    expect(page.get_by_role("button", name=re.compile("^Enrol"))).to_be_visible()


def _set_profile(page: Page) -> None:
    page.goto("/accounts/profile/")
    page.get_by_label("Legal full name").fill(LEGAL_NAME)
    page.get_by_label("Profession").select_option(label="Nurse")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")


def _take_exam(page: Page, *, right: int | None = None):
    expect(page.get_by_role("button", name="Submit for grading")).to_be_visible()
    attempt = answer_exam(page, right=right)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("result")
    return attempt


def _download_certificate(page: Page, certificate: Certificate) -> None:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Download")).first.click()
    download = download_info.value
    assert download.suggested_filename == f"Lifeline-{certificate.code}.pdf"
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert LEGAL_NAME in text
    assert certificate.code in text


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_nurse_signs_up_from_bls_studies_and_is_always_shown_the_next_step(
    new_context, curriculum: Curriculum, mailoutbox, phone: bool
):
    page = new_context(phone=phone).new_page()
    first, second, third = curriculum.bls_lessons
    quiz, final = curriculum.module_exam, curriculum.final_exam

    _sign_up_from_the_course_page(page, mailoutbox)
    page.get_by_role(
        "button", name=re.compile(r"^Enroll? in Basic Life Support")
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "You are enrolled in Basic Life Support."
    )
    learner = User.objects.get(email=EMAIL)

    # 1. A new enrollment starts with the first lesson; progress counts the exams.
    _expect_up_next(page, f"lesson-{first.pk}", first.title)
    _expect_progress(page, 0, 0, 0)
    screenshot(page, "journey-1-course-home-start")
    assert_no_horizontal_scroll(page)
    _up_next(page).get_by_role("link", name=f"Start lesson: {first.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)
    expect(
        page.get_by_text(f"Up next: {first.module.title} · lesson 2 of 2")
    ).to_be_visible()
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)

    # 2. Back home: the lesson opened and not finished is the one to continue.
    page.goto("/learn/bls/")
    _expect_up_next(page, f"lesson-{second.pk}", f"Continue lesson: {second.title}")
    _expect_progress(page, 1, 1, 0)
    _up_next(page).locator(".btn-primary").click()
    expect(page.get_by_role("table")).to_contain_text("100 to 120 per minute")

    # 3. The module's last lesson continues to the module's quiz, now open.
    expect(page.get_by_text("Up next: ")).to_contain_text(quiz.title)
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(quiz.title)
    screenshot(page, "journey-2-quiz-page")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name=f"Start {quiz.title}").click()
    _take_exam(page)
    expect(page.get_by_text("You scored 100%")).to_be_visible()

    # 4. A passed quiz leads to the next module, not to "Take it again".
    _expect_up_next(page, f"lesson-{third.pk}", f"Start lesson: {third.title}")
    main_buttons = page.locator(".btn-primary")
    expect(main_buttons.first).to_have_text(f"Start lesson: {third.title}")
    again = page.get_by_role("button", name="Take it again")
    expect(again).not_to_have_class(re.compile("btn-primary"))
    screenshot(page, "journey-3-quiz-passed")
    assert_no_horizontal_scroll(page)
    _up_next(page).locator(".btn-primary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(third.title)

    # 5. The last lesson of the course continues to the final exam.
    expect(page.get_by_text("Up next: ")).to_contain_text(final.title)
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(final.title)
    page.goto("/learn/bls/")
    _expect_up_next(page, f"exam-{final.pk}", f"Start {final.title}")
    _expect_progress(page, 4, 3, 1)
    # Each module card lists its lessons and its quiz, with a status each.
    module_card = page.locator(f"#module-{first.module_id}-card")
    expect(module_card).to_contain_text("Done")
    expect(module_card.locator(f"#exam-{quiz.pk}")).to_contain_text("Passed")
    screenshot(page, "journey-4-course-home-final-next")

    _set_profile(page)  # before the final: the certificate prints the legal name
    page.goto("/learn/bls/")
    _up_next(page).get_by_role("button", name=f"Start {final.title}").click()
    failed = _take_exam(page, right=2)

    # 6. A failed final: review, then retake. The page names lessons and counts,
    # never which questions or answers.
    expect(page.get_by_text("Not passed")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Up next: review, then retake")
    ).to_be_visible()
    missed = list(failed.items.filter(is_correct=False).order_by("position"))
    per_lesson: dict = {}
    for item in missed:
        per_lesson[item.question.review_lesson] = (
            per_lesson.get(item.question.review_lesson, 0) + 1
        )
    review = page.locator("[data-review-topics]")
    expect(review.get_by_role("listitem")).to_have_count(len(per_lesson))
    for lesson, count in per_lesson.items():
        expect(
            review.get_by_role("listitem").filter(has_text=lesson.title)
        ).to_have_text(f"{lesson.title}: {count} missed")
    main = page.get_by_role("main")
    for item in missed:
        expect(main).not_to_contain_text(item.question.text_md)
        for text in choice_texts(item, correct=True):
            expect(main).not_to_contain_text(text)
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    screenshot(page, "journey-5-final-not-passed")
    wait = page.locator("[data-retake-wait]")
    for lesson in per_lesson:
        wait.get_by_role("link", name=lesson.title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
        page.go_back()
    page.reload()
    expect(page.locator("[data-retake-wait]")).to_have_count(0)
    page.get_by_role("button", name="Try again").click()
    _take_exam(page)

    # 7. After the final, the certificate is the next step.
    expect(page.get_by_role("status")).to_contain_text(
        "Congratulations: you have completed Basic Life Support."
    )
    certificate = Certificate.objects.get(user=learner)
    assert certificate.holder_name == LEGAL_NAME
    _expect_up_next(page, "certificate", certificate.code)
    expect(_up_next(page).locator(".btn-primary")).to_have_text(
        "Download your certificate (PDF)"
    )
    screenshot(page, "journey-6-final-passed-certificate")
    assert_no_horizontal_scroll(page)
    if not phone:
        _download_certificate(page, certificate)

    # 8. Review mode: the completed course stays readable, read-only.
    page.goto("/learn/bls/")
    expect(page.locator("[data-review-mode]")).to_contain_text(
        "You completed Basic Life Support"
    )
    expect(page.locator("[data-review-mode]")).to_contain_text("Renewal opens on")
    page.locator(f"#module-{first.module_id}-card").get_by_role(
        "link", name=second.title
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)
    expect(page.locator("[data-review-mode]")).to_contain_text("Review mode")
    expect(page.get_by_role("button", name=re.compile("Mark complete"))).to_have_count(
        0
    )
    screenshot(page, "journey-7-review-mode")
    assert_no_horizontal_scroll(page)
    views = LessonView.objects.filter(enrollment__user=learner).count()
    page.reload()
    assert LessonView.objects.filter(enrollment__user=learner).count() == views
    assert Enrollment.objects.filter(user=learner).count() == 1

    # 9. The dashboard: the certificate with its actions, ACLS recommended.
    page.goto("/dashboard/")
    expect(page.get_by_text("You are not enrolled in any course yet")).to_have_count(0)
    card = page.locator(f'[data-certificate="{certificate.code}"]')
    expect(card).to_contain_text("Valid")
    expect(card).to_contain_text("Renewal opens on")
    expect(card.get_by_role("link", name=re.compile("^Download PDF"))).to_be_visible()
    expect(page.locator('[data-recommended="acls"]')).to_contain_text(
        "Advanced Cardiovascular Life Support"
    )
    screenshot(page, "journey-8-dashboard")
    assert_no_horizontal_scroll(page)
    verify_path = card.get_by_role("link", name=re.compile("^Verify")).get_attribute(
        "href"
    )

    # Anyone can check it, without an account.
    anonymous = new_context(phone=phone).new_page()
    anonymous.goto(verify_path)
    expect(anonymous.get_by_role("status")).to_contain_text("Valid.")
    expect(anonymous.get_by_text(LEGAL_NAME)).to_be_visible()

    # 10. With BLS held, ACLS opens: one click from the recommendation.
    page.locator('[data-recommended="acls"]').get_by_role("link").click()
    expect(page.get_by_text("Met", exact=True)).to_be_visible()
    page.get_by_role(
        "button", name=re.compile(r"^Enroll? in Advanced Cardiovascular Life Support")
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "You are enrolled in Advanced Cardiovascular Life Support."
    )
    _expect_up_next(
        page,
        f"lesson-{curriculum.acls_lesson.pk}",
        f"Start lesson: {curriculum.acls_lesson.title}",
    )
    assert Enrollment.objects.get(user=learner, course=curriculum.acls).is_open
