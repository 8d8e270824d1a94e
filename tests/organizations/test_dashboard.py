"""The compliance dashboard, a member's history and the exports, as an
administrator uses them; fixed query counts with 10 and 1,000 members."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from courses.models import Enrollment
from organizations.models import Membership
from tests import factories
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(organization, required, bls, acls, nurse, clerical, today):
    """Ann (nurse, BLS current, ACLS expiring), Bob (clerk, BLS expired yesterday),
    Cat (clerk, nothing), and Dan who does not share (BLS current)."""
    ann = member(organization, job_role=nurse, legal_name="Ann Archer")
    certify(ann.user, bls, expires_on=today + timedelta(days=400))
    certify(ann.user, acls, expires_on=today + timedelta(days=90))
    bob = member(organization, job_role=clerical, legal_name="Bob Baker")
    certify(bob.user, bls, expires_on=today - timedelta(days=1))
    cat = member(organization, job_role=clerical, legal_name="=Cat Cole")
    dan = member(organization, sharing=False, legal_name="Dan Dark")
    certify(dan.user, bls, expires_on=today + timedelta(days=400))
    return {"ann": ann, "bob": bob, "cat": cat, "dan": dan}


def dashboard(client, organization, **query):
    return client.get(
        reverse("organizations:dashboard", args=[organization.slug]), query
    )


def test_the_dashboard_shows_sharing_members_by_required_course(
    admin_client, organization, roster
):
    response = dashboard(admin_client, organization)

    assert response.status_code == 200
    page = response.content.decode()
    assert "33% compliant, 1 expiring within 90 days." in page
    assert "Ann Archer" in page and "Bob Baker" in page and "=Cat Cole" in page
    assert "Dan Dark" not in page  # does not share
    assert "expired " in page and "Expiring" in page and "Not started" in page
    rows = response.context["page"].object_list
    assert [r.name for r in rows] == ["=Cat Cole", "Ann Archer", "Bob Baker"]


def test_filters_and_search_through_the_query_string(
    admin_client, organization, roster, clerical
):
    def names(**query):
        return [
            r.name
            for r in dashboard(admin_client, organization, **query)
            .context["page"]
            .object_list
        ]

    assert names(job_role=clerical.pk) == ["=Cat Cole", "Bob Baker"]
    assert names(status="expired") == ["Bob Baker"]
    assert names(expiring_within=90) == ["Ann Archer"]
    assert names(q="baker") == ["Bob Baker"]
    assert names(sort="expiry") == ["Ann Archer", "=Cat Cole", "Bob Baker"]
    assert names(sort="name", desc="on") == ["Bob Baker", "Ann Archer", "=Cat Cole"]
    # Nonsense is ignored, not an error.
    assert names(job_role="x", status="bogus", sort="nope", page="-3") == [
        "=Cat Cole",
        "Ann Archer",
        "Bob Baker",
    ]


def test_pages_of_fifty(admin_client, organization, required):
    for n in range(55):
        member(organization, legal_name=f"Member {n:02d}")

    first = dashboard(admin_client, organization)
    second = dashboard(admin_client, organization, page=2)

    assert len(first.context["page"].object_list) == 50
    assert [r.name for r in second.context["page"].object_list] == [
        f"Member {n}" for n in range(50, 55)
    ]
    assert "Page 2 of 2" in second.content.decode()


def test_a_members_row_opens_their_history_without_attempts(
    admin_client, organization, roster, bls, acls
):
    ann = roster["ann"]
    factories.ExamFactory(course=bls)
    response = admin_client.get(
        reverse("organizations:member", args=[organization.slug, ann.pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    held = response.context["history"].credentials
    assert {h.course_title for h in held} == {bls.title, acls.title}
    assert all(h.reference in page for h in held)
    assert "attempt" not in page.lower().replace(
        "exams, scores and attempts are not shared", ""
    )
    assert "score" not in page.lower().replace(
        "exams, scores and attempts are not shared", ""
    )


def test_a_member_who_does_not_share_has_no_history_page(
    admin_client, organization, roster
):
    response = admin_client.get(
        reverse("organizations:member", args=[organization.slug, roster["dan"].pk])
    )
    assert response.status_code == 404


def test_csv_export_has_every_filtered_row_and_no_formula(
    admin_client, organization, roster, clerical
):
    response = admin_client.get(
        reverse("organizations:export", args=[organization.slug, "csv"]),
        {"job_role": clerical.pk},
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Name", "E-mail", "Job role", "Joined", "Compliant"]
    assert "ACLS status" in rows[0] and "BLS status" in rows[0]
    assert [r[0] for r in rows[1:]] == ["'=Cat Cole", "Bob Baker"]
    bob = dict(zip(rows[0], rows[2], strict=True))
    assert bob["BLS status"].startswith("Expired")
    assert bob["ACLS status"] == "not required"
    assert bob["Compliant"] == "no"


def test_xlsx_export_opens_with_the_same_rows(
    admin_client, organization, roster, today
):
    response = admin_client.get(
        reverse("organizations:export", args=[organization.slug, "xlsx"])
    )

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert [r[0] for r in rows[1:]] == ["=Cat Cole", "Ann Archer", "Bob Baker"]
    ann = dict(zip(header, rows[2], strict=True))
    assert ann["ACLS status"] == "Expiring"
    assert ann["ACLS expires or expired"].date() == today + timedelta(days=90)
    # A name that looks like a formula stays text.
    assert sheet.cell(row=2, column=1).data_type == "s"


def _many_members(organization, count, courses, today):
    """`count` sharing members with a mix of certificates and enrollments, in bulk."""
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"m{n}@bulk.example.org", legal_name=f"Member {n}", password=password
        )
        for n in range(count)
    )
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(
            organization=organization, user=u, joined_at=now, consent_given_at=now
        )
        for u in users
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            user=u,
            course=courses[n % len(courses)],
            status=Enrollment.Status.COMPLETED if n % 3 else Enrollment.Status.ACTIVE,
            completed_at=now if n % 3 else None,
        )
        for n, u in enumerate(users)
    )
    from certificates.models import Certificate

    Certificate.objects.bulk_create(
        Certificate(
            enrollment=e,
            user_id=e.user_id,
            course_id=e.course_id,
            code=f"BULK-{n:06d}",
            holder_name="x",
            course_title="x",
            course_code="x",
            hours=1,
            issued_on=today - timedelta(days=700),
            expires_on=today + timedelta(days=(n % 200) - 60),
        )
        for n, e in enumerate(enrollments)
        if e.status == Enrollment.Status.COMPLETED
    )


# user (the session comes from the cache); the organization (administrator check); requirements, members
# (sharing or counted), credentials (ours and outside cards in one), progress,
# job roles.
DASHBOARD_QUERIES = 7
EXPORT_QUERIES = 7


@pytest.mark.parametrize("count", [10, 1000])
def test_dashboard_and_export_queries_do_not_grow_with_members(
    admin_client,
    organization,
    required,
    bls,
    acls,
    today,
    count,
    django_assert_num_queries,
):
    _many_members(organization, count, [bls, acls], today)
    url = reverse("organizations:dashboard", args=[organization.slug])

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = admin_client.get(url, {"sort": "expiry", "status": "not_compliant"})
    assert response.context["totals"].members == count
    for fmt in ("csv", "xlsx"):
        with django_assert_num_queries(EXPORT_QUERIES):
            response = admin_client.get(
                reverse("organizations:export", args=[organization.slug, fmt])
            )
        assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_the_other_pages_use_a_fixed_number_of_queries(
    admin_client, organization, org_admin, nurse, bls, size, django_assert_num_queries
):
    from organizations.services import invitation_create, join_link_create

    for n in range(size):
        invitation_create(
            organization=organization,
            email=f"i{n}@example.org",
            job_role=nurse,
            by=org_admin,
        )
        join_link_create(organization=organization, by=org_admin, job_role=nurse)
        factories.RequirementFactory(
            organization=organization,
            course=factories.CourseFactory(),
            job_role=nurse if n % 2 else None,
        )
        other = factories.OrganizationFactory()
        factories.MembershipFactory(organization=other, user=org_admin)
    slug = organization.slug
    # User (the session comes from the cache), the organization, then the page's own reads: the same for 3
    # and 30 of everything. Your organizations also reads the header's list again
    # and saves it in the session, and the seat codes given to the learner. The
    # invitations and join links are paged (a count, then the page).
    pages = {
        reverse("organizations:invitations", args=[slug]): 6,
        reverse("organizations:join_links", args=[slug]): 6,
        reverse("organizations:requirements", args=[slug]): 6,
        reverse("organizations:memberships"): 9,
    }
    for url, count in pages.items():
        with django_assert_num_queries(count):
            assert admin_client.get(url).status_code == 200, url
