"""Invitations by e-mail, rosters validated as a whole, join links, and the
learner's consent and leaving: through the pages, as people do it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from organizations.errors import AlreadyMember, OrganizationRefused, RosterInvalid
from organizations.models import Invitation, JoinLink, Membership
from organizations.selectors import compliance_for
from organizations.services import (
    INVITATION_VALID_DAYS,
    invitation_accept,
    invitation_create,
    invitations_import,
    join_link_create,
    membership_consent_set,
)
from organizations.tokens import token_hash
from tests import factories
from tests.organizations.conftest import member

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    [url] = re.findall(r"https?://\S+/organizations/invitations/\S+/", message.body)
    return url


def invite(admin_client, organization, email, job_role=None, capture=None):
    data = {"one-email": email, "one-job_role": job_role.pk if job_role else ""}
    with capture(execute=True):
        return admin_client.post(
            reverse("organizations:invitations", args=[organization.slug]), data
        )


def test_an_invited_learner_accepts_from_the_emailed_link_and_shares(
    admin_client,
    organization,
    nurse,
    required,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://lifeline.example.org"
    response = invite(
        admin_client,
        organization,
        "New.Nurse@Example.org",
        nurse,
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302

    [message] = mailoutbox
    assert message.to == ["new.nurse@example.org"]
    assert "Mercy Hospital invites you" in message.subject
    url = link_in(message)
    assert url.startswith("https://lifeline.example.org/organizations/invitations/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    # Only the token's hash is stored.
    assert invitation.token_hash == token_hash(token) != token
    assert token not in str(Invitation.objects.values().get())

    path = url.removeprefix("https://lifeline.example.org")
    client = Client()
    assert client.get(path).url.startswith(reverse("account_login"))
    learner = factories.UserFactory(email="new.nurse@example.org")
    client.force_login(learner)
    page = client.get(path)
    assert page.status_code == 200
    assert "never sees your exam answers" in page.content.decode()

    response = client.post(path, {"consent": "on"})
    assert response.url == reverse("organizations:memberships")
    membership = Membership.objects.get(user=learner)
    assert membership.job_role == nurse
    assert membership.consent_given_at is not None
    invitation.refresh_from_db()
    assert invitation.accepted_by == learner
    assert [r.member.pk for r in compliance_for(organization=organization).rows] == [
        membership.pk
    ]
    # The link is spent.
    assert client.post(path, {"consent": "on"}).status_code == 302
    assert Membership.objects.filter(user=learner).count() == 1
    other = factories.UserFactory()
    client.force_login(other)
    assert client.get(path).status_code == 410


def test_accepting_without_consent_joins_but_shares_nothing(
    organization, org_admin, client, required, django_capture_on_commit_callbacks
):
    learner = factories.UserFactory()
    invitation_create(organization=organization, email=learner.email, by=org_admin)
    client.force_login(learner)
    listed = client.get(reverse("organizations:memberships"))
    invitation = Invitation.objects.get()
    assert f"Join {organization.name}" in listed.content.decode()

    client.post(reverse("organizations:accept", args=[invitation.pk]))

    membership = Membership.objects.get(user=learner)
    assert membership.consent_given_at is None
    assert compliance_for(organization=organization).rows == []
    assert compliance_for(organization=organization).totals.not_sharing == 2


def test_invitations_to_another_address_are_not_listed_or_acceptable(
    organization, org_admin, client
):
    invitation_create(
        organization=organization, email="someone@example.org", by=org_admin
    )
    invitation = Invitation.objects.get()
    stranger = factories.UserFactory()
    client.force_login(stranger)

    assert (
        "someone@example.org"
        not in client.get(reverse("organizations:memberships")).content.decode()
    )
    response = client.post(reverse("organizations:accept", args=[invitation.pk]))
    assert response.status_code == 404
    assert not Membership.objects.filter(user=stranger).exists()


def test_an_unverified_address_does_not_list_the_invitation(
    organization, org_admin, client
):
    learner = factories.UserFactory()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=learner, email="work@example.org", verified=False)
    invitation_create(organization=organization, email="work@example.org", by=org_admin)
    client.force_login(learner)

    assert (
        "work@example.org"
        not in client.get(reverse("organizations:memberships")).content.decode()
    )


def test_inviting_twice_sends_once_and_an_expired_invitation_gets_a_new_link(
    organization, org_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = invitation_create(
            organization=organization, email="a@example.org", by=org_admin
        )
        again = invitation_create(
            organization=organization, email="A@example.org", by=org_admin
        )
    assert first.sent and not again.sent
    assert len(mailoutbox) == 1
    old_hash = Invitation.objects.get().token_hash

    with time_machine.travel(
        timezone.now() + timedelta(days=INVITATION_VALID_DAYS, minutes=1)
    ):
        with django_capture_on_commit_callbacks(execute=True):
            renewed = invitation_create(
                organization=organization, email="a@example.org", by=org_admin
            )
    assert renewed.sent
    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().token_hash != old_hash
    assert len(mailoutbox) == 2
    assert link_in(mailoutbox[0]) != link_in(mailoutbox[1])


def test_an_expired_link_is_refused(
    organization, org_admin, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organization=organization, email="late@example.org", by=org_admin
        )
    path = "/" + link_in(mailoutbox[0]).split("/", 3)[3]
    client.force_login(factories.UserFactory(email="late@example.org"))
    past = timezone.now() - timedelta(days=INVITATION_VALID_DAYS + 1)
    Invitation.objects.update(sent_at=past, expires_at=past + timedelta(days=14))

    response = client.post(path, {"consent": "on"})

    assert response.status_code == 410
    assert not Membership.objects.filter(user__email="late@example.org").exists()


def test_a_revoked_invitation_no_longer_works(
    admin_client, organization, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client()
    invite(
        admin_client,
        organization,
        "gone@example.org",
        capture=django_capture_on_commit_callbacks,
    )
    invitation = Invitation.objects.get()
    admin_client.post(
        reverse(
            "organizations:invitation_revoke", args=[organization.slug, invitation.pk]
        )
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None

    client.force_login(factories.UserFactory(email="gone@example.org"))
    path = "/" + link_in(mailoutbox[0]).split("/", 3)[3]
    assert client.post(path, {"consent": "on"}).status_code == 410
    assert not Membership.objects.filter(user__email="gone@example.org").exists()


def test_members_are_not_invited_again(organization, org_admin):
    someone = member(organization)
    with pytest.raises(AlreadyMember):
        invitation_create(
            organization=organization, email=someone.user.email, by=org_admin
        )


def test_only_an_administrator_invites(organization):
    plain = member(organization)
    instructor = member(organization)
    Membership.objects.filter(pk=instructor.pk).update(role=Membership.Role.INSTRUCTOR)
    for user in (plain.user, instructor.user, factories.UserFactory()):
        with pytest.raises(OrganizationRefused):
            invitation_create(organization=organization, email="x@example.org", by=user)
    assert not Invitation.objects.exists()


def roster(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", text.encode(), content_type="text/csv")


def test_a_roster_with_bad_rows_reports_every_one_with_its_line_and_imports_nothing(
    admin_client, organization, nurse, mailoutbox, django_capture_on_commit_callbacks
):
    existing = member(organization, email="already@example.org")
    text = "\n".join(
        [
            "email,job role",
            "good@example.org,Nurse",  # 2
            "not-an-address,Nurse",  # 3
            "other@example.org,Surgeon",  # 4
            "GOOD@example.org,",  # 5: the same as line 2
            f"{existing.user.email},Nurse",  # 6
            ",Nurse",  # 7
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("organizations:invitations", args=[organization.slug]),
            {"roster-roster": roster(text)},
        )

    assert response.status_code == 200
    errors = response.context["roster_errors"]
    assert [(e.line, e.message) for e in errors] == [
        (3, "“not-an-address” is not an e-mail address"),
        (4, "unknown job role “Surgeon” (this organization has: Nurse)"),
        (5, "good@example.org is listed already on line 2"),
        (6, "already@example.org is already a member"),
        (7, "no e-mail address"),
    ]
    page = response.content.decode()
    assert "Line 4: unknown job role" in page
    assert "5 rows of the file need correcting; nothing was imported." in page
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_good_roster_invites_everyone_once(
    organization, org_admin, nurse, mailoutbox, django_capture_on_commit_callbacks
):
    invitation_create(organization=organization, email="b@example.org", by=org_admin)
    text = "\ufeffEmail;Job role\r\na@example.org;nurse\r\nb@example.org;\r\n\r\nc@example.org;Nurse\r\n"

    with django_capture_on_commit_callbacks(execute=True):
        result = invitations_import(
            organization=organization, data=text.encode(), by=org_admin
        )

    assert sorted(i.email for i in result.invited) == ["a@example.org", "c@example.org"]
    assert [i.email for i in result.already_invited] == ["b@example.org"]
    assert Invitation.objects.filter(job_role=nurse).count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "c@example.org"]


def test_a_roster_without_header_is_read_from_the_first_line(organization, org_admin):
    with pytest.raises(RosterInvalid) as refused:
        invitations_import(
            organization=organization, data=b"a@example.org\nnope\n", by=org_admin
        )
    assert [(e.line, e.email) for e in refused.value.errors] == [(2, "nope")]


def test_a_join_link_joins_with_its_job_role_until_turned_off(
    admin_client, organization, nurse
):
    client = Client()
    response = admin_client.post(
        reverse("organizations:join_links", args=[organization.slug]),
        {"label": "ICU huddle", "job_role": nurse.pk},
    )
    url = response.context["created"].url
    path = "/" + url.split("/", 3)[3]
    link = JoinLink.objects.get()
    assert link.token_hash == token_hash(path.rstrip("/").rsplit("/", 1)[1])

    learner = factories.UserFactory()
    client.force_login(learner)
    assert "What sharing means" in client.get(path).content.decode()
    client.post(path, {"consent": "on"})
    membership = Membership.objects.get(user=learner)
    assert (membership.job_role, membership.consent_given_at is not None) == (
        nurse,
        True,
    )

    admin_client.post(
        reverse("organizations:join_link_deactivate", args=[organization.slug, link.pk])
    )
    late = factories.UserFactory()
    client.force_login(late)
    # Turned off: gone (410), as a closed invitation; an unknown link is 404.
    assert client.get(path).status_code == 410
    assert client.post(path, {"consent": "on"}).status_code == 410
    assert not Membership.objects.filter(user=late).exists()
    unknown = client.get(path.rstrip("/") + "x/")
    assert unknown.status_code == 404
    assert "We could not find this join link" in unknown.content.decode()


def test_an_expired_join_link_is_refused(organization, org_admin, client):
    created = join_link_create(
        organization=organization,
        by=org_admin,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(factories.UserFactory())
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client.post("/" + created.url.split("/", 3)[3], {"consent": "on"})
    assert response.status_code == 410
    assert Membership.objects.count() == 1  # the administrator


def test_withdrawing_consent_hides_the_member_and_giving_it_again_shows_them(
    organization, required, client
):
    someone = member(organization)
    client.force_login(someone.user)
    url = reverse("organizations:consent", args=[someone.pk])

    client.post(url, {"share": "0"})
    assert compliance_for(organization=organization).rows == []
    client.post(url, {"share": "1"})
    assert len(compliance_for(organization=organization).rows) == 1

    actions = list(
        AuditEvent.objects.filter(subject=someone.user)
        .order_by("created_at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["membership.consent_withdrawn", "membership.consent_given"]


def test_a_member_leaves_at_any_time_and_the_organization_sees_nothing_more(
    organization, required, client
):
    someone = member(organization)
    client.force_login(someone.user)

    client.post(reverse("organizations:leave", args=[someone.pk]))

    someone.refresh_from_db()
    assert someone.left_at is not None and someone.consent_given_at is None
    assert compliance_for(organization=organization).rows == []
    assert AuditEvent.objects.filter(
        action="membership.left", subject=someone.user
    ).exists()
    # Leaving again, or someone else's membership, changes nothing.
    assert (
        client.post(reverse("organizations:leave", args=[someone.pk])).status_code
        == 404
    )


def test_only_the_member_decides_their_consent(organization, org_admin):
    someone = member(organization)
    with pytest.raises(OrganizationRefused):
        membership_consent_set(membership=someone, user=org_admin, consent=False)
    someone.refresh_from_db()
    assert someone.consent_given_at is not None


def test_invitations_joins_leaves_and_consent_are_in_the_audit_trail(
    organization, org_admin, client, django_capture_on_commit_callbacks
):
    learner = factories.UserFactory()
    invitation_create(organization=organization, email=learner.email, by=org_admin)
    client.force_login(learner)
    invitation = Invitation.objects.get()
    client.post(
        reverse("organizations:accept", args=[invitation.pk]), {"consent": "on"}
    )
    membership = Membership.objects.get(user=learner)
    client.post(reverse("organizations:leave", args=[membership.pk]))

    trail = list(
        AuditEvent.objects.order_by("created_at", "pk").values_list(
            "action", "actor_id", "subject_id"
        )
    )
    assert trail == [
        ("invitation.sent", org_admin.pk, None),
        ("membership.joined", learner.pk, learner.pk),
        ("membership.consent_given", learner.pk, learner.pk),
        ("membership.left", learner.pk, learner.pk),
    ]


def test_someone_who_left_sees_a_new_invitation_and_a_member_does_not(
    organization, org_admin, client
):
    former = member(organization)
    Membership.objects.filter(pk=former.pk).update(left_at=timezone.now())
    invitation_create(organization=organization, email=former.user.email, by=org_admin)
    client.force_login(former.user)

    page = client.get(reverse("organizations:memberships")).content.decode()
    assert f"Join {organization.name}" in page

    current = member(organization)
    Invitation.objects.create(
        organization=organization,
        email=current.user.email,
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(current.user)
    page = client.get(reverse("organizations:memberships")).content.decode()
    assert f"Join {organization.name}" not in page


def test_reopening_an_accepted_invitation_says_whether_you_are_still_a_member(
    organization, client
):
    """The invitation's link, opened again by whoever accepted it: a member is told
    so; someone who has left since is told to ask for a new invitation, not that
    they are a member."""
    learner = factories.UserFactory()
    token = "lifeline-invitation-reopened-test-token"
    invitation = Invitation.objects.create(
        organization=organization,
        email=learner.email,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=7),
    )
    membership = invitation_accept(invitation=invitation, user=learner, consent=True)
    client.force_login(learner)
    url = reverse("organizations:invitation", args=[token])

    page = client.get(url, follow=True).content.decode()
    assert f"You are a member of {organization.name}." in page

    Membership.objects.filter(pk=membership.pk).update(left_at=timezone.now())
    page = client.get(url, follow=True).content.decode()
    assert f"You are a member of {organization.name}" not in page
    assert "have left it since" in page
    assert "ask its administrators for a new invitation" in page


def test_the_invitation_list_is_paged_waiting_ones_first(
    organization, admin_client, django_assert_max_num_queries
):
    """A roster of hundreds stays one page at a time: waiting invitations first by
    address, then the closed ones newest first, every one reachable."""
    now = timezone.now()
    for number in range(60):
        Invitation.objects.create(
            organization=organization,
            email=f"waiting{number:03}@example.org",
            token_hash=f"w{number:063}",
            expires_at=now + timedelta(days=14),
        )
    for number in range(45):
        Invitation.objects.create(
            organization=organization,
            email=f"closed{number:03}@example.org",
            token_hash=f"c{number:063}",
            created_at=now - timedelta(days=number + 1),
            expires_at=now + timedelta(days=14),
            revoked_at=now,
        )
    url = reverse("organizations:invitations", args=[organization.slug])

    def listed(page: int) -> list[str]:
        response = admin_client.get(url, {"page": page})
        assert f"Page {page} of 3" in response.content.decode()
        return [i.email for i in response.context["page"].object_list]

    with django_assert_max_num_queries(12):
        first = listed(1)
    rest = listed(2) + listed(3)
    assert first == [f"waiting{n:03}@example.org" for n in range(50)]
    assert rest[:10] == [f"waiting{n:03}@example.org" for n in range(50, 60)]
    # Closed ones newest first.
    assert rest[10:] == [f"closed{n:03}@example.org" for n in range(45)]
    html = admin_client.get(url, {"page": 2}).content.decode()
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_the_join_link_list_is_paged_active_ones_first(organization, admin_client):
    for number in range(55):
        JoinLink.objects.create(
            organization=organization,
            label=f"link {number:03}",
            token_hash=f"j{number:063}",
            is_active=number % 2 == 0,
            deactivated_at=None if number % 2 == 0 else timezone.now(),
        )
    url = reverse("organizations:join_links", args=[organization.slug])
    first = admin_client.get(url).context["page"]
    second = admin_client.get(url, {"page": 2}).context["page"]
    assert first.paginator.num_pages == 2
    shown = list(first.object_list) + list(second.object_list)
    assert len(shown) == 55
    actives = [link.is_active for link in shown]
    assert actives == sorted(actives, reverse=True)  # every active one first
