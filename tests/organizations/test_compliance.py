"""Each member's status per required course, at each boundary, and the totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Enrollment, LessonProgress
from organizations.models import Membership
from organizations.selectors import (
    EXPIRING_WITHIN_DAYS,
    Status,
    compliance_for,
    compliance_rows,
)
from tests import factories
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.django_db


def status_of(organization, membership, course):
    compliance = compliance_for(organization=organization)
    [row] = [r for r in compliance.rows if r.member.pk == membership.pk]
    index = [c.pk for c in compliance.columns].index(course.pk)
    return row.cells[index]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (EXPIRING_WITHIN_DAYS + 1, Status.CURRENT),
        (EXPIRING_WITHIN_DAYS, Status.EXPIRING),  # exactly 90 days out
        (0, Status.EXPIRING),  # expires today: still current
        (-1, Status.EXPIRED),  # expired yesterday
    ],
    ids=["91-days-out", "exactly-90-days-out", "expires-today", "expired-yesterday"],
)
def test_status_at_each_expiry_boundary(
    organization, required, bls, today, days, expected
):
    someone = member(organization)
    certify(someone.user, bls, expires_on=today + timedelta(days=days))

    cell = status_of(organization, someone, bls)

    assert cell.status == expected
    assert cell.expires_on == today + timedelta(days=days)
    assert cell.holds is (expected != Status.EXPIRED)


def test_a_newer_certificate_wins_over_an_expired_one(
    organization, required, bls, today
):
    someone = member(organization)
    certify(someone.user, bls, expires_on=today - timedelta(days=400))
    certify(someone.user, bls, expires_on=today + timedelta(days=300))

    assert status_of(organization, someone, bls).status == Status.CURRENT


def test_a_revoked_certificate_counts_for_nothing(organization, required, bls, today):
    someone = member(organization)
    certify(someone.user, bls, expires_on=today + timedelta(days=300), revoked=True)

    assert status_of(organization, someone, bls).status == Status.NONE


def test_an_approved_outside_card_is_current_and_a_pending_one_is_not(
    organization, required, bls, today
):
    approved, pending = member(organization), member(organization)
    factories.ExternalCertificateFactory(
        user=approved.user,
        course=bls,
        status="approved",
        reviewed_at=timezone.now(),
        expires_on=today + timedelta(days=200),
    )
    factories.ExternalCertificateFactory(
        user=pending.user, course=bls, expires_on=today + timedelta(days=200)
    )

    assert status_of(organization, approved, bls).status == Status.CURRENT
    assert status_of(organization, pending, bls).status == Status.NONE


def test_an_open_enrollment_is_in_progress_with_the_share_of_lessons_done(
    organization, required, bls, today
):
    someone = member(organization)
    enrollment = factories.EnrollmentFactory(user=someone.user, course=bls)
    first = bls.lessons.order_by("order").first()
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=first, completed_at=timezone.now()
    )

    cell = status_of(organization, someone, bls)

    assert cell.status == Status.IN_PROGRESS
    assert cell.percent == 50  # one of the two published lessons
    assert cell.detail == "50% of lessons"


def test_renewing_after_expiry_shows_in_progress_not_expired(
    organization, required, bls, today
):
    someone = member(organization)
    certify(someone.user, bls, expires_on=today - timedelta(days=10))
    factories.EnrollmentFactory(user=someone.user, course=bls)

    assert status_of(organization, someone, bls).status == Status.IN_PROGRESS


def test_nothing_at_all_is_none_and_overdue_once_the_due_date_passed(
    organization, required, bls
):
    someone = member(organization)
    newcomer = member(organization)
    Membership.objects.filter(pk=someone.pk).update(
        joined_at=timezone.now() - timedelta(days=31)
    )

    late = status_of(organization, someone, bls)
    fresh = status_of(organization, newcomer, bls)

    assert late.status == fresh.status == Status.NONE
    assert late.overdue and not fresh.overdue


def test_a_course_required_of_one_job_role_applies_to_that_role_only(
    organization, required, bls, acls, nurse, clerical
):
    rn = member(organization, job_role=nurse)
    clerk = member(organization, job_role=clerical)
    compliance = compliance_for(organization=organization)
    by_pk = {row.member.pk: row for row in compliance.rows}
    acls_at = [c.pk for c in compliance.columns].index(acls.pk)

    # Columns in catalog order (course order, then title).
    assert [c.code for c in compliance.columns] == ["ACLS", "BLS"]
    assert by_pk[rn.pk].cells[acls_at].status == Status.NONE
    assert by_pk[rn.pk].cells[acls_at].due_on == (
        timezone.localtime(rn.joined_at).date() + timedelta(days=60)
    )
    assert by_pk[clerk.pk].cells[acls_at] is None
    assert len(by_pk[clerk.pk].required) == 1


def test_members_who_do_not_share_are_counted_never_shown(
    organization, required, bls, today
):
    sharing = member(organization)
    hidden = member(organization, sharing=False)
    certify(hidden.user, bls, expires_on=today + timedelta(days=300))

    compliance = compliance_for(organization=organization)

    assert [row.member.pk for row in compliance.rows] == [sharing.pk]
    assert compliance.totals.not_sharing == 1


def test_members_who_left_are_gone(organization, required):
    left = member(organization)
    Membership.objects.filter(pk=left.pk).update(left_at=timezone.now())

    assert compliance_for(organization=organization).rows == []


def test_another_organizations_members_never_appear(organization, required, bls):
    other = factories.OrganizationFactory()
    member(other)

    assert compliance_for(organization=organization).rows == []


def test_totals_say_how_many_are_compliant_and_expiring(
    organization, required, bls, acls, nurse, clerical, today
):
    for n in range(5):  # compliant clerks, two of them expiring
        clerk = member(organization, job_role=clerical)
        days = 30 if n < 2 else 400
        certify(clerk.user, bls, expires_on=today + timedelta(days=days))
    rn = member(organization, job_role=nurse)  # BLS but no ACLS: not compliant
    certify(rn.user, bls, expires_on=today + timedelta(days=400))
    member(organization)  # nothing

    totals = compliance_for(organization=organization).totals

    assert (totals.members, totals.compliant, totals.expiring) == (7, 5, 2)
    assert totals.percent == 71  # 5 of 7, rounded down
    assert totals.sentence == "71% compliant, 2 expiring within 90 days"


def test_filters_search_and_sorting(
    organization, required, bls, nurse, clerical, today
):
    ann = member(organization, job_role=nurse, legal_name="Ann Archer")
    bob = member(organization, job_role=clerical, legal_name="Bob Baker")
    cat = member(organization, job_role=clerical, legal_name="Cat Cole")
    certify(bob.user, bls, expires_on=today + timedelta(days=20))
    certify(cat.user, bls, expires_on=today + timedelta(days=200))
    compliance = compliance_for(organization=organization)

    def names(**query):
        return [row.name for row in compliance_rows(compliance, **query)]

    assert names() == ["Ann Archer", "Bob Baker", "Cat Cole"]
    assert names(descending=True) == ["Cat Cole", "Bob Baker", "Ann Archer"]
    assert names(job_role=nurse.pk) == ["Ann Archer"]
    assert names(status="not_compliant") == ["Ann Archer"]
    assert names(status=Status.EXPIRING) == ["Bob Baker"]
    assert names(expiring_within=30) == ["Bob Baker"]
    assert names(expiring_within=365) == ["Bob Baker", "Cat Cole"]
    assert names(search="BAKER") == ["Bob Baker"]
    assert names(search=ann.user.email) == ["Ann Archer"]
    assert names(sort="expiry") == ["Bob Baker", "Cat Cole", "Ann Archer"]
    assert names(sort="compliant") == ["Ann Archer", "Bob Baker", "Cat Cole"]
    assert names(sort=f"course-{bls.pk}") == ["Cat Cole", "Bob Baker", "Ann Archer"]


def test_a_waiting_enrollment_counts_as_in_progress(
    organization, required, acls, nurse
):
    rn = member(organization, job_role=nurse)
    factories.EnrollmentFactory(
        user=rn.user, course=acls, status=Enrollment.Status.WAITING
    )

    assert status_of(organization, rn, acls).status == Status.IN_PROGRESS
