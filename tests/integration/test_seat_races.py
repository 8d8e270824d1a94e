"""Seat codes under real concurrency on PostgreSQL (issue 17, part 2): two
redemptions of one code at the same moment enrol once, and a withdrawal racing a
redemption ends with exactly one of them."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from core.errors import LifelineError
from courses.models import Enrollment
from organizations.models import Membership, SeatAssignment
from organizations.services import (
    seat_assign,
    seat_assignment_revoke,
    seat_redeem,
    seats_issue,
)
from tests import factories

from .races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def given(postgres):
    course = factories.CourseFactory(slug="bls", code="BLS")
    factories.LessonFactory(module=factories.ModuleFactory(course=course))
    organization = factories.OrganizationFactory()
    admin = factories.MembershipFactory(
        organization=organization, role=Membership.Role.ADMIN
    ).user
    seats_issue(
        organization=organization,
        course=course,
        quantity=2,
        by=factories.StaffFactory(),
    )
    member = factories.MembershipFactory(organization=organization)
    assigned = seat_assign(
        organization=organization,
        membership=member,
        course_id=course.pk,
        bundle_id=None,
        by=admin,
    )
    return assigned, member.user, admin


@pytest.mark.parametrize("attempt", range(3))
def test_two_redemptions_of_one_code_at_once_enrol_once(given, attempt):
    assigned, user, _ = given
    outcomes = race(
        lambda: seat_redeem(user=user, code=assigned.code),
        lambda: seat_redeem(user=user, code=assigned.code.lower()),
    )
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1 and isinstance(lost[0], LifelineError), outcomes
    assert lost[0].code == "seat.used"
    assert Enrollment.objects.filter(user=user).count() == 1
    assert SeatAssignment.objects.get().enrollments.count() == 1
    assert AuditEvent.objects.filter(action="seat.redeemed").count() == 1
    assert AuditEvent.objects.filter(action="seat.redeem_refused").count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_a_withdrawal_racing_a_redemption_ends_with_one_of_them(given, attempt):
    assigned, user, admin = given
    outcomes = race(
        lambda: seat_redeem(user=user, code=assigned.code),
        lambda: seat_assignment_revoke(assignment=assigned.assignment, by=admin),
    )
    assignment = SeatAssignment.objects.get()
    redeemed, revoked = outcomes
    if isinstance(redeemed, Exception):
        assert redeemed.code == "seat.revoked"
        assert revoked is True
        assert assignment.revoked_at and not assignment.redeemed_at
        assert not Enrollment.objects.exists()
    else:
        assert isinstance(revoked, LifelineError) and revoked.code == "seat.used"
        assert assignment.redeemed_at and not assignment.revoked_at
        assert Enrollment.objects.filter(user=user).count() == 1


def test_two_administrators_giving_seats_at_once_take_different_seats(given):
    assigned, _, admin = given
    organization = assigned.assignment.membership.organization
    course_id = assigned.assignment.seat.grant.course_id
    # One seat of two is left: two members at once, one gets it.
    members = [factories.MembershipFactory(organization=organization) for _ in range(2)]
    outcomes = race(
        *[
            (
                lambda m=m: seat_assign(
                    organization=organization,
                    membership=m,
                    course_id=course_id,
                    bundle_id=None,
                    by=admin,
                )
            )
            for m in members
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1 and errors[0].code == "seat.none_free", outcomes
    assert SeatAssignment.objects.count() == 2
    assert SeatAssignment.objects.values("seat").distinct().count() == 2
