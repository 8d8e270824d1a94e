"""Staff at work in the admin, and what learners and the public then see: an author
publishes an edited lesson, a reviewer approves an outside BLS card, a reviewer revokes
a certificate."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from certificates.models import Certificate, ExternalCertificate
from certificates.services.issuing import certificate_issue
from courses.models import Enrollment
from courses.services import enrollment_create
from tests import factories
from tests.browser.curriculum import Curriculum
from tests.browser.helpers import log_in, screenshot, sign_in

pytestmark = pytest.mark.browser

ACLS = "Advanced Cardiovascular Life Support"


@pytest.fixture
def learner(curriculum: Curriculum) -> User:
    return factories.UserFactory(
        email="sam.okafor@example.org", legal_name="Sam Okafor"
    )


@pytest.fixture
def reviewer(curriculum: Curriculum) -> User:
    return factories.StaffFactory(email="reviewer@example.org", legal_name="Ada Reyes")


def _run_admin_action(page: Page, *, row_text: str, action: str) -> None:
    """Ticks the changelist row containing `row_text` and runs `action`."""
    row = page.get_by_role("row").filter(has_text=row_text)
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Run", exact=True).click()


def _card_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_author_edits_a_draft_lesson_with_preview_and_publishes_it(
    new_context, live_server, curriculum: Curriculum, learner: User, reviewer: User
):
    aed_module = curriculum.bls_lessons[-1].module
    draft = factories.LessonFactory(
        module=aed_module,
        slug="pad-placement",
        title="AED pad placement",
        order=2,
        is_published=False,
        body_md="To be written.",
    )
    enrollment_create(user=learner, course=curriculum.bls)
    learner_page = new_context().new_page()
    sign_in(learner_page.context, learner, live_server.url)
    learner_page.goto("/learn/bls/")
    expect(learner_page.get_by_role("link", name=draft.title)).to_have_count(0)

    author = new_context().new_page()
    log_in(author, reviewer.email)
    author.get_by_role("link", name="Admin").click()
    author.get_by_role("link", name="Lessons").click()
    author.get_by_role("link", name=draft.title).click()
    body = author.get_by_label("Body (Markdown)")
    body.fill(
        "## Where the pads go\n\n"
        "Place one pad **below the right collarbone** and the other on the left "
        "side of the chest, a few inches below the armpit.\n\n"
        "- Dry a wet chest first.\n"
        "- Remove medication patches; never place a pad over one.\n"
    )
    # The preview is the site's own renderer, fetched as the author types, shown
    # with the site's own stylesheet beside the Markdown.
    preview = author.frame_locator("#lesson-preview")
    expect(preview.get_by_role("heading", name="Where the pads go")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("below the right collarbone")
    # Styled as learners see it: the site's lesson font size, not the admin's.
    expect(preview.locator(".prose")).to_have_css("font-size", "17px")
    editor = author.locator("#id_body_md").bounding_box()
    frame = author.locator("#lesson-preview").bounding_box()
    assert frame["x"] > editor["x"] + editor["width"] - 1  # side by side
    assert abs(frame["y"] - editor["y"]) < 80
    screenshot(author, "admin-lesson-preview")
    author.get_by_label("Published").check()
    author.get_by_role("button", name="Save", exact=True).click()
    expect(author.get_by_text("was changed successfully")).to_be_visible()

    learner_page.reload()
    learner_page.get_by_role("link", name=draft.title).click()
    expect(learner_page.get_by_role("heading", level=1)).to_have_text(draft.title)
    expect(learner_page.get_by_text("Dry a wet chest first.")).to_be_visible()
    expect(learner_page.get_by_text("To be written.")).to_have_count(0)


def test_a_reviewer_approves_an_outside_bls_card_and_the_learner_enrols_in_acls(
    new_context, curriculum: Curriculum, learner: User, reviewer: User, mailoutbox
):
    today = timezone.localdate()
    page = new_context().new_page()
    log_in(page, learner.email)
    page.goto("/courses/acls/")
    page.get_by_role("link", name="Upload a current card from another provider").click()
    page.get_by_label("Course this card stands in for").select_option(
        label="Basic Life Support"
    )
    page.get_by_label("Issuing organization").fill("American Heart Association")
    page.get_by_label("Card or eCard number").fill("225512345678")
    page.get_by_label("Issue date").fill((today - timedelta(days=200)).isoformat())
    page.get_by_label("Expiry date").fill((today + timedelta(days=500)).isoformat())
    page.get_by_label("Scan or photo of the card").set_input_files(
        files=[{"name": "bls-card.png", "mimeType": "image/png", "buffer": _card_png()}]
    )
    page.get_by_role("button", name="Upload for review").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your Basic Life Support card is uploaded."
    )
    expect(page.get_by_text("Waiting for review")).to_be_visible()
    page.goto("/courses/acls/")
    expect(page.get_by_role("button", name=f"Enroll in {ACLS}")).to_have_count(0)

    staff = new_context().new_page()
    log_in(staff, reviewer.email)
    staff.goto("/admin/certificates/externalcertificate/")
    expect(staff.get_by_role("row").filter(has_text="225512345678")).to_be_visible()
    screenshot(staff, "admin-review-queue")
    _run_admin_action(staff, row_text="225512345678", action="Approve selected cards…")
    staff.get_by_label("Note to the learner").fill(
        "Checked with the issuing training centre."
    )
    staff.get_by_role("button", name="Approve 1 card").click()
    expect(staff.get_by_text("Approved 1 card(s)")).to_be_visible()

    card = ExternalCertificate.objects.get(user=learner)
    assert card.status == ExternalCertificate.Status.APPROVED
    assert card.reviewed_by == reviewer
    assert any(m.to == [learner.email] for m in mailoutbox)

    page.reload()
    expect(page.get_by_text("Met", exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Enroll in {ACLS}").click()
    expect(page.get_by_role("status")).to_contain_text(f"You are enrolled in {ACLS}.")
    assert Enrollment.objects.get(user=learner, course=curriculum.acls).is_open


def test_a_reviewer_revokes_a_certificate_and_it_stops_counting(
    new_context, live_server, curriculum: Curriculum, learner: User, reviewer: User
):
    completed = factories.EnrollmentFactory(
        user=learner,
        course=curriculum.bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    certificate = certificate_issue(enrollment=completed)
    anonymous = new_context().new_page()
    anonymous.goto(certificate.get_absolute_url())
    expect(anonymous.get_by_role("status")).to_contain_text("Valid.")

    # The learner has ACLS open, ready to enrol, while staff revoke their BLS.
    page = new_context().new_page()
    sign_in(page.context, learner, live_server.url)
    page.goto("/courses/acls/")
    enrol = page.get_by_role("button", name=f"Enroll in {ACLS}")
    expect(enrol).to_be_visible()

    staff = new_context().new_page()
    log_in(staff, reviewer.email)
    staff.goto("/admin/certificates/certificate/")
    _run_admin_action(
        staff, row_text=certificate.code, action="Revoke selected certificates…"
    )
    staff.get_by_label("Reason for revoking").fill(
        "Issued in error: the final exam was taken by someone else."
    )
    staff.get_by_role("button", name="Revoke 1 certificate").click()
    expect(staff.get_by_text("Revoked 1 certificate(s).")).to_be_visible()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_by == reviewer

    anonymous.reload()
    expect(anonymous.get_by_role("status")).to_contain_text("Revoked.")
    expect(anonymous.get_by_text("Valid.", exact=True)).to_have_count(0)
    screenshot(anonymous, "verify-revoked")

    # The page still offers to enrol; the server checks again and refuses.
    enrol.click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"{ACLS} requires a current certificate in Basic Life Support."
    )
    expect(page.get_by_text("Missing")).to_be_visible()
    assert not Enrollment.objects.filter(user=learner, course=curriculum.acls).exists()
