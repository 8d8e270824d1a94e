"""Who may open what: the whole access matrix, walked view by view.

Every URL of organizations/urls.py is listed here (a new one without a row fails
the first test). For each, every kind of visitor: anonymous (sent to log in, as for
any page that needs an account), a member of another organization, an instructor
and an administrator of another organization, a plain member, an instructor and a
member who does not share (no administrator's page: 404, as the site answers for
any object one may not see), and the organization's administrator, who alone may;
the skills checks' pages are the instructor's (and, to read and revoke, the
administrator's), and a seat code redeems only for the member it was given to.
A refused POST changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from core.dates import site_today
from courses.models import Enrollment
from organizations import urls as organization_urls
from organizations.models import (
    ApiToken,
    Invitation,
    JoinLink,
    Membership,
    Requirement,
    SeatAssignment,
    SkillItem,
    SkillsCheck,
)
from organizations.services import (
    api_token_create,
    invitation_create,
    join_link_create,
    seat_assign,
    seats_issue,
)
from tests import factories
from tests.organizations.conftest import certify, check_not_passed, member

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Page:
    name: str
    method: str = "get"
    # Who gets through besides the administrator ("member": the membership's own
    # member for the learner's pages; "anyone": any signed-in user).
    open_to: str = "admin"


ADMIN_PAGES = [
    Page("dashboard"),
    Page("export-csv"),
    Page("export-xlsx"),
    Page("member"),
    Page("member-not-sharing"),
    Page("invitations"),
    Page("invitations", method="post"),
    Page("invitation_revoke", method="post"),
    Page("join_links"),
    Page("join_links", method="post"),
    Page("join_link_deactivate", method="post"),
    Page("requirements"),
    Page("requirements", method="post"),
    Page("requirement_remove", method="post"),
    Page("seats"),
    Page("seats", method="post"),
    Page("seat_revoke", method="post"),
    Page("api_tokens"),
    Page("api_tokens", method="post"),
    Page("api_token_revoke"),
    Page("api_token_revoke", method="post"),
    # Skills checks: instructors record; administrators read and revoke too.
    Page("skills", open_to="instructor or admin"),
    Page("skills_record", open_to="instructor"),
    Page("skills_record-not-sharing", open_to="nobody"),
    Page("skills_record", method="post", open_to="instructor"),
    Page("skills_revoke", open_to="instructor or admin"),
    Page("skills_revoke", method="post", open_to="instructor or admin"),
]
LEARNER_PAGES = [
    Page("memberships", open_to="anyone"),
    Page("consent", method="post", open_to="member"),
    Page("leave", method="post", open_to="member"),
    Page("accept", method="post", open_to="invitee"),
    Page("seat_redeem", open_to="anyone"),
    # Anyone signed in may try a code; only the member it was given to redeems it
    # (others are told it is not theirs, and nothing changes).
    Page("seat_redeem", method="post", open_to="code holder"),
]
URL_NAMES_COVERED = {p.name.split("-")[0] for p in ADMIN_PAGES + LEARNER_PAGES} | {
    # The token pages: any signed-in user holding the token (tested in
    # test_invitations); anonymous visitors are sent to log in (below).
    "invitation",
    "join",
}


def test_every_url_is_in_the_matrix():
    names = {pattern.name for pattern in organization_urls.urlpatterns}
    assert names == URL_NAMES_COVERED
    assert get_resolver().reverse_dict  # the URLconf loads


@pytest.fixture
def world(organization, org_admin, required, bls, nurse, today):
    """Mercy Hospital with its administrator, a sharing member with a
    certificate, one who does not share, an instructor; and General Hospital with
    its own administrator, instructor and member."""
    sharing = member(organization, job_role=nurse, legal_name="Sharing Sam")
    certify(sharing.user, bls, expires_on=today + timedelta(days=400))
    hidden = member(organization, sharing=False, legal_name="Hidden Hana")
    instructor = member(organization)
    Membership.objects.filter(pk=instructor.pk).update(role=Membership.Role.INSTRUCTOR)
    other = factories.OrganizationFactory(name="General Hospital", slug="general")
    other_admin = member(other)
    other_instructor = member(other)
    Membership.objects.filter(pk=other_admin.pk).update(role=Membership.Role.ADMIN)
    Membership.objects.filter(pk=other_instructor.pk).update(
        role=Membership.Role.INSTRUCTOR
    )
    invitation_create(
        organization=organization, email="invitee@example.org", by=org_admin
    )
    link = join_link_create(organization=organization, by=org_admin).link
    token = api_token_create(
        organization=organization, name="Staffing system", by=org_admin
    ).token
    seats_issue(
        organization=organization, course=bls, quantity=2, by=factories.StaffFactory()
    )
    seat = seat_assign(
        organization=organization,
        membership=sharing,
        course_id=bls.pk,
        bundle_id=None,
        by=org_admin,
    )
    # Both members completed BLS online; BLS has a skills checklist; one check
    # of the sharing member is recorded (not passed: it can be recorded again).
    SkillItem.objects.create(course=bls, key="rate", title="Rate", criterion="100-120")
    for someone in (sharing, hidden):
        factories.EnrollmentFactory(
            user=someone.user,
            course=bls,
            status="completed",
            completed_at=factories.timezone.now(),
        )
    instructor.user.legal_name = "Ivan Instructor"
    instructor.user.save(update_fields=["legal_name"])
    check = check_not_passed(organization, sharing, bls, by=instructor.user)
    return {
        "sharing": sharing,
        "hidden": hidden,
        "users": {
            "anonymous": None,
            "stranger": factories.UserFactory(),
            "staff without membership": factories.StaffFactory(),
            "member of another organization": member(other).user,
            "administrator of another organization": other_admin.user,
            "instructor of another organization": other_instructor.user,
            "plain member": sharing.user,
            "member who does not share": hidden.user,
            "instructor": instructor.user,
            "administrator": org_admin,
        },
        "invitation": Invitation.objects.get(),
        "link": link,
        "token": token,
        "requirement": Requirement.objects.filter(organization=organization).first(),
        "seat": seat,
        "check": check,
    }


def url_of(page: Page, organization, world) -> tuple[str, dict]:
    slug = organization.slug
    name = page.name
    if name == "export-csv":
        return reverse("organizations:export", args=[slug, "csv"]), {}
    if name == "export-xlsx":
        return reverse("organizations:export", args=[slug, "xlsx"]), {}
    if name == "member":
        return reverse("organizations:member", args=[slug, world["sharing"].pk]), {}
    if name == "member-not-sharing":
        return reverse("organizations:member", args=[slug, world["hidden"].pk]), {}
    if name == "invitation_revoke":
        return reverse(
            "organizations:invitation_revoke", args=[slug, world["invitation"].pk]
        ), {}
    if name == "join_link_deactivate":
        return reverse(
            "organizations:join_link_deactivate", args=[slug, world["link"].pk]
        ), {}
    if name == "requirement_remove":
        return reverse(
            "organizations:requirement_remove", args=[slug, world["requirement"].pk]
        ), {}
    if name == "api_tokens":
        return reverse("organizations:api_tokens", args=[slug]), {"name": "HR feed"}
    if name == "api_token_revoke":
        return reverse(
            "organizations:api_token_revoke", args=[slug, world["token"].pk]
        ), {}
    if name == "invitations":
        return reverse("organizations:invitations", args=[slug]), {
            "one-email": "new@example.org"
        }
    if name == "join_links":
        return reverse("organizations:join_links", args=[slug]), {"label": "x"}
    if name == "requirements":
        return reverse("organizations:requirements", args=[slug]), {
            "role-name": "Porter"
        }
    if name == "seats":
        return reverse("organizations:seats", args=[slug]), {
            "product": f"course:{world['seat'].assignment.seat.grant.course_id}",
            "email": world["users"]["member who does not share"].email,
        }
    if name == "seat_revoke":
        return reverse(
            "organizations:seat_revoke", args=[slug, world["seat"].assignment.pk]
        ), {}
    if name == "seat_redeem":
        return reverse("organizations:seat_redeem"), {"code": world["seat"].code}
    if name.startswith("skills_record"):
        who = world["hidden"] if name.endswith("not-sharing") else world["sharing"]
        return reverse("organizations:skills_record", args=[slug, who.pk, "bls"]), {
            "checked_on": site_today().isoformat(),
            "location": "Lab",
            "item-rate": "fail",
            "result": "fail",
            "attested": "on",
        }
    if name == "skills_revoke":
        return reverse("organizations:skills_revoke", args=[slug, world["check"].pk]), {
            "reason": "Wrong member."
        }
    if name == "skills":
        return reverse("organizations:skills", args=[slug]), {}
    if name == "dashboard":
        return reverse("organizations:dashboard", args=[slug]), {}
    if name in ("consent", "leave"):
        return reverse(f"organizations:{name}", args=[world["sharing"].pk]), {
            "share": "0"
        }
    if name == "accept":
        return reverse("organizations:accept", args=[world["invitation"].pk]), {
            "consent": "on"
        }
    return reverse(f"organizations:{name}"), {}


def state():
    """What a refused POST must leave as it was."""
    return (
        list(Invitation.objects.values_list("pk", "revoked_at", "accepted_at")),
        list(JoinLink.objects.values_list("pk", "is_active")),
        list(Requirement.objects.values_list("pk", "due_within_days")),
        list(Membership.objects.values_list("pk", "left_at", "consent_given_at")),
        list(factories.JobRole.objects.values_list("pk", "name")),
        list(SeatAssignment.objects.values_list("pk", "revoked_at", "redeemed_at")),
        list(Enrollment.objects.values_list("pk", "status")),
        list(SkillsCheck.objects.values_list("pk", "revoked_at")),
        list(ApiToken.objects.values_list("pk", "name", "revoked_at")),
    )


def allowed(page: Page, who: str) -> bool:
    if page.name == "member-not-sharing":
        return False  # nobody: not even the administrator
    if page.open_to == "anyone":
        return who != "anonymous"
    if page.open_to == "member":
        return who == "plain member"
    if page.open_to == "invitee":
        return False  # nobody here has the invited address
    if page.open_to == "code holder":
        return who == "plain member"
    if page.open_to == "instructor":
        return who == "instructor"
    if page.open_to == "instructor or admin":
        return who in ("instructor", "administrator")
    if page.open_to == "nobody":
        return False
    return who == "administrator"


ACTORS = [
    "anonymous",
    "stranger",
    "staff without membership",
    "member of another organization",
    "administrator of another organization",
    "instructor of another organization",
    "plain member",
    "member who does not share",
    "instructor",
    "administrator",
]


@pytest.mark.parametrize("who", ACTORS)
def test_the_access_matrix(world, organization, who):
    user = world["users"][who]
    refused = []
    for page in ADMIN_PAGES + LEARNER_PAGES:
        client = Client()
        if user is not None:
            client.force_login(user)
        url, data = url_of(page, organization, world)
        before = state()
        if page.method == "post":
            response = client.post(url, data)
        else:
            response = client.get(url)
        status = response.status_code
        if who == "anonymous":
            ok = status == 302 and response.url.startswith(reverse("account_login"))
        elif allowed(page, who):
            ok = status in (200, 302)
        elif page.open_to == "code holder":
            # The page answers with the refusal; nothing is redeemed.
            ok = status == 200 and "given to someone else" in response.content.decode()
            ok = ok and state() == before
        else:
            ok = status == 404 and (page.method == "get" or state() == before)
        if not ok:
            refused.append(f"{page.method.upper()} {url}: {status}")
    assert refused == []


def test_anonymous_visitors_of_token_pages_are_sent_to_log_in(world, client):
    for url in (
        reverse("organizations:invitation", args=["some-token"]),
        reverse("organizations:join", args=["some-token"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_the_header_links_administrators_to_their_dashboard_only(world, organization):
    dashboard = reverse("organizations:dashboard", args=[organization.slug])
    for who, user in world["users"].items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        page = client.get(reverse("courses:catalog")).content.decode()
        assert (f'href="{dashboard}"' in page) is (who == "administrator"), who


def test_a_role_granted_while_signed_in_shows_after_your_organizations(organization):
    someone = member(organization)
    client = Client()
    client.force_login(someone.user)
    dashboard = reverse("organizations:dashboard", args=[organization.slug])
    Membership.objects.filter(pk=someone.pk).update(role=Membership.Role.ADMIN)

    assert dashboard not in client.get(reverse("courses:catalog")).content.decode()
    client.get(reverse("organizations:memberships"))
    assert dashboard in client.get(reverse("courses:catalog")).content.decode()
    # A role taken away leaves at most a stale link, and the page itself says 404.
    Membership.objects.filter(pk=someone.pk).update(role=Membership.Role.MEMBER)
    assert client.get(dashboard).status_code == 404
