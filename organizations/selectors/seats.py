"""Reads of prepaid seats: an organization's pools and assignments (its
administrators'), and the codes given to a learner (theirs). Each page reads a
fixed number of queries whatever the number of seats."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from ..models import (
    Membership,
    Organization,
    Seat,
    SeatAssignment,
    seat_product_key,
)
from .roster import member_while_sharing


@dataclass(frozen=True)
class SeatPool:
    """An organization's seats in one course or bundle, counted."""

    key: str  # "course:<id>" or "bundle:<id>"
    course_id: int | None
    bundle_id: int | None
    label: str
    issued: int
    assigned: int  # given, code not used yet
    redeemed: int

    @property
    def free(self) -> int:
        return self.issued - self.assigned - self.redeemed

    @property
    def kind(self) -> str:
        return "Course" if self.course_id else "Bundle"


def seat_pools_for(*, organization: Organization) -> list[SeatPool]:
    """The organization's seats grouped by course or bundle: issued, given and not
    used yet, used, free. One query."""
    given = SeatAssignment.objects.filter(
        seat=OuterRef("pk"), revoked_at__isnull=True, redeemed_at__isnull=True
    )
    used = SeatAssignment.objects.filter(seat=OuterRef("pk"), redeemed_at__isnull=False)
    rows = (
        Seat.objects.filter(grant__organization=organization)
        .order_by()
        .values(
            "grant__course_id",
            "grant__course__title",
            "grant__bundle_id",
            "grant__bundle__title",
        )
        .annotate(
            issued=Count("pk"),
            assigned=Count("pk", filter=Q(Exists(given))),
            redeemed=Count("pk", filter=Q(Exists(used))),
        )
    )
    pools = [
        SeatPool(
            key=seat_product_key(
                course_id=row["grant__course_id"], bundle_id=row["grant__bundle_id"]
            ),
            course_id=row["grant__course_id"],
            bundle_id=row["grant__bundle_id"],
            label=row["grant__course__title"] or row["grant__bundle__title"],
            issued=row["issued"],
            assigned=row["assigned"],
            redeemed=row["redeemed"],
        )
        for row in rows
    ]
    return sorted(pools, key=lambda pool: (pool.bundle_id is not None, pool.label))


def seat_assignments_for_admin(
    *, organization: Organization
) -> QuerySet[SeatAssignment]:
    """The organization's seat codes, newest first, with what they are for and
    their member while the member shares their status (`member_while_sharing`: a
    member who withdrew consent or left is not named). The page shows them in pages
    of 50: two queries a page."""
    return (
        SeatAssignment.objects.filter(seat__grant__organization=organization)
        .select_related("seat__grant__course", "seat__grant__bundle")
        .annotate(**member_while_sharing())
        .order_by("-assigned_at", "-pk")
    )


def seat_assignment_for_admin(*, organization: Organization, pk: int) -> SeatAssignment:
    """One of the organization's seat codes; 404 for any other."""
    assignment = (
        SeatAssignment.objects.filter(seat__grant__organization=organization, pk=pk)
        .select_related("membership__user", "seat__grant__organization")
        .first()
    )
    if assignment is None:
        raise Http404("No such seat code.")
    return assignment


def seat_member_for_admin(
    *, organization: Organization, email: str
) -> Membership | None:
    """The member with this address (any letter case) who shares their status with
    the organization, or None: seats are given to sharing members only, like
    everything an administrator does with a member."""
    return (
        Membership.objects.sharing()
        .filter(organization=organization, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )


@dataclass(frozen=True)
class SeatCodeHeld:
    """A code given to the learner and not used yet, as their page lists it."""

    pk: int
    organization: str
    product: str
    code_hint: str
    assigned_at: object


def seat_codes_open_for(*, user) -> list[SeatCodeHeld]:
    """The codes given to the learner, in organizations they are still a member of,
    neither used nor withdrawn. One query."""
    if not user.is_authenticated:
        return []
    return [
        SeatCodeHeld(
            pk=assignment.pk,
            organization=assignment.membership.organization.name,
            product=(
                assignment.seat.grant.course.title
                if assignment.seat.grant.course_id
                else assignment.seat.grant.bundle.title
            ),
            code_hint=assignment.code_hint,
            assigned_at=assignment.assigned_at,
        )
        for assignment in SeatAssignment.objects.open()
        .filter(membership__user=user, membership__left_at__isnull=True)
        .select_related(
            "membership__organization", "seat__grant__course", "seat__grant__bundle"
        )
        .order_by("-assigned_at")
    ]
