"""Organizations in a browser (issue 17): an administrator from invitation to
export, and an instructor recording a skills check that the certificate then
states, on a desktop and on a 375 px phone. Every page passes axe-core; nothing
scrolls sideways on the phone. The dashboard and the skills-verified certificate
are saved as screenshots (test-artifacts/screenshots/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.utils import timezone
from playwright.sync_api import expect

from certificates.services.issuing import certificate_issue
from core.dates import format_day, site_today
from organizations.models import Membership, SkillItem, SkillsCheck
from tests import factories
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    open_menu,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


def _check(page, *, phone: bool) -> None:
    assert_accessible(page)
    if phone:
        assert_no_horizontal_scroll(page)


@pytest.fixture
def mercy(transactional_db):
    bls = factories.CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    factories.LessonFactory(module=factories.ModuleFactory(course=bls))
    organization = factories.OrganizationFactory(name="Mercy Hospital", slug="mercy")
    admin = factories.UserFactory(legal_name="Erin Educator")
    factories.MembershipFactory(
        organization=organization,
        user=admin,
        role=Membership.Role.ADMIN,
        consent_given_at=None,
    )
    # Colleagues already sharing, so the dashboard has rows of each kind.
    today = site_today()
    for n, (name, days) in enumerate(
        [("Ana Alvarez", 400), ("Ben Brooks", 45), ("Cara Chen", -3), ("Dev Das", None)]
    ):
        membership = factories.MembershipFactory(
            organization=organization, user=factories.UserFactory(legal_name=name)
        )
        if days is not None:
            factories.CertificateFactory(
                enrollment=factories.EnrollmentFactory(
                    user=membership.user,
                    course=bls,
                    status="completed",
                    completed_at=timezone.now(),
                ),
                # Two years' validity, ending `days` from today (before today
                # for the lapsed one), so issue always precedes expiry.
                issued_on=today + timezone.timedelta(days=days - 730),
                expires_on=today + timezone.timedelta(days=days),
                code=f"BLS-AAA{n}-BBBB-CCCC",
            )
    learner = factories.UserFactory(
        email="nina.nurse@example.org", legal_name="Nina Nurse"
    )
    return {
        "bls": bls,
        "organization": organization,
        "admin": admin,
        "learner": learner,
    }


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_administrator_from_invitation_to_export(
    new_context, live_server, mercy, phone
):
    admin = new_context(phone=phone)
    sign_in(admin, mercy["admin"], live_server.url)
    page = admin.new_page()

    # Required courses: a job role, then BLS of everyone.
    page.goto("/organizations/mercy/requirements/")
    _check(page, phone=phone)
    page.get_by_label("New job role").fill("Nurse")
    page.get_by_role("button", name="Add the job role").click()
    expect(page.get_by_text("Job role “Nurse” added.")).to_be_visible()
    page.get_by_label("Course", exact=True).select_option(label="Basic Life Support")
    page.get_by_role("button", name="Require it").click()
    expect(page.get_by_text("Basic Life Support is required.")).to_be_visible()

    # Invite one person.
    page.goto("/organizations/mercy/invitations/")
    _check(page, phone=phone)
    page.get_by_label("E-mail address", exact=True).fill("nina.nurse@example.org")
    page.get_by_label(re.compile("^Job role")).select_option(label="Nurse")
    page.get_by_role("button", name="Send invitation", exact=True).click()
    expect(
        page.get_by_text("Invitation sent to nina.nurse@example.org.")
    ).to_be_visible()

    # She accepts from her account, sharing her status.
    learner = new_context(phone=phone)
    sign_in(learner, mercy["learner"], live_server.url)
    mine = learner.new_page()
    mine.goto("/organizations/")
    _check(mine, phone=phone)
    mine.get_by_label("Share my certificate status with Mercy Hospital").check()
    mine.get_by_role("button", name="Join Mercy Hospital").click()
    expect(
        mine.get_by_text("You joined Mercy Hospital and share your certificate status")
    ).to_be_visible()

    # The dashboard shows her, not started, with the organization's totals.
    page.goto("/organizations/mercy/")
    _check(page, phone=phone)
    expect(page.locator("[data-totals]")).to_contain_text("compliant")
    row = page.get_by_role("row", name=re.compile("Nina Nurse"))
    expect(row).to_contain_text("Not started")
    expect(row).to_contain_text("Nurse")
    screenshot(page, "organization-dashboard")

    # Filtered to the members not compliant, then exported.
    page.get_by_label("Status", exact=True).select_option(label="Not compliant")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name=re.compile("Ana Alvarez"))).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "nina.nurse@example.org" in text
    assert "Cara Chen" in text and "Ana Alvarez" not in text


@pytest.fixture
def checked(transactional_db, settings):
    """Mercy Hospital's instructor, and a nurse who completed BLS online and holds
    its certificate; BLS has the repository's skills checklist."""
    bls = factories.CourseFactory(
        slug="bls", title="Basic Life Support (BLS)", code="BLS"
    )
    factories.LessonFactory(module=factories.ModuleFactory(course=bls))
    items = yaml.safe_load(
        (Path(settings.CONTENT_DIR) / "bls" / "skills.yaml").read_text()
    )["items"]
    for order, item in enumerate(items):
        SkillItem.objects.create(
            course=bls,
            key=item["id"],
            title=item["title"],
            criterion=item["criterion"],
            order=order,
        )
    # The issuer as a production site states it (docs/OPERATIONS.md).
    settings.CERTIFICATE_ISSUER_NAME = "Lifeline Education Inc."
    settings.CERTIFICATE_ISSUER_ADDRESS = "1 Example Plaza, Springfield, IL 62701"
    settings.CERTIFICATE_ISSUER_CONTACT = "registrar@lifeline.example"
    settings.CERTIFICATE_SIGNER_NAME = "Dr. Ada Example, MD"
    settings.CERTIFICATE_SIGNER_TITLE = "Medical Director"
    organization = factories.OrganizationFactory(name="Mercy Hospital", slug="mercy")
    instructor = factories.UserFactory(legal_name="Ivan Ortiz")
    factories.MembershipFactory(
        organization=organization,
        user=instructor,
        role=Membership.Role.INSTRUCTOR,
        consent_given_at=None,
    )
    nurse = factories.UserFactory(legal_name="Nora Quinn", licence_number="RN 448812")
    membership = factories.MembershipFactory(organization=organization, user=nurse)
    certificate = certificate_issue(
        enrollment=factories.EnrollmentFactory(
            user=nurse,
            course=bls,
            status="completed",
            completed_at=timezone.now() - timezone.timedelta(days=2),
        )
    )
    return {
        "instructor": instructor,
        "membership": membership,
        "certificate": certificate,
        "items": items,
    }


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_an_instructor_records_a_skills_check_the_certificate_states(
    new_context, live_server, checked, phone
):
    context = new_context(phone=phone)
    sign_in(context, checked["instructor"], live_server.url)
    page = context.new_page()
    page.goto("/")
    if phone:
        open_menu(page)
    page.get_by_role("link", name="Mercy Hospital").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mercy Hospital: skills checks"
    )
    _check(page, phone=phone)
    row = page.get_by_role("row", name=re.compile("Nora Quinn"))
    expect(row).to_contain_text("Not checked")
    row.get_by_role("link", name=re.compile("Record a check")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Basic Life Support (BLS) skills check"
    )
    _check(page, phone=phone)
    page.get_by_label("Where", exact=True).fill("Skills lab, 3rd floor")
    for item in checked["items"]:
        page.get_by_role("group", name=item["title"], exact=True).get_by_label(
            "Pass", exact=True
        ).check()
    page.get_by_role("group", name="Overall result").get_by_label(
        "Pass", exact=True
    ).check()
    page.get_by_label(re.compile("^Note")).fill(
        "Consistent depth on the feedback manikin."
    )
    page.get_by_label(re.compile("I, Ivan Ortiz, observed Nora Quinn")).check()
    screenshot(page, "skills-check-record")
    page.get_by_role("button", name="Record the check").click()
    expect(page.get_by_text("Recorded: Nora Quinn passed")).to_be_visible()
    _check(page, phone=phone)
    assert SkillsCheck.objects.get().passed

    # Anyone can verify it, without an account: the certificate states the check.
    page = new_context(phone=phone).new_page()
    page.goto(checked["certificate"].get_absolute_url())
    statement = (
        "Online course and hands-on skills check (instructor Ivan Ortiz, Mercy "
        f"Hospital, {format_day(site_today())})."
    )
    expect(page.get_by_text(statement)).to_be_visible()
    _check(page, phone=phone)
    screenshot(page, "certificate-skills-verified")
