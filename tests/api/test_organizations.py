"""/api/v1/organizations/{slug}/...: an organization's systems read what its
administrators see on the compliance dashboard, with a token they created; the
token is shown once, stored hashed, revoked at once, scoped to its organization
and rate-limited; members who do not share stay invisible."""

from __future__ import annotations

import hashlib
import html
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from organizations.models import ApiToken, Membership
from organizations.services import api_token_create, api_token_revoke
from tests import factories
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def secret(organization, org_admin):
    return api_token_create(
        organization=organization, name="Staffing system", by=org_admin
    ).secret


def call(client, secret, path, *, method="get", **kwargs):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return getattr(client, method)(path, **headers, **kwargs)


def members_url(slug="mercy", **query):
    url = f"/api/v1/organizations/{slug}/members"
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def lookup(client, secret, body, slug="mercy"):
    return call(
        client,
        secret,
        f"/api/v1/organizations/{slug}/members/lookup",
        method="post",
        data=body,
        content_type="application/json",
    )


def without_instance(response) -> dict:
    body = response.json()
    body.pop("instance", None)
    return body


# --- The token page -----------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_stored(client, org_admin):
    client.force_login(org_admin)
    page = reverse("organizations:api_tokens", args=["mercy"])
    response = client.post(page, {"name": "Staffing system"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    token = ApiToken.objects.get()
    start = html.index("lifeline_org_" + token.prefix)
    secret = html[start : start + len("lifeline_org_") + 43]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The database holds no copy of it: not the token row, not the audit trail.
    body = secret.removeprefix("lifeline_org_")
    for row in ApiToken.objects.values():
        assert all(body not in str(value) for value in row.values())
    for row in AuditEvent.objects.values():
        assert all(body not in str(value) for value in row.values())
    # It works, and the page never shows it again.
    assert call(Client(), secret, members_url()).status_code == 200
    again = client.get(page).content.decode()
    assert body not in again
    assert f"lifeline_org_{token.prefix}…" in again
    assert "Staffing system" in again


def test_creating_and_revoking_are_audited(client, org_admin, organization):
    client.force_login(org_admin)
    page = reverse("organizations:api_tokens", args=["mercy"])
    client.post(page, {"name": "HR feed"})
    token = ApiToken.objects.get()
    confirm = reverse("organizations:api_token_revoke", args=["mercy", token.pk])
    assert "Revoke the token" in client.get(confirm).content.decode()
    assert ApiToken.objects.get().revoked_at is None  # the GET only asks
    client.post(confirm)
    client.post(confirm)  # twice: revoked once, recorded once
    events = AuditEvent.objects.order_by("pk")
    assert [(e.action, e.actor_id) for e in events] == [
        (AuditEvent.Action.API_TOKEN_CREATED, org_admin.pk),
        (AuditEvent.Action.API_TOKEN_REVOKED, org_admin.pk),
    ]
    assert events[0].data == {
        "organization": "mercy",
        "name": "HR feed",
        "prefix": token.prefix,
    }
    token.refresh_from_db()
    assert token.revoked_by == org_admin


def test_a_name_is_unique_among_active_tokens_only(client, org_admin):
    client.force_login(org_admin)
    page = reverse("organizations:api_tokens", args=["mercy"])
    client.post(page, {"name": "HR feed"})
    response = client.post(page, {"name": "hr FEED"})
    assert "An active token is named" in response.content.decode()
    assert "data-api-token" not in response.content.decode()  # no key shown
    assert ApiToken.objects.count() == 1
    api_token_revoke(token=ApiToken.objects.get(), by=org_admin)
    client.post(page, {"name": "HR feed"})
    assert ApiToken.objects.active().get().name == "HR feed"


def test_the_token_page_refuses_a_post_without_the_csrf_token(org_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)
    page = reverse("organizations:api_tokens", args=["mercy"])
    assert client.post(page, {"name": "HR feed"}).status_code == 403
    token = api_token_create(
        organization=org_admin.memberships.get().organization, name="X", by=org_admin
    ).token
    revoke = reverse("organizations:api_token_revoke", args=["mercy", token.pk])
    assert client.post(revoke).status_code == 403
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("X", None)]


@pytest.mark.parametrize("role", ["instructor", "member"])
def test_instructors_and_members_cannot_create_or_revoke(organization, org_admin, role):
    someone = member(organization)
    Membership.objects.filter(pk=someone.pk).update(role=role)
    token = api_token_create(organization=organization, name="X", by=org_admin).token
    client = Client()
    client.force_login(someone.user)
    page = reverse("organizations:api_tokens", args=["mercy"])
    revoke = reverse("organizations:api_token_revoke", args=["mercy", token.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"name": "Mine"}).status_code == 404
    assert client.get(revoke).status_code == 404
    assert client.post(revoke).status_code == 404
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("X", None)]


@pytest.mark.parametrize("role", ["instructor", "member"])
def test_the_services_refuse_anyone_but_an_administrator(organization, org_admin, role):
    from organizations.errors import OrganizationRefused

    someone = member(organization)
    Membership.objects.filter(pk=someone.pk).update(role=role)
    token = api_token_create(organization=organization, name="X", by=org_admin).token
    with pytest.raises(OrganizationRefused):
        api_token_create(organization=organization, name="Mine", by=someone.user)
    with pytest.raises(OrganizationRefused):
        api_token_revoke(token=token, by=someone.user)
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("X", None)]
    assert not AuditEvent.objects.filter(actor=someone.user).exists()


def test_the_organization_navigation_links_the_token_page(client, org_admin):
    client.force_login(org_admin)
    dashboard = client.get(reverse("organizations:dashboard", args=["mercy"]))
    assert reverse("organizations:api_tokens", args=["mercy"]) in dashboard.text


# --- Authentication -----------------------------------------------------------------


def test_a_missing_token_is_401_token_missing_with_a_challenge(client, secret):
    response = client.get(members_url())
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"].endswith("api.token_missing")
    assert body["code"] == "api.token_missing"
    assert body["status"] == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer lifeline_org_" + "A" * 43,  # well formed, unknown
        "Bearer lifeline_org_short",
        "Bearer not-ours",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "lifeline_org_" + "A" * 43,
    ],
)
def test_an_unknown_or_malformed_token_is_401_token_invalid(client, secret, header):
    response = client.get(members_url(), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["type"].endswith("api.token_invalid")


def test_a_revoked_token_stops_working_at_once(client, secret, org_admin):
    assert call(client, secret, members_url()).status_code == 200
    api_token_revoke(token=ApiToken.objects.get(), by=org_admin)
    response = call(client, secret, members_url())
    assert response.status_code == 401
    assert response.json()["code"] == "api.token_invalid"


def test_another_organizations_slug_is_the_same_404_as_an_unknown_one(client, secret):
    factories.OrganizationFactory(name="General Hospital", slug="general")
    other = call(client, secret, members_url("general"))
    unknown = call(client, secret, members_url("no-such-place"))
    assert other.status_code == unknown.status_code == 404
    assert other["Content-Type"] == unknown["Content-Type"] == PROBLEM
    assert without_instance(other) == without_instance(unknown)
    assert other.content.replace(b"general", b"") == unknown.content.replace(
        b"no-such-place", b""
    )
    for path in ("general", "no-such-place"):
        found = lookup(client, secret, {"email": "x@example.org"}, slug=path)
        assert without_instance(found) == without_instance(unknown)


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_requests_are_limited_per_token(
    client, secret, organization, org_admin, settings
):
    settings.ORGANIZATION_API_RATE_LIMIT = 2
    other = api_token_create(organization=organization, name="Other", by=org_admin)
    assert call(client, secret, members_url()).status_code == 200
    assert call(client, secret, members_url()).status_code == 200
    refused = call(client, secret, members_url())
    assert refused.status_code == 429
    assert refused.json()["code"] == "api.token_rate_limited"
    assert int(refused["Retry-After"]) > 0
    # Another token of the same organization has its own allowance.
    assert call(client, other.secret, members_url()).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(
    client, secret, django_assert_num_queries
):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        call(client, secret, members_url())
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        with django_assert_num_queries(3):  # token, count, requirements: no write
            call(client, secret, members_url())
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        call(client, secret, members_url())
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


# --- Members --------------------------------------------------------------------


@pytest.fixture
def staff_of_mercy(organization, required, nurse, bls, today):
    """A sharing nurse with BLS (not ACLS), a sharing clerk with nothing, a member
    who does not share, one who left, and a sharing member of another
    organization."""
    nora = member(
        organization,
        job_role=nurse,
        legal_name="Nora Quinn",
        email="nora@mercy.example.org",
        licence_number="RN 448812",
    )
    certify(nora.user, bls, expires_on=today + timedelta(days=400))
    clerk = member(organization, legal_name="Carl Clerk", email="carl@example.org")
    hidden = member(
        organization,
        sharing=False,
        legal_name="Hidden Hana",
        email="hana@example.org",
        licence_number="RN 111",
    )
    certify(hidden.user, bls, expires_on=today + timedelta(days=400))
    gone = member(organization, legal_name="Gone Gus", email="gus@example.org")
    Membership.objects.filter(pk=gone.pk).update(left_at=timezone.now())
    other = factories.OrganizationFactory(name="General Hospital", slug="general")
    member(other, legal_name="Olive Other", email="olive@example.org")
    return {"nora": nora, "clerk": clerk, "hidden": hidden}


def test_members_lists_sharing_members_with_their_status_per_required_course(
    client, secret, staff_of_mercy, today
):
    response = call(client, secret, members_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["count"] == 2
    assert (body["page"], body["pages"], body["page_size"]) == (1, 1, 50)
    assert body["next"] is None and body["previous"] is None
    nora, carl = body["results"]
    assert nora["name"] == "Nora Quinn"
    assert nora["email"] == "nora@mercy.example.org"
    assert nora["job_role"] == "Nurse"
    assert nora["id"] == staff_of_mercy["nora"].pk
    courses = {c["course"]["code"]: c for c in nora["courses"]}
    assert set(courses) == {"BLS", "ACLS"}
    bls, acls = courses["BLS"], courses["ACLS"]
    assert bls["status"] == "current"
    assert bls["expires_on"] == (today + timedelta(days=400)).isoformat()
    assert acls["status"] == "none" and acls["expires_on"] is None
    assert nora["compliant"] is False
    # Carl is no nurse: BLS only is required of him.
    assert [c["course"]["code"] for c in carl["courses"]] == ["BLS"]
    assert carl["courses"][0]["status"] == "none"
    # Nothing of the others: not their names, not their addresses.
    text = response.content.decode()
    for hidden in ("Hana", "hana@", "Gus", "Olive", "RN 448812"):
        assert hidden not in text


def test_members_match_what_the_dashboard_shows(
    client, secret, staff_of_mercy, org_admin
):
    from organizations.selectors import compliance_for

    compliance = compliance_for(organization=org_admin.memberships.get().organization)
    shown = {
        row.email: [(cell.course.code, str(cell.status)) for cell in row.required]
        for row in compliance.rows
    }
    body = call(client, secret, members_url()).json()
    answered = {
        m["email"]: [(c["course"]["code"], c["status"]) for c in m["courses"]]
        for m in body["results"]
    }
    assert answered == shown


def test_pages_follow_each_other_and_stop(client, secret, organization, required):
    for n in range(5):
        member(organization, email=f"m{n}@example.org")
    first = call(client, secret, members_url(page_size=2)).json()
    assert (first["count"], first["pages"]) == (5, 3)
    seen = [m["email"] for m in first["results"]]
    page = first
    while page["next"]:
        page = call(client, secret, page["next"].split("testserver", 1)[1]).json()
        seen += [m["email"] for m in page["results"]]
    assert seen == [f"m{n}@example.org" for n in range(5)]
    assert page["previous"].endswith("page=2&page_size=2")
    past = call(client, secret, members_url(page=9, page_size=2)).json()
    assert past["results"] == [] and past["next"] is None and past["count"] == 5


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": 0},
        {"page_size": 201},
        {"page_size": "ten"},
        {"page": 0},
        {"page": -1},
        {"page": "last"},
    ],
)
def test_bad_paging_is_a_422_problem(client, secret, query):
    response = call(client, secret, members_url(**query))
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"]


def test_page_size_200_is_allowed(client, secret):
    assert call(client, secret, members_url(page_size=200)).status_code == 200


@pytest.mark.parametrize("members", [1, 30])
@pytest.mark.parametrize("page_size", [5, 50])
def test_members_read_seven_queries_whatever_the_number_or_page_size(
    client,
    secret,
    organization,
    required,
    bls,
    nurse,
    today,
    members,
    page_size,
    django_assert_num_queries,
):
    for n in range(members):
        someone = member(organization, job_role=nurse if n % 2 else None)
        if n % 3:
            certify(someone.user, bls, expires_on=today + timedelta(days=30 * n))
    ApiToken.objects.update(last_used_at=None)  # this request writes it: one query
    # The token, last used, the count, the page's ids, then the compliance rule's
    # four (requirements, members, credentials, progress).
    with django_assert_num_queries(8):
        response = call(client, secret, members_url(page_size=page_size))
    assert len(response.json()["results"]) == min(members, page_size)


# --- Lookup -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nora@mercy.example.org"},
        {"email": "NORA@Mercy.example.org"},
        {"licence_number": "RN 448812"},
        {"licence_number": " rn 448812 "},
    ],
)
def test_lookup_finds_a_sharing_member(client, secret, staff_of_mercy, body):
    response = lookup(client, secret, body)
    assert response.status_code == 200
    found = response.json()
    assert found["count"] == 1
    assert found["results"][0]["name"] == "Nora Quinn"
    statuses = {
        c["course"]["code"]: c["status"] for c in found["results"][0]["courses"]
    }
    assert statuses == {"BLS": "current", "ACLS": "none"}


@pytest.mark.parametrize(
    "body",
    [
        {"email": "hana@example.org"},  # a member who does not share
        {"licence_number": "RN 111"},  # the same, by licence number
        {"email": "gus@example.org"},  # a member who left
        {"email": "olive@example.org"},  # another organization's member
        {"email": "nobody@example.org"},  # no one
        {"licence_number": "RN 448812\x00"},
    ],
)
def test_lookup_of_anyone_but_a_sharing_member_is_the_same_404(
    client, secret, staff_of_mercy, body
):
    response = lookup(client, secret, body)
    nobody = lookup(client, secret, {"email": "nobody@example.org"})
    assert response.status_code == 404
    assert response.content == nobody.content
    assert response.json()["code"] == "member.not_found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "nora@mercy.example.org", "licence_number": "RN 448812"},
        {"name": "Nora Quinn"},
        {"email": ""},
        {"licence_number": 448812},
        [],
    ],
)
def test_lookup_needs_exactly_one_of_email_and_licence_number(
    client, secret, staff_of_mercy, body
):
    response = lookup(client, secret, body)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_lookup_of_a_body_that_is_not_json_is_a_problem(client, secret):
    response = call(
        client,
        secret,
        "/api/v1/organizations/mercy/members/lookup",
        method="post",
        data="{not json",
        content_type="application/json",
    )
    # Not JSON at all is 400; JSON of the wrong shape is 422 (above).
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_schema_declares_the_token_scheme_on_the_organization_operations(client):
    schema = client.get("/api/v1/schema").json()
    assert schema["components"]["securitySchemes"]["OrganizationToken"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path, method in (
        ("/api/v1/organizations/{slug}/members", "get"),
        ("/api/v1/organizations/{slug}/members/lookup", "post"),
    ):
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"OrganizationToken": []}]
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    # The public lookup stays public.
    assert "security" not in schema["paths"]["/api/v1/certificates/{code}"]["get"]


def test_the_reference_page_shows_how_to_send_the_token(client, settings):
    page = html.unescape(client.get("/api/v1/docs").content.decode())
    assert (
        'curl -s -H "Authorization: Bearer $LIFELINE_TOKEN" '
        f"{settings.SITE_URL}/api/v1/organizations/mercy/members"
    ) in page
    assert "api.token_missing" in page
