"""Site staff manage organizations in the admin; every change is in the audit
trail, and no one there can give consent on a member's behalf."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import Membership, Organization
from tests import factories
from tests.organizations.conftest import member

pytestmark = pytest.mark.django_db


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def test_staff_create_an_organization_with_its_first_administrator(staff_client, staff):
    educator = factories.UserFactory(email="educator@county-ems.example.org")
    data = {
        "name": "County EMS",
        "slug": "county-ems",
        "contact_name": "Training officer",
        "contact_email": "training@county-ems.example.org",
        **inline("job_roles", [{"name": "Paramedic"}]),
        **inline("requirements", []),
        **inline("memberships", [{"user": educator.pk, "role": "admin"}]),
    }

    response = staff_client.post(reverse("admin:organizations_organization_add"), data)

    assert response.status_code == 302, (
        response.context["errors"] if response.context else ""
    )
    organization = Organization.objects.get(slug="county-ems")
    membership = Membership.objects.get(organization=organization)
    assert (membership.user, membership.role) == (educator, "admin")
    assert membership.consent_given_at is None  # only the member can give it
    trail = AuditEvent.objects.order_by("pk")
    assert list(trail.values_list("action", "actor_id")) == [
        ("organization.changed", staff.pk),
        ("membership.joined", staff.pk),
        ("organization.changed", staff.pk),
    ]
    assert trail.filter(action="membership.joined").get().data["via"] == "staff"
    assert "Paramedic" in str(trail.last().data["related"])


def test_a_role_changed_in_the_admin_is_recorded_with_old_and_new(
    staff_client, staff, organization
):
    someone = member(organization)
    url = reverse("admin:organizations_membership_change", args=[someone.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="consent_given_at"' not in page  # read-only

    staff_client.post(url, {"role": "instructor", "job_role": ""})

    someone.refresh_from_db()
    assert someone.role == "instructor"
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert (event.actor, event.subject) == (staff, someone.user)
    assert event.data["changes"] == {"role": {"from": "member", "to": "instructor"}}


def test_reserved_addresses_are_refused(staff_client):
    data = {
        "name": "Join",
        "slug": "join",
        **inline("job_roles", []),
        **inline("requirements", []),
        **inline("memberships", []),
    }
    response = staff_client.post(reverse("admin:organizations_organization_add"), data)
    assert response.status_code == 200
    assert "is reserved" in response.content.decode()
    assert not Organization.objects.exists()


def test_the_admin_pages_open(staff_client, organization, org_admin):
    factories.RequirementFactory(organization=organization)
    for url in (
        reverse("admin:organizations_organization_changelist"),
        reverse("admin:organizations_organization_change", args=[organization.pk]),
        reverse("admin:organizations_membership_changelist"),
        reverse("admin:organizations_invitation_changelist"),
    ):
        assert staff_client.get(url).status_code == 200, url
