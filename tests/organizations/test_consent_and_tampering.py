"""What a review found by attacking the organization pages: a member who withdrew
consent (or left) is no longer named on any page of the organization, not even in
the seat codes or the skills checks recorded for them while they shared; an
administrator cannot reach another organization's rows by changing a number in a
URL under their own organization; a join link turned off stops working even for a
request that read it just before."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import LifelineError
from organizations.models import (
    Invitation,
    JoinLink,
    Membership,
    Requirement,
    SeatAssignment,
    SkillItem,
)
from organizations.services import (
    invitation_create,
    join_link_create,
    join_link_deactivate,
    join_link_join,
    membership_consent_set,
    membership_leave,
    seat_assign,
    seats_issue,
)
from tests import factories
from tests.organizations.conftest import check_not_passed, member
from tests.organizations.test_access import state

pytestmark = pytest.mark.django_db


def _instructor(organization, **user):
    someone = member(organization, **user)
    Membership.objects.filter(pk=someone.pk).update(role=Membership.Role.INSTRUCTOR)
    return someone.user


@pytest.fixture
def nora(organization):
    return member(organization, legal_name="Nora Quietly", email="nora@quiet.example")


@pytest.fixture
def nora_with_seat(organization, org_admin, bls, nora):
    seats_issue(
        organization=organization, course=bls, quantity=2, by=factories.StaffFactory()
    )
    seat_assign(
        organization=organization,
        membership=nora,
        course_id=bls.pk,
        bundle_id=None,
        by=org_admin,
    )
    return nora


@pytest.fixture
def nora_checked(organization, bls, nora):
    SkillItem.objects.create(course=bls, key="rate", title="Rate", criterion="100-120")
    factories.EnrollmentFactory(
        user=nora.user,
        course=bls,
        status="completed",
        completed_at=factories.timezone.now(),
    )
    instructor = _instructor(organization, legal_name="Ivan Instructor")
    check = check_not_passed(organization, nora, bls, by=instructor)
    return nora, check, instructor


def _stop_sharing(membership, how):
    if how == "withdraws consent":
        membership_consent_set(
            membership=membership, user=membership.user, consent=False
        )
    else:
        membership_leave(membership=membership, user=membership.user)


def _names_nora(response) -> bool:
    page = response.content.decode()
    return "Nora Quietly" in page or "nora@quiet.example" in page


HOW = ["withdraws consent", "leaves"]


@pytest.mark.parametrize("how", HOW)
def test_the_seats_page_no_longer_names_a_member_who_stops_sharing(
    admin_client, organization, nora_with_seat, how
):
    url = reverse("organizations:seats", args=[organization.slug])
    assert _names_nora(admin_client.get(url))  # while she shares
    _stop_sharing(nora_with_seat, how)
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not _names_nora(response)
    # The code itself is still listed (the seat is the organization's).
    assignment = SeatAssignment.objects.get()
    assert f"…{assignment.code_hint}" in response.content.decode()
    assert "A member who does not share" in response.content.decode()


@pytest.mark.parametrize("how", HOW)
def test_the_skills_pages_no_longer_name_a_member_who_stops_sharing(
    client, organization, org_admin, nora_checked, how
):
    nora, check, instructor = nora_checked
    _stop_sharing(nora, how)
    for user in (instructor, org_admin):
        client.force_login(user)
        listing = client.get(reverse("organizations:skills", args=[organization.slug]))
        revoke = client.get(
            reverse("organizations:skills_revoke", args=[organization.slug, check.pk])
        )
        assert listing.status_code == revoke.status_code == 200
        assert not _names_nora(listing)
        assert not _names_nora(revoke)
        assert "A member who does not share" in revoke.content.decode()


@pytest.fixture
def two_organizations(organization, org_admin, bls, nora_checked, nora_with_seat):
    """Mercy's rows of every kind, and General Hospital's administrator."""
    invitation_create(organization=organization, email="x@example.org", by=org_admin)
    join_link_create(organization=organization, by=org_admin)
    factories.RequirementFactory(organization=organization, course=bls)
    other = factories.OrganizationFactory(name="General Hospital", slug="general")
    other_admin = member(other)
    Membership.objects.filter(pk=other_admin.pk).update(role=Membership.Role.ADMIN)
    return other, other_admin.user


def test_another_organizations_rows_are_out_of_reach_under_ones_own_slug(
    two_organizations, nora_checked
):
    other, other_admin = two_organizations
    client = Client()
    client.force_login(other_admin)
    _, check, _ = nora_checked
    posts = [
        ("invitation_revoke", Invitation.objects.get().pk, {}),
        ("join_link_deactivate", JoinLink.objects.get().pk, {}),
        ("requirement_remove", Requirement.objects.get().pk, {}),
        ("seat_revoke", SeatAssignment.objects.get().pk, {}),
        ("skills_revoke", check.pk, {"reason": "Not ours."}),
    ]
    before = state()
    for name, pk, data in posts:
        url = reverse(f"organizations:{name}", args=[other.slug, pk])
        assert client.post(url, data).status_code == 404, name
    assert (
        client.get(
            reverse(
                "organizations:member",
                args=[
                    other.slug,
                    Membership.objects.filter(user__email="nora@quiet.example")
                    .get()
                    .pk,
                ],
            )
        ).status_code
        == 404
    )
    assert state() == before


def test_a_join_link_turned_off_meanwhile_lets_no_one_in(organization, org_admin):
    """The join page read the link (on), then its administrator turned it off
    before the learner's join was written: the join is refused."""
    link = join_link_create(organization=organization, by=org_admin).link
    read_by_the_join_page = JoinLink.objects.get(pk=link.pk)
    join_link_deactivate(link=link, by=org_admin)
    learner = factories.UserFactory()
    with pytest.raises(LifelineError):
        join_link_join(link=read_by_the_join_page, user=learner, consent=True)
    assert not Membership.objects.filter(user=learner).exists()


def test_a_post_without_the_csrf_token_is_refused(organization, nora):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nora.user)
    url = reverse("organizations:consent", args=[nora.pk])
    assert client.post(url, {"share": "0"}).status_code == 403
    nora.refresh_from_db()
    assert nora.consent_given_at is not None
