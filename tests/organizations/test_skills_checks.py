"""Skills checks (issue 17, part 2): an instructor of the member's organization
records a hands-on check of a course the member completed online; a passed check
is stated on the certificate (PDF, wallet card, verify page) until it is revoked
with a reason; refusals change nothing; every decision is audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from certificates.models import Certificate
from certificates.selectors import SCOPE_ONLINE_ONLY, certificate_facts
from certificates.services.issuing import certificate_issue
from core.dates import format_day, site_today
from core.errors import LifelineError
from organizations.models import Membership, SkillItem, SkillsCheck
from organizations.services import skills_check_record, skills_check_revoke
from tests import factories
from tests.organizations.conftest import member

pytestmark = pytest.mark.django_db

ITEMS = ["adult-compression-rate", "adult-recoil", "aed"]


@pytest.fixture
def checklist(bls):
    for order, key in enumerate(ITEMS):
        SkillItem.objects.create(
            course=bls,
            key=key,
            title=key.replace("-", " ").capitalize(),
            criterion=f"Criterion of {key}.",
            order=order,
        )
    return ITEMS


@pytest.fixture
def instructor(organization):
    user = factories.UserFactory(legal_name="Ivan Instructor", email="ivan@mercy.org")
    factories.MembershipFactory(
        organization=organization, user=user, role=Membership.Role.INSTRUCTOR
    )
    return user


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def nora(organization):
    return member(organization, legal_name="Nora Nurse", email="nora@mercy.org")


def complete(user, course, *, days_ago=3):
    return factories.EnrollmentFactory(
        user=user,
        course=course,
        status="completed",
        completed_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def certified(nora, bls, checklist):
    """Nora completed BLS online three days ago and holds its certificate (PDF
    rendered)."""
    return certificate_issue(enrollment=complete(nora.user, bls))


def record(organization, membership, course, instructor, **overrides):
    fields = {
        "checked_on": site_today(),
        "location": "Skills lab, 3rd floor",
        "results": dict.fromkeys(ITEMS, True),
        "passed": True,
        "attested": True,
        "note": "",
    }
    fields.update(overrides)
    return skills_check_record(
        organization=organization,
        membership=membership,
        course=course,
        by=instructor,
        **fields,
    )


def pdf_text(certificate) -> list[str]:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as stream:
        reader = pypdf.PdfReader(io.BytesIO(stream.read()))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def statement(on=None) -> str:
    return (
        "Online course and hands-on skills check (instructor Ivan Instructor, "
        f"Mercy Hospital, {format_day(on or site_today())})."
    )


def refusal(call) -> LifelineError:
    with pytest.raises(LifelineError) as raised:
        call()
    return raised.value


def form_data(**overrides):
    data = {
        "checked_on": site_today().isoformat(),
        "location": "Skills lab, 3rd floor",
        "result": "pass",
        "attested": "on",
        "note": "Good depth.",
        **{f"item-{key}": "pass" for key in ITEMS},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_instructor_records_a_passed_check_and_the_certificate_states_it(
    instructor_client,
    organization,
    nora,
    bls,
    certified,
    django_capture_on_commit_callbacks,
):
    assert SCOPE_ONLINE_ONLY in pdf_text(certified)[0]
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    page = instructor_client.get(url).content.decode()
    assert "Criterion of adult-recoil." in page
    assert "I, Ivan Instructor, observed Nora Nurse perform each skill" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(url, form_data())
    assert response.status_code == 302
    check = SkillsCheck.objects.get()
    assert (check.passed, check.instructor_name, check.organization_name) == (
        True,
        "Ivan Instructor",
        "Mercy Hospital",
    )
    assert check.enrollment_id == certified.enrollment_id
    assert [item["key"] for item in check.items] == ITEMS
    assert all(item["passed"] for item in check.items)
    assert check.items[1]["criterion"] == "Criterion of adult-recoil."
    assert f"on {format_day(site_today())}" in check.attestation
    event = AuditEvent.objects.get(action=AuditEvent.Action.SKILLS_CHECK_RECORDED)
    assert (event.actor.legal_name, event.subject) == ("Ivan Instructor", nora.user)

    # The verify page, the certificate and the wallet card state it.
    verify = instructor_client.get(certified.get_absolute_url()).content.decode()
    assert statement() in verify
    assert SCOPE_ONLINE_ONLY not in verify
    certificate_page, wallet_card = pdf_text(certified)
    assert statement() in certificate_page
    assert statement() in wallet_card
    assert certificate_facts(certified).scope == statement()


def test_a_revoked_check_removes_the_statement(
    organization, instructor, nora, bls, certified, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        check = record(organization, nora, bls, instructor)
    assert statement() in pdf_text(certified)[0]
    assert (
        refusal(
            lambda: skills_check_revoke(check=check, reason="  ", by=instructor)
        ).code
        == "skills_check.reason_missing"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert skills_check_revoke(
            check=check, reason="Recorded for the wrong member.", by=instructor
        )
    assert skills_check_revoke(check=check, reason="Again.", by=instructor) is False
    check.refresh_from_db()
    assert check.revoke_reason == "Recorded for the wrong member."
    assert certificate_facts(certified).scope == SCOPE_ONLINE_ONLY
    certificate_page, wallet_card = pdf_text(certified)
    assert SCOPE_ONLINE_ONLY in certificate_page and SCOPE_ONLINE_ONLY in wallet_card
    assert "hands-on skills check" not in certificate_page
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.SKILLS_CHECK_REVOKED).count()
        == 1
    )


def test_a_check_not_passed_is_recorded_but_not_stated(
    instructor_client, organization, nora, bls, certified
):
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    response = instructor_client.post(
        url, form_data(result="fail", **{"item-aed": "fail"})
    )
    assert response.status_code == 302
    check = SkillsCheck.objects.get()
    assert check.passed is False
    assert [item["passed"] for item in check.items] == [True, True, False]
    assert certificate_facts(certified).scope == SCOPE_ONLINE_ONLY
    # The PDF was not dropped: nothing it states changed.
    certified.refresh_from_db()
    assert certified.pdf.name


def test_a_pass_needs_every_item_passed(
    instructor_client, organization, nora, bls, certified
):
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    response = instructor_client.post(url, form_data(**{"item-aed": "fail"}))
    assert response.status_code == 200
    assert "passes only when every item passed" in response.content.decode()
    # The service holds the rule too.
    error = refusal(
        lambda: record(
            organization,
            nora,
            bls,
            factories.User.objects.get(legal_name="Ivan Instructor"),
            results={**dict.fromkeys(ITEMS, True), "aed": False},
        )
    )
    assert error.code == "skills_check.pass_with_failure"
    assert not SkillsCheck.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"attested": None}, "Tick the attestation"),
        ({"location": ""}, "This field is required"),
        ({"item-aed": None}, "This field is required"),
        (
            {"checked_on": (site_today() + timedelta(days=1)).isoformat()},
            "cannot be in the future",
        ),
        (
            {"checked_on": (site_today() - timedelta(days=10)).isoformat()},
            "The check follows the online course",
        ),
    ],
)
def test_an_incomplete_record_is_refused_and_nothing_is_recorded(
    instructor_client, organization, nora, bls, certified, overrides, says
):
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    response = instructor_client.post(url, form_data(**overrides))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not SkillsCheck.objects.exists()


def test_one_passed_check_stands_per_completed_course(
    organization, instructor, nora, bls, certified
):
    record(organization, nora, bls, instructor)
    error = refusal(lambda: record(organization, nora, bls, instructor))
    assert error.code == "skills_check.pass_exists"
    assert SkillsCheck.objects.count() == 1


def test_an_instructor_cannot_check_themselves(
    organization, instructor, bls, checklist
):
    own = Membership.objects.get(user=instructor)
    Membership.objects.filter(pk=own.pk).update(consent_given_at=timezone.now())
    complete(instructor, bls)
    error = refusal(lambda: record(organization, own, bls, instructor))
    assert error.code == "skills_check.own"


@pytest.mark.parametrize("status", ["revoked", "expired"])
def test_a_revoked_or_expired_certificate_takes_no_check(
    organization, instructor, nora, bls, certified, status
):
    if status == "revoked":
        Certificate.objects.filter(pk=certified.pk).update(
            status=Certificate.Status.REVOKED,
            revoked_at=timezone.now(),
            revoke_reason="Issued in error.",
        )
    else:
        Certificate.objects.filter(pk=certified.pk).update(
            expires_on=site_today() - timedelta(days=1)
        )
    error = refusal(lambda: record(organization, nora, bls, instructor))
    assert error.code == f"skills_check.certificate_{status}"
    assert not SkillsCheck.objects.exists()


def test_a_check_recorded_before_the_certificate_is_issued_is_on_it(
    organization, instructor, bls, checklist
):
    # Her certificate waits for her legal name: the check is recorded meanwhile.
    waiting = member(organization, legal_name="", email="wait@mercy.org")
    enrollment = complete(waiting.user, bls)
    assert not Certificate.objects.exists()
    record(organization, waiting, bls, instructor)
    waiting.user.legal_name = "Wanda Waits"
    waiting.user.save(update_fields=["legal_name"])
    certificate = certificate_issue(enrollment=enrollment)
    assert statement() in pdf_text(certificate)[0]


def test_an_instructor_without_a_legal_name_is_asked_for_it(
    organization, nora, bls, certified
):
    nameless = factories.UserFactory(legal_name="")
    factories.MembershipFactory(
        organization=organization, user=nameless, role=Membership.Role.INSTRUCTOR
    )
    error = refusal(lambda: record(organization, nora, bls, nameless))
    assert error.code == "skills_check.instructor_name_missing"


def test_a_member_who_stops_sharing_cannot_be_checked(
    organization, instructor, nora, bls, certified, instructor_client
):
    Membership.objects.filter(pk=nora.pk).update(consent_given_at=None)
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    assert instructor_client.get(url).status_code == 404
    error = refusal(lambda: record(organization, nora, bls, instructor))
    assert error.code == "skills_check.member_not_sharing"


def test_an_administrator_reads_and_revokes_but_does_not_record(
    admin_client, organization, org_admin, instructor, nora, bls, certified
):
    check = record(organization, nora, bls, instructor)
    page = admin_client.get(reverse("organizations:skills", args=[organization.slug]))
    assert page.status_code == 200
    assert "Record a check" not in page.content.decode()
    url = reverse(
        "organizations:skills_record", args=[organization.slug, nora.pk, "bls"]
    )
    assert admin_client.get(url).status_code == 404
    error = refusal(lambda: record(organization, nora, bls, org_admin))
    assert error.code == "organization.not_instructor"
    response = admin_client.post(
        reverse("organizations:skills_revoke", args=[organization.slug, check.pk]),
        {"reason": "Checked on an uncalibrated manikin."},
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.revoked_by == org_admin


def test_the_instructors_list_and_the_members_history(
    instructor_client, org_admin, organization, instructor, nora, bls, certified
):
    admin_client = Client()
    admin_client.force_login(org_admin)
    url = reverse("organizations:skills", args=[organization.slug])
    page = instructor_client.get(url).content.decode()
    assert "Nora Nurse" in page and "Not checked" in page and "Record a check" in page
    record(organization, nora, bls, instructor)
    page = instructor_client.get(url, {"q": "nora"}).content.decode()
    assert "Passed" in page
    history = admin_client.get(
        reverse("organizations:member", args=[organization.slug, nora.pk])
    ).content.decode()
    assert "Hands-on skills checks" in history and "Ivan Instructor" in history


def test_the_header_links_an_instructor_to_the_skills_checks(
    client, organization, instructor
):
    client.force_login(instructor)
    client.get(reverse("organizations:memberships"))  # reads the header's list
    page = client.get(reverse("courses:catalog")).content.decode()
    assert f'href="{reverse("organizations:skills", args=[organization.slug])}"' in page
    assert (
        reverse("organizations:dashboard", args=[organization.slug]) + '"' not in page
    )


@pytest.mark.parametrize("size", [10, 100])
def test_the_skills_page_reads_a_fixed_number_of_queries(
    instructor_client,
    organization,
    instructor,
    bls,
    checklist,
    size,
    django_assert_num_queries,
):
    for n in range(size):
        someone = member(organization, legal_name=f"Member {n:03d}")
        complete(someone.user, bls)
        if n % 3 == 0:
            record(organization, someone, bls, instructor)
    url = reverse("organizations:skills", args=[organization.slug])
    # User (the session comes from the cache), the organization and role; members,
    # completions, checks; the checks recorded.
    with django_assert_num_queries(6):
        response = instructor_client.get(url)
    assert response.context["shown"] == size


def test_the_skills_check_and_the_case_assessment_are_stated_together(
    organization, instructor, nora, bls, certified
):
    from certificates.selectors import SCOPE_CASES

    Certificate.objects.filter(pk=certified.pk).update(includes_case_assessment=True)
    certified.refresh_from_db()
    assert certificate_facts(certified).scope == f"{SCOPE_ONLINE_ONLY} {SCOPE_CASES}"
    record(organization, nora, bls, instructor)
    assert certificate_facts(certified).scope == f"{statement()} {SCOPE_CASES}"
