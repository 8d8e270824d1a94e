"""The organizations' pages on a desktop and on a 375 px phone: axe-core finds no
violation and nothing scrolls sideways (the matrix scrolls inside its own region).
The journeys (invitation to export, a skills check) are in
test_organization_journeys.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.dates import site_today
from organizations.models import Membership, SkillItem
from organizations.services import (
    api_token_create,
    api_token_revoke,
    invitation_create,
    join_link_create,
    seat_assign,
    seats_issue,
)
from tests import factories
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def mercy(transactional_db):
    today = site_today()
    bls = factories.CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    factories.LessonFactory(module=factories.ModuleFactory(course=bls))
    acls = factories.CourseFactory(
        slug="acls", title="Advanced Cardiovascular Life Support", code="ACLS"
    )
    organization = factories.OrganizationFactory(name="Mercy Hospital", slug="mercy")
    nurse = factories.JobRoleFactory(organization=organization, name="Nurse")
    factories.RequirementFactory(organization=organization, course=bls)
    factories.RequirementFactory(organization=organization, course=acls, job_role=nurse)
    admin = factories.UserFactory(legal_name="Erin Educator")
    factories.MembershipFactory(
        organization=organization,
        user=admin,
        role=Membership.Role.ADMIN,
        consent_given_at=None,
    )
    members = []
    for n, days in enumerate([400, 60, -1, None]):
        membership = factories.MembershipFactory(
            organization=organization, job_role=nurse if n % 2 else None
        )
        members.append(membership)
        if days is not None:
            factories.CertificateFactory(
                enrollment=factories.EnrollmentFactory(
                    user=membership.user,
                    course=bls,
                    status="completed",
                    completed_at=factories.timezone.now(),
                ),
                issued_on=today + timedelta(days=days - 730),
                expires_on=today + timedelta(days=days),
            )
    invitation_create(organization=organization, email="new@example.org", by=admin)
    link = join_link_create(organization=organization, by=admin, label="ICU huddle")
    learner = factories.UserFactory(email="invited@example.org")
    invitation_create(organization=organization, email=learner.email, by=admin)
    # Seats: BLS seats, one given to the first member (a code waiting for them).
    seats_issue(organization=organization, course=bls, quantity=5, by=admin)
    seat_assign(
        organization=organization,
        membership=members[0],
        course_id=bls.pk,
        bundle_id=None,
        by=admin,
    )
    # Skills checks: BLS has a checklist; an instructor checks the members.
    for order, key in enumerate(["rate", "depth", "recoil"]):
        SkillItem.objects.create(
            course=bls,
            key=key,
            title=f"Adult compressions: {key}",
            criterion=f"The {key} criterion.",
            order=order,
        )
    instructor = factories.UserFactory(legal_name="Ivan Instructor")
    factories.MembershipFactory(
        organization=organization,
        user=instructor,
        role=Membership.Role.INSTRUCTOR,
        consent_given_at=None,
    )
    # API tokens: one in use, one revoked.
    api_token_create(organization=organization, name="Staffing system", by=admin)
    old = api_token_create(organization=organization, name="Old HR feed", by=admin)
    api_token_revoke(token=old.token, by=admin)
    return {
        "token": old.token,
        "instructor": instructor,
        "admin": admin,
        "learner": learner,
        "member": members[0],
        "join": "/" + link.url.split("/", 3)[3],
    }


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_organization_pages_are_accessible_and_fit(
    new_context, live_server, mercy, phone
):
    context = new_context(phone=phone)
    sign_in(context, mercy["admin"], live_server.url)
    page = context.new_page()
    for path in (
        "/organizations/mercy/",
        "/organizations/mercy/?status=not_compliant&sort=expiry",
        f"/organizations/mercy/members/{mercy['member'].pk}/",
        "/organizations/mercy/invitations/",
        "/organizations/mercy/join-links/",
        "/organizations/mercy/requirements/",
        "/organizations/mercy/seats/",
        "/organizations/mercy/skills/",
        "/organizations/mercy/api-tokens/",
        f"/organizations/mercy/api-tokens/{mercy['token'].pk}/revoke/",
    ):
        page.goto(path)
        assert_accessible(page)
        if phone:
            assert_no_horizontal_scroll(page)

    instructor = new_context(phone=phone)
    sign_in(instructor, mercy["instructor"], live_server.url)
    page = instructor.new_page()
    for path in (
        "/organizations/mercy/skills/",
        f"/organizations/mercy/skills/{mercy['member'].pk}/bls/record/",
    ):
        page.goto(path)
        assert_accessible(page)
        if phone:
            assert_no_horizontal_scroll(page)

    learner = new_context(phone=phone)
    sign_in(learner, mercy["learner"], live_server.url)
    page = learner.new_page()
    for path in ("/organizations/", mercy["join"], "/organizations/seats/"):
        page.goto(path)
        assert_accessible(page)
        if phone:
            assert_no_horizontal_scroll(page)


def test_organization_pages_are_valid_html(mercy, tmp_path):
    import json
    import subprocess
    from pathlib import Path

    from django.test import Client

    from tests.browser.test_html_valid import _checker

    command = _checker()
    pages = tmp_path / "pages"
    pages.mkdir()
    admin, learner, instructor, holder = Client(), Client(), Client(), Client()
    admin.force_login(mercy["admin"])
    learner.force_login(mercy["learner"])
    instructor.force_login(mercy["instructor"])
    holder.force_login(mercy["member"].user)
    for name, client, path in (
        ("dashboard", admin, "/organizations/mercy/"),
        ("member", admin, f"/organizations/mercy/members/{mercy['member'].pk}/"),
        ("invitations", admin, "/organizations/mercy/invitations/"),
        ("join-links", admin, "/organizations/mercy/join-links/"),
        ("requirements", admin, "/organizations/mercy/requirements/"),
        ("seats", admin, "/organizations/mercy/seats/"),
        ("api-tokens", admin, "/organizations/mercy/api-tokens/"),
        (
            "api-token-revoke",
            admin,
            f"/organizations/mercy/api-tokens/{mercy['token'].pk}/revoke/",
        ),
        ("skills", instructor, "/organizations/mercy/skills/"),
        (
            "skills-record",
            instructor,
            f"/organizations/mercy/skills/{mercy['member'].pk}/bls/record/",
        ),
        ("seat-redeem", holder, "/organizations/seats/"),
        ("yours", learner, "/organizations/"),
        ("join", learner, mercy["join"]),
    ):
        response = client.get(path)
        assert response.status_code == 200, name
        (pages / f"{name}.html").write_bytes(response.content)
    result = subprocess.run(
        [*command, "--format", "json", "--exit-zero-always", str(pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)
    errors = [
        f"{Path(m['url']).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_new_api_token_is_shown_once_with_a_copy_button(
    new_context, live_server, mercy, phone
):
    context = new_context(phone=phone)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(context, mercy["admin"], live_server.url)
    page = context.new_page()
    page.goto("/organizations/mercy/api-tokens/")
    page.get_by_label("Name").fill("Rostering app")
    page.get_by_role("button", name="Create the token").click()
    shown = page.locator("#new-token")
    secret = shown.inner_text().strip()
    assert secret.startswith("lifeline_org_")
    copy = page.get_by_role("button", name="Copy the token")
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert page.locator("[data-copy-status]").inner_text() == "Copied."
    assert_accessible(page)
    if phone:
        assert_no_horizontal_scroll(page)
    screenshot(page, "organization-api-tokens")
    # Opening the page again shows the token in the list, never its key.
    page.goto("/organizations/mercy/api-tokens/")
    assert secret not in page.content()
    assert "Rostering app" in page.content()
