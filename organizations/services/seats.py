"""Prepaid seats: site staff issue them to an organization (the admin), an
administrator gives one to a member with a code, the member redeems the code to
enrol.

- A code is 80 random bits (organizations.codes), shown once to the administrator
  who assigned it, e-mailed to the member, and stored only as its SHA-256.
- It works for the member it was given to and for no one else, once: redeeming is
  a conditional UPDATE (`redeemed_at` set only where it is still empty and the
  assignment is not revoked), so of two concurrent redemptions exactly one wins.
  The enrolment runs in the same transaction through courses' own services
  (`enrollment_create`, `bundle_enroll`), so prerequisites and the renewal window
  hold: a refused enrolment leaves the code unused.
- The administrator may withdraw an assignment until it is redeemed (the same kind
  of conditional UPDATE, so a withdrawal and a redemption racing end with one of
  them); the seat is then free to give again, with a new code.
- Every step is recorded in the audit trail, refusals of a known code included
  (someone else's code, a used or withdrawn one).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.dates import format_day
from core.errors import InvalidInput, LifelineError
from core.events import publish
from courses.models import Bundle, Course, Enrollment
from courses.selectors import enrollment_open
from courses.services import bundle_enroll, enrollment_create

from ..codes import new_seat_code, normalize_seat_code, seat_code_hash, seat_code_hint
from ..errors import (
    OrganizationRefused,
    SeatCodeNotYours,
    SeatCodeUnknown,
    SeatUnavailable,
)
from ..events import SeatCodeIssued
from ..models import (
    SEATS_PER_GRANT_MAX,
    Membership,
    Organization,
    Seat,
    SeatAssignment,
    SeatGrant,
)
from .memberships import require_admin

# Draws of a free seat (or a fresh code) before giving up: two administrators
# assigning at the same moment, or a code colliding once in 2**80.
ASSIGN_ATTEMPTS = 5


def _product_label(grant: SeatGrant) -> str:
    return grant.course.title if grant.course_id else grant.bundle.title


def _product_data(grant: SeatGrant) -> dict:
    if grant.course_id:
        return {"course": grant.course.code}
    return {"bundle": grant.bundle.slug}


@transaction.atomic
def seats_issue(
    *,
    organization: Organization,
    quantity: int,
    by,
    course: Course | None = None,
    bundle: Bundle | None = None,
    note: str = "",
) -> SeatGrant:
    """Site staff issue `quantity` seats in a course or a bundle to the
    organization (the admin): a SeatGrant and its Seat rows, recorded as
    seat.issued. Issuing is not idempotent: each call is a purchase."""
    if (course is None) == (bundle is None):
        raise InvalidInput(
            "Seats are for a course or for a bundle.", code="seat.product"
        )
    if not 1 <= quantity <= SEATS_PER_GRANT_MAX:
        raise InvalidInput(
            f"Issue from 1 to {SEATS_PER_GRANT_MAX} seats at a time.",
            code="seat.quantity",
        )
    grant = SeatGrant.objects.create(
        organization=organization,
        course=course,
        bundle=bundle,
        quantity=quantity,
        note=note.strip(),
        issued_by=by,
    )
    Seat.objects.bulk_create(Seat(grant=grant) for _ in range(quantity))
    audit_record(
        action=AuditEvent.Action.SEATS_ISSUED,
        actor=by,
        target=grant,
        data={
            "organization": organization.slug,
            "quantity": quantity,
            "note": grant.note,
            **_product_data(grant),
        },
    )
    return grant


def _free_seats(*, organization: Organization, course_id, bundle_id):
    live = SeatAssignment.objects.filter(seat=OuterRef("pk"), revoked_at__isnull=True)
    return (
        Seat.objects.filter(
            grant__organization=organization,
            grant__course_id=course_id,
            grant__bundle_id=bundle_id,
        )
        .exclude(Exists(live))
        .order_by("pk")
    )


def _seat_message(*, assignment: SeatAssignment, code: str, by) -> dict[str, object]:
    grant = assignment.seat.grant
    organization = grant.organization
    context = {
        "organization": organization,
        "product": _product_label(grant),
        "bundle": grant.bundle_id is not None,
        "code": code,
        "assigned_by": (by.legal_name or by.email) if by else "",
        "redeem_url": settings.SITE_URL + reverse("organizations:seat_redeem"),
        "site_name": settings.SITE_NAME,
    }
    return {
        "subject": f"[{settings.SITE_NAME}] {organization.name} gives you a seat in "
        f"{context['product']}",
        "body": render_to_string("emails/organization_seat.txt", context),
        "html": render_to_string("emails/organization_seat.html", context),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": [assignment.membership.user.email],
        "headers": {},
    }


@dataclass(frozen=True)
class SeatAssigned:
    assignment: SeatAssignment
    # The code itself: shown once to the administrator, e-mailed to the member,
    # stored nowhere.
    code: str


@transaction.atomic
def seat_assign(
    *,
    organization: Organization,
    membership: Membership,
    course_id: int | None,
    bundle_id: int | None,
    by,
) -> SeatAssigned:
    """An administrator gives one of the organization's free seats in a course or
    bundle to a member who shares their status with it. Creates the assignment
    with a fresh code, records seat.assigned, and publishes the member's e-mail
    (SeatCodeIssued, sent after commit).

    Refuses (SeatUnavailable) when the member already holds an unused code for the
    same course or bundle, and when no seat is free. Two administrators assigning
    at once take different seats (SKIP LOCKED on PostgreSQL; the unique live
    assignment per seat everywhere)."""
    require_admin(user=by, organization=organization)
    # Two assignments to one member at once (a double click) queue here, so the
    # second finds the first's code.
    Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if (
        membership.organization_id != organization.pk
        or not Membership.objects.sharing().filter(pk=membership.pk).exists()
    ):
        raise OrganizationRefused(
            "Seats are given to members who share their status with the organization.",
            code="seat.member_not_sharing",
        )
    held = (
        SeatAssignment.objects.open()
        .filter(
            membership=membership,
            seat__grant__course_id=course_id,
            seat__grant__bundle_id=bundle_id,
        )
        .first()
    )
    if held is not None:
        raise SeatUnavailable(
            f"{membership.user.legal_name or membership.user.email} already holds a "
            f"code for this, ending {held.code_hint}, not used yet.",
            code="seat.already_held",
        )
    free = _free_seats(
        organization=organization, course_id=course_id, bundle_id=bundle_id
    )
    for _ in range(ASSIGN_ATTEMPTS):
        seat = (
            free.select_for_update(skip_locked=True, of=("self",))
            .select_related("grant__course", "grant__bundle", "grant__organization")
            .first()
        )
        if seat is None:
            raise SeatUnavailable(
                "No seat for this is left. Lifeline's staff issue more on request.",
                code="seat.none_free",
            )
        code = new_seat_code()
        try:
            with transaction.atomic():
                assignment = SeatAssignment.objects.create(
                    seat=seat,
                    membership=membership,
                    code_hash=seat_code_hash(code),
                    code_hint=seat_code_hint(code),
                    assigned_by=by,
                )
        except IntegrityError:
            continue  # the seat was taken meanwhile (SQLite), or the code exists
        break
    else:
        raise SeatUnavailable(
            "Every free seat was being given at the same moment; try again.",
            code="seat.busy",
        )
    audit_record(
        action=AuditEvent.Action.SEAT_ASSIGNED,
        actor=by,
        subject=membership.user,
        target=assignment,
        data={
            "organization": organization.slug,
            "code_hint": assignment.code_hint,
            **_product_data(seat.grant),
        },
    )
    publish(
        SeatCodeIssued(
            assignment_id=assignment.pk,
            message=_seat_message(assignment=assignment, code=code, by=by),
        )
    )
    return SeatAssigned(assignment=assignment, code=code)


@transaction.atomic
def seat_assignment_revoke(*, assignment: SeatAssignment, by) -> bool:
    """An administrator withdraws a code not yet redeemed: it no longer works and
    its seat is free to give again. Returns whether this call withdrew it (False:
    it was withdrawn already). Refuses (SeatUnavailable) a redeemed one."""
    organization = assignment.seat.grant.organization
    require_admin(user=by, organization=organization)
    withdrawn = SeatAssignment.objects.filter(
        pk=assignment.pk, revoked_at__isnull=True, redeemed_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_by=by)
    assignment.refresh_from_db(fields=["revoked_at", "revoked_by", "redeemed_at"])
    if not withdrawn:
        if assignment.redeemed_at:
            raise SeatUnavailable(
                f"The code ending {assignment.code_hint} was used on "
                f"{format_day(timezone.localdate(assignment.redeemed_at))}; a used "
                "seat cannot be withdrawn.",
                code="seat.used",
            )
        return False
    audit_record(
        action=AuditEvent.Action.SEAT_ASSIGNMENT_REVOKED,
        actor=by,
        subject=assignment.membership.user,
        target=assignment,
        data={"organization": organization.slug, "code_hint": assignment.code_hint},
    )
    return True


@dataclass(frozen=True)
class SeatRedeemed:
    assignment: SeatAssignment
    # The enrollments the seat opened (a bundle opens one per course not held).
    enrollments: list[Enrollment]
    product: str


def _refusal(assignment: SeatAssignment, *, user) -> LifelineError | None:
    """Why this member cannot redeem this code now, or None."""
    organization = assignment.seat.grant.organization
    if assignment.membership.user_id != user.pk:
        return SeatCodeNotYours(
            f"This code was given to someone else. Ask {organization.name} for a "
            "seat of your own."
        )
    if assignment.redeemed_at:
        return SeatUnavailable(
            "This code was already used, on "
            f"{format_day(timezone.localdate(assignment.redeemed_at))}.",
            code="seat.used",
        )
    if assignment.revoked_at:
        return SeatUnavailable(
            f"{organization.name} withdrew this code on "
            f"{format_day(timezone.localdate(assignment.revoked_at))}. Ask them for "
            "a new one.",
            code="seat.revoked",
        )
    if assignment.membership.left_at:
        return SeatUnavailable(
            f"You left {organization.name}, so its seat codes no longer work for you.",
            code="seat.member_left",
        )
    return None


def _refused(assignment: SeatAssignment, *, user, error: LifelineError) -> None:
    """Records a refused redemption of a known code, in its own transaction (the
    refusal itself changes nothing)."""
    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.SEAT_REDEEM_REFUSED,
            actor=user,
            subject=assignment.membership.user,
            target=assignment,
            data={
                "organization": assignment.seat.grant.organization.slug,
                "code_hint": assignment.code_hint,
                "reason": error.code,
            },
        )


@transaction.atomic
def _redeem(assignment: SeatAssignment, *, user) -> list[Enrollment]:
    won = SeatAssignment.objects.filter(
        pk=assignment.pk, revoked_at__isnull=True, redeemed_at__isnull=True
    ).update(redeemed_at=timezone.now())
    if not won:
        # Used or withdrawn by a concurrent request since it was read.
        assignment.refresh_from_db(fields=["revoked_at", "redeemed_at"])
        raise _refusal(assignment, user=user) or SeatUnavailable(
            "This code was already used.", code="seat.used"
        )
    grant = assignment.seat.grant
    if grant.course_id:
        course = grant.course
        if enrollment_open(user=user, course=course) is not None:
            raise SeatUnavailable(
                f"You are already enrolled in {course.title}. The code stays unused: "
                "keep it, or give it back to your administrator.",
                code="seat.already_enrolled",
            )
        enrollments = [enrollment_create(user=user, course=course)]
    else:
        before = set(
            Enrollment.objects.filter(
                user=user,
                status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
            ).values_list("pk", flat=True)
        )
        enrollments = [
            e
            for e in bundle_enroll(user=user, bundle=grant.bundle)
            if e.pk not in before
        ]
        if not enrollments:
            raise SeatUnavailable(
                f"You are already enrolled in, or hold, every course of "
                f"{grant.bundle.title}. The code stays unused.",
                code="seat.already_enrolled",
            )
    assignment.enrollments.set(enrollments)
    audit_record(
        action=AuditEvent.Action.SEAT_REDEEMED,
        actor=user,
        subject=user,
        target=assignment,
        data={
            "organization": grant.organization.slug,
            "code_hint": assignment.code_hint,
            "enrollments": [e.pk for e in enrollments],
            **_product_data(grant),
        },
    )
    return enrollments


def seat_redeem(*, user, code: str) -> SeatRedeemed:
    """The member redeems a code given to them: it enrols them in its course, or in
    the bundle's courses they do not hold or take already, and is used up.

    Refuses, changing nothing: a code that is not one or that no seat has
    (SeatCodeUnknown), a code given to someone else (SeatCodeNotYours), a code
    used or withdrawn, a member who left the organization, and a seat that would
    enrol them in nothing new (SeatUnavailable); and whatever enrolment itself
    refuses (EnrollmentRefused: prerequisites, the renewal window), the code
    staying unused. Refusals of a known code are recorded (seat.redeem_refused)."""
    canonical = normalize_seat_code(code)
    if not canonical:
        raise SeatCodeUnknown(
            "That is not a seat code. A seat code has 16 letters and digits, like "
            "K7Q4-M2XD-9TRA-W3HP."
        )
    assignment = (
        SeatAssignment.objects.filter(code_hash=seat_code_hash(canonical))
        .select_related(
            "membership__user",
            "seat__grant__organization",
            "seat__grant__course",
            "seat__grant__bundle",
        )
        .first()
    )
    if assignment is None:
        raise SeatCodeUnknown(
            f"No seat has the code {canonical}. Check it against your e-mail and "
            "try again."
        )
    refusal = _refusal(assignment, user=user)
    if refusal is None:
        try:
            enrollments = _redeem(assignment, user=user)
        except LifelineError as error:
            refusal = error
    if refusal is not None:
        _refused(assignment, user=user, error=refusal)
        raise refusal
    assignment.refresh_from_db(fields=["redeemed_at"])
    return SeatRedeemed(
        assignment=assignment,
        enrollments=enrollments,
        product=_product_label(assignment.seat.grant),
    )
