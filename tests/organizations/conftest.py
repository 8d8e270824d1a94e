"""Fixtures for organizations: Mercy Hospital, its administrator, job roles and
required courses, and ways to give a member a certificate expiring on a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from certificates.models import Certificate
from core.dates import site_today
from courses.models import Enrollment
from organizations.models import Membership, SkillsCheck
from organizations.services import skills_check_record
from tests import factories


@pytest.fixture
def today() -> date:
    return site_today()


@pytest.fixture
def organization(db):
    return factories.OrganizationFactory(name="Mercy Hospital", slug="mercy")


@pytest.fixture
def nurse(organization):
    return factories.JobRoleFactory(organization=organization, name="Nurse")


@pytest.fixture
def clerical(organization):
    return factories.JobRoleFactory(organization=organization, name="Clerical")


@pytest.fixture
def org_admin(organization):
    """The nurse educator who administers Mercy Hospital (not sharing a status)."""
    user = factories.UserFactory(
        email="educator@mercy.example.org", legal_name="Erin Educator"
    )
    factories.MembershipFactory(
        organization=organization,
        user=user,
        role=Membership.Role.ADMIN,
        consent_given_at=None,
    )
    return user


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    client.user = org_admin
    return client


@pytest.fixture
def cpr(db):
    return factories.CourseFactory(slug="cpr-aed", title="CPR and AED", code="CPR")


@pytest.fixture
def required(organization, bls, acls, nurse):
    """BLS is required of everyone within 30 days; ACLS of nurses within 60."""
    return [
        factories.RequirementFactory(organization=organization, course=bls),
        factories.RequirementFactory(
            organization=organization, course=acls, job_role=nurse, due_within_days=60
        ),
    ]


def member(organization, *, job_role=None, sharing=True, **user):
    """A member of `organization` (sharing their status unless sharing=False)."""
    membership = factories.MembershipFactory(
        organization=organization,
        user=factories.UserFactory(**user),
        job_role=job_role,
    )
    if not sharing:
        Membership.objects.filter(pk=membership.pk).update(consent_given_at=None)
        membership.refresh_from_db()
    return membership


def certify(user, course, *, expires_on: date, revoked: bool = False) -> Certificate:
    """A certificate of ours for `user` in `course`, expiring on `expires_on`."""
    certificate = factories.CertificateFactory(
        enrollment=factories.EnrollmentFactory(
            user=user,
            course=course,
            status=Enrollment.Status.COMPLETED,
            completed_at=factories.timezone.now(),
        ),
        issued_on=expires_on - timedelta(days=730),
        expires_on=expires_on,
    )
    if revoked:
        Certificate.objects.filter(pk=certificate.pk).update(
            status=Certificate.Status.REVOKED,
            revoked_at=factories.timezone.now(),
            revoke_reason="Issued in error.",
        )
    return certificate


def check_not_passed(organization, membership, course, *, by) -> SkillsCheck:
    """A skills check recorded by instructor `by`, not passed, of a checklist of one
    item "rate" (it can be recorded again)."""
    return skills_check_record(
        organization=organization,
        membership=membership,
        course=course,
        checked_on=site_today(),
        location="Lab",
        results={"rate": False},
        passed=False,
        attested=True,
        by=by,
    )
