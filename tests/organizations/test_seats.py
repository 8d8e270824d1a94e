"""Prepaid seats (issue 17, part 2): staff issue them in the admin, an
administrator gives one to a member with a code, the member redeems the code to
enrol. Codes are unguessable, stored hashed, single-use, bound to their member and
revocable until redeemed; every step is in the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import LifelineError
from courses.models import Enrollment
from organizations import codes
from organizations.models import Seat, SeatAssignment, SeatGrant
from organizations.selectors.seats import seat_pools_for
from organizations.services import (
    seat_assign,
    seat_assignment_revoke,
    seat_redeem,
    seats_issue,
)
from tests import factories
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.django_db

CODE_SHAPE = re.compile(r"^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$")


@pytest.fixture
def seats(organization, bls, staff):
    """Three BLS seats issued to Mercy Hospital."""
    return seats_issue(organization=organization, course=bls, quantity=3, by=staff)


@pytest.fixture
def nurse_member(organization):
    return member(organization, legal_name="Nora Nurse", email="nora@mercy.example.org")


def give(organization, membership, course, org_admin):
    return seat_assign(
        organization=organization,
        membership=membership,
        course_id=course.pk,
        bundle_id=None,
        by=org_admin,
    )


def refusal(call) -> LifelineError:
    with pytest.raises(LifelineError) as raised:
        call()
    return raised.value


# --- Codes ------------------------------------------------------------------------


def test_codes_carry_80_random_bits_in_a_readable_alphabet():
    drawn = {codes.new_seat_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(CODE_SHAPE.match(code) for code in drawn)
    assert codes.BITS == 80
    # No look-alikes: 0/O and 1/I never appear.
    assert not set("".join(drawn)) & set("01OI")


def test_a_code_is_accepted_as_people_type_it():
    code = codes.new_seat_code()
    for typed in (code.lower(), code.replace("-", ""), code.replace("-", " ")):
        assert codes.normalize_seat_code(f" {typed} ") == code
    assert codes.normalize_seat_code("K7Q4-M2XD-9TRA") == ""  # too short
    assert codes.normalize_seat_code("K7Q4-M2XD-9TRA-W3H0") == ""  # 0 is not used


# --- Issuing (staff) --------------------------------------------------------------


def test_staff_issue_seats_in_the_admin_and_it_is_recorded(
    staff_client, organization, bls
):
    response = staff_client.post(
        reverse("admin:organizations_seatgrant_add"),
        {
            "organization": organization.pk,
            "course": bls.pk,
            "quantity": 25,
            "note": "PO 2027-014",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = SeatGrant.objects.get()
    assert (grant.course, grant.quantity, grant.note) == (bls, 25, "PO 2027-014")
    assert Seat.objects.filter(grant=grant).count() == 25
    event = AuditEvent.objects.get(action=AuditEvent.Action.SEATS_ISSUED)
    assert event.actor == staff_client.user
    assert event.data["quantity"] == 25


def test_the_admin_refuses_seats_for_both_a_course_and_a_bundle(
    staff_client, organization, bls
):
    bundle = factories.BundleFactory(courses=[bls])
    response = staff_client.post(
        reverse("admin:organizations_seatgrant_add"),
        {
            "organization": organization.pk,
            "course": bls.pk,
            "bundle": bundle.pk,
            "quantity": 2,
        },
    )
    assert response.status_code == 200
    assert "Seats are for a course or for a bundle." in response.content.decode()
    assert not Seat.objects.exists()


# --- Giving a seat (the administrator) --------------------------------------------


def test_an_administrator_gives_a_seat_and_sees_the_code_once(
    admin_client,
    organization,
    seats,
    nurse_member,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    url = reverse("organizations:seats", args=[organization.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {"product": f"course:{seats.course_id}", "email": "NORA@mercy.example.org"},
        )
    assert response.status_code == 200
    code = response.context["assigned"].code
    assert CODE_SHAPE.match(code)
    page = response.content.decode()
    assert code in page
    # The member is e-mailed the code; the database keeps only its hash and its
    # last four characters.
    (message,) = mailoutbox
    assert message.to == ["nora@mercy.example.org"]
    assert code in message.body
    assert reverse("organizations:seat_redeem") in message.body
    assignment = SeatAssignment.objects.get()
    assert assignment.code_hash == codes.seat_code_hash(code) != code
    assert assignment.code_hint == code[-4:]
    assert not SeatAssignment.objects.filter(code_hash__contains=code[:9]).exists()
    # Reloaded, the page shows the code's end only.
    page = admin_client.get(url).content.decode()
    assert code not in page and f"…{code[-4:]}" in page
    (pool,) = seat_pools_for(organization=organization)
    assert (pool.issued, pool.assigned, pool.redeemed, pool.free) == (3, 1, 0, 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SEAT_ASSIGNED)
    assert event.subject == nurse_member.user
    assert event.data["code_hint"] == code[-4:]
    assert code not in str(event.data)


def test_a_seat_goes_only_to_a_member_who_shares(admin_client, organization, seats):
    member(organization, sharing=False, email="quiet@mercy.example.org")
    stranger = factories.UserFactory(email="stranger@example.org")
    url = reverse("organizations:seats", args=[organization.slug])
    for email in ("quiet@mercy.example.org", stranger.email):
        response = admin_client.post(
            url, {"product": f"course:{seats.course_id}", "email": email}
        )
        assert "No member who shares their status" in response.content.decode()
    assert not SeatAssignment.objects.exists()


def test_a_member_holds_one_unused_code_per_course(
    organization, org_admin, seats, bls, nurse_member
):
    first = give(organization, nurse_member, bls, org_admin)
    error = refusal(lambda: give(organization, nurse_member, bls, org_admin))
    assert error.code == "seat.already_held"
    assert first.assignment.code_hint in error.message
    assert SeatAssignment.objects.count() == 1


def test_no_seat_is_given_when_none_is_free(organization, org_admin, seats, bls):
    for _ in range(3):
        give(organization, member(organization), bls, org_admin)
    error = refusal(lambda: give(organization, member(organization), bls, org_admin))
    assert error.code == "seat.none_free"
    assert SeatAssignment.objects.count() == 3


def test_only_an_administrator_gives_seats(organization, seats, bls, nurse_member):
    someone = member(organization)
    error = refusal(lambda: give(organization, nurse_member, bls, someone.user))
    assert error.code == "organization.not_admin"
    assert not SeatAssignment.objects.exists()


# --- Redeeming (the member) -------------------------------------------------------


def test_the_member_redeems_the_code_and_is_enrolled(
    client, organization, org_admin, seats, bls, nurse_member
):
    code = give(organization, nurse_member, bls, org_admin).code
    client.force_login(nurse_member.user)
    typed = code.lower().replace("-", " ")
    response = client.post(reverse("organizations:seat_redeem"), {"code": typed})
    assert response.status_code == 302
    assert response.url == reverse("courses:home", args=[bls.slug])
    enrollment = Enrollment.objects.get(user=nurse_member.user, course=bls)
    assert enrollment.status == Enrollment.Status.ACTIVE
    assignment = SeatAssignment.objects.get()
    assert assignment.redeemed_at is not None
    assert list(assignment.enrollments.all()) == [enrollment]
    event = AuditEvent.objects.get(action=AuditEvent.Action.SEAT_REDEEMED)
    assert (event.actor, event.data["enrollments"]) == (
        nurse_member.user,
        [enrollment.pk],
    )
    (pool,) = seat_pools_for(organization=organization)
    assert (pool.assigned, pool.redeemed, pool.free) == (0, 1, 2)


def test_a_code_works_once(organization, org_admin, seats, bls, nurse_member):
    code = give(organization, nurse_member, bls, org_admin).code
    seat_redeem(user=nurse_member.user, code=code)
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=code))
    assert error.code == "seat.used"
    assert "already used" in error.message
    assert Enrollment.objects.filter(user=nurse_member.user).count() == 1


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("not a code", "That is not a seat code"),
        ("K7Q4-M2XD-9TRA-W3HP", "No seat has the code K7Q4-M2XD-9TRA-W3HP"),
    ],
)
def test_a_wrong_code_is_refused_clearly(client, nurse_member, typed, says):
    client.force_login(nurse_member.user)
    response = client.post(reverse("organizations:seat_redeem"), {"code": typed})
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Enrollment.objects.exists()


def test_a_code_given_to_someone_else_is_refused_and_recorded(
    organization, org_admin, seats, bls, nurse_member
):
    code = give(organization, nurse_member, bls, org_admin).code
    colleague = member(organization)
    error = refusal(lambda: seat_redeem(user=colleague.user, code=code))
    assert error.code == "seat.not_yours"
    assert "given to someone else" in error.message
    assert not Enrollment.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SEAT_REDEEM_REFUSED)
    assert (event.actor, event.subject, event.data["reason"]) == (
        colleague.user,
        nurse_member.user,
        "seat.not_yours",
    )
    # It still works for its member.
    seat_redeem(user=nurse_member.user, code=code)


def test_a_withdrawn_code_no_longer_works_and_its_seat_is_free_again(
    admin_client, organization, org_admin, seats, bls, nurse_member
):
    given = give(organization, nurse_member, bls, org_admin)
    response = admin_client.post(
        reverse(
            "organizations:seat_revoke", args=[organization.slug, given.assignment.pk]
        )
    )
    assert response.status_code == 302
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=given.code))
    assert error.code == "seat.revoked"
    assert "withdrew this code" in error.message
    (pool,) = seat_pools_for(organization=organization)
    assert (pool.assigned, pool.free) == (0, 3)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SEAT_ASSIGNMENT_REVOKED
    ).exists()
    # The member can be given a new code, which works.
    again = give(organization, nurse_member, bls, org_admin)
    assert again.code != given.code
    seat_redeem(user=nurse_member.user, code=again.code)


def test_a_redeemed_code_cannot_be_withdrawn(
    organization, org_admin, seats, bls, nurse_member
):
    given = give(organization, nurse_member, bls, org_admin)
    seat_redeem(user=nurse_member.user, code=given.code)
    error = refusal(
        lambda: seat_assignment_revoke(assignment=given.assignment, by=org_admin)
    )
    assert error.code == "seat.used"
    assert SeatAssignment.objects.get().revoked_at is None


def test_withdrawing_twice_withdraws_once(
    organization, org_admin, seats, bls, nurse_member
):
    given = give(organization, nurse_member, bls, org_admin)
    assert seat_assignment_revoke(assignment=given.assignment, by=org_admin) is True
    assert seat_assignment_revoke(assignment=given.assignment, by=org_admin) is False
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.SEAT_ASSIGNMENT_REVOKED
        ).count()
        == 1
    )


def test_a_member_who_left_cannot_redeem(
    organization, org_admin, seats, bls, nurse_member
):
    from organizations.services import membership_leave

    code = give(organization, nurse_member, bls, org_admin).code
    membership_leave(membership=nurse_member, user=nurse_member.user)
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=code))
    assert error.code == "seat.member_left"


def test_prerequisites_still_apply_and_the_code_stays_unused(
    organization, org_admin, staff, acls, nurse_member
):
    seats_issue(organization=organization, course=acls, quantity=1, by=staff)
    code = give(organization, nurse_member, acls, org_admin).code
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=code))
    assert error.code == "enrollment.prerequisite_missing"
    assert "requires a current certificate in Basic Life Support" in error.message
    assert SeatAssignment.objects.get().redeemed_at is None
    assert not Enrollment.objects.exists()
    # Once BLS is held, the same code enrols.
    certify(nurse_member.user, acls.prerequisites.get(), expires_on=_in(400))
    seat_redeem(user=nurse_member.user, code=code)
    assert Enrollment.objects.filter(course=acls, status="active").exists()


def test_the_renewal_window_still_applies(
    organization, org_admin, seats, bls, nurse_member
):
    certify(nurse_member.user, bls, expires_on=_in(200))
    code = give(organization, nurse_member, bls, org_admin).code
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=code))
    assert error.code == "enrollment.renewal_not_open"
    assert SeatAssignment.objects.get().redeemed_at is None


def test_a_member_already_enrolled_keeps_the_code_unused(
    organization, org_admin, seats, bls, nurse_member
):
    factories.EnrollmentFactory(user=nurse_member.user, course=bls)
    code = give(organization, nurse_member, bls, org_admin).code
    error = refusal(lambda: seat_redeem(user=nurse_member.user, code=code))
    assert error.code == "seat.already_enrolled"
    assert SeatAssignment.objects.get().redeemed_at is None


def test_a_bundle_seat_enrols_in_its_courses(
    client, organization, org_admin, staff, bls, acls, nurse_member
):
    bundle = factories.BundleFactory(courses=[bls, acls])
    seats_issue(organization=organization, bundle=bundle, quantity=1, by=staff)
    given = seat_assign(
        organization=organization,
        membership=nurse_member,
        course_id=None,
        bundle_id=bundle.pk,
        by=org_admin,
    )
    client.force_login(nurse_member.user)
    response = client.post(reverse("organizations:seat_redeem"), {"code": given.code})
    assert response.url == reverse("courses:dashboard")
    statuses = dict(
        Enrollment.objects.filter(user=nurse_member.user).values_list(
            "course__slug", "status"
        )
    )
    # ACLS waits for the BLS certificate, as a bundle enrolment does.
    assert statuses == {"bls": "active", "acls": "waiting"}
    assert SeatAssignment.objects.get().enrollments.count() == 2


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_redeeming_is_rate_limited(client, nurse_member, settings):
    client.force_login(nurse_member.user)
    url = reverse("organizations:seat_redeem")
    for _ in range(10):
        assert client.post(url, {"code": "K7Q4-M2XD-9TRA-W3HP"}).status_code == 200
    response = client.post(url, {"code": "K7Q4-M2XD-9TRA-W3HP"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many tries" in response.content.decode()


def test_the_learner_sees_the_codes_given_to_them(
    client, organization, org_admin, seats, bls, nurse_member
):
    code = give(organization, nurse_member, bls, org_admin).code
    client.force_login(nurse_member.user)
    for name in ("organizations:memberships", "organizations:seat_redeem"):
        page = client.get(reverse(name)).content.decode()
        assert "Basic Life Support" in page and code[-4:] in page
        assert code not in page


# --- Query counts -----------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 100])
def test_the_seats_page_reads_a_fixed_number_of_queries(
    admin_client,
    organization,
    org_admin,
    staff,
    bls,
    acls,
    size,
    django_assert_num_queries,
):
    bundle = factories.BundleFactory(courses=[bls, acls])
    seats_issue(organization=organization, course=bls, quantity=size, by=staff)
    seats_issue(organization=organization, bundle=bundle, quantity=size, by=staff)
    for _ in range(size):
        give(organization, member(organization), bls, org_admin)
        seat_assign(
            organization=organization,
            membership=member(organization),
            course_id=None,
            bundle_id=bundle.pk,
            by=org_admin,
        )
    # User (the session comes from the cache), the organization; pools; the codes'
    # count and page.
    with django_assert_num_queries(5):
        response = admin_client.get(
            reverse("organizations:seats", args=[organization.slug])
        )
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(50, 2 * size)


def _in(days: int):
    from core.dates import site_today

    return site_today() + timedelta(days=days)
