"""The organizations' pages on a desktop and on a 375 px phone: axe-core finds no
violation and nothing scrolls sideways (the matrix scrolls inside its own region).
The walk from invitation to export, and screenshots, are part 2's (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.dates import site_today
from organizations.models import Membership
from organizations.services import invitation_create, join_link_create
from tests import factories
from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
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
    return {
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
    ):
        page.goto(path)
        assert_accessible(page)
        if phone:
            assert_no_horizontal_scroll(page)

    learner = new_context(phone=phone)
    sign_in(learner, mercy["learner"], live_server.url)
    page = learner.new_page()
    for path in ("/organizations/", mercy["join"]):
        page.goto(path)
        assert_accessible(page)
        if phone:
            assert_no_horizontal_scroll(page)
