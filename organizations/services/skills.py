"""Skills checks: an instructor of an organization records, for a member who
shares their status and completed a course online, the hands-on check of that
course's checklist; an instructor or administrator of the organization revokes one
with a reason.

A passed check that stands is attached to the certificate of the completed
enrollment: certificates reads it through certificates.attestations (organizations
sits above certificates, so certificates never imports it) and states "Online
course and hands-on skills check (instructor, organization, date)" on the PDF, the
wallet card and the verify page. Recording or revoking a passed check drops the
stored PDF in the same transaction and has it rendered again
(certificates.services.certificate_pdf_outdate). Both are recorded in the audit
trail.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from certificates.models import Certificate
from certificates.selectors import certificate_of_enrollment
from certificates.services.issuing import certificate_pdf_outdate
from core.dates import format_day, site_today
from courses.models import Course, Enrollment

from ..errors import OrganizationRefused, SkillsCheckRefused
from ..models import Membership, Organization, SkillItem, SkillsCheck

ATTESTATION = (
    "I, {instructor}, observed {member} perform each skill of this checklist in "
    "person {when}, against the criteria shown, and the results I record are what "
    "I observed."
)


def require_instructor(*, user, organization: Organization) -> None:
    """Refuses (OrganizationRefused) unless `user` is an active instructor of
    `organization`: only instructors record skills checks."""
    if not (
        user is not None
        and user.is_authenticated
        and Membership.objects.active()
        .filter(user=user, organization=organization, role=Membership.Role.INSTRUCTOR)
        .exists()
    ):
        raise OrganizationRefused(
            "Only an instructor of this organization can record a skills check.",
            code="organization.not_instructor",
        )


def attestation_for(
    *, instructor_name: str, member_name: str, on: date | None = None
) -> str:
    """The sentence the instructor ticks, with their name and the member's: "on
    the date above" on the form, the date itself as recorded."""
    when = f"on {format_day(on)}" if on else "on the date above"
    return ATTESTATION.format(instructor=instructor_name, member=member_name, when=when)


def _refuse(message: str, code: str) -> SkillsCheckRefused:
    return SkillsCheckRefused(message, code=f"skills_check.{code}")


def _certificate_allows(enrollment: Enrollment, *, today: date) -> None:
    certificate = certificate_of_enrollment(enrollment_id=enrollment.pk)
    if certificate is None:
        return  # being issued, or waiting for the legal name: it will state the check
    if certificate.status == Certificate.Status.REVOKED:
        raise _refuse(
            "The member's certificate for this course was revoked, so a skills check "
            "cannot be attached to it.",
            "certificate_revoked",
        )
    if certificate.expires_on < today:
        raise _refuse(
            f"The member's certificate for this course expired on "
            f"{format_day(certificate.expires_on)}. They renew the online course "
            "first.",
            "certificate_expired",
        )


@transaction.atomic
def skills_check_record(
    *,
    organization: Organization,
    membership: Membership,
    course: Course,
    checked_on: date,
    location: str,
    results: dict[str, bool],
    passed: bool,
    attested: bool,
    by,
    note: str = "",
) -> SkillsCheck:
    """Records an instructor's skills check of a member in a course: each item of
    the course's checklist passed or not (`results`, by item id), the overall
    result (`passed`: only when every item passed), the date and place, a note and
    the attestation. Audited (skills_check.recorded). A pass is attached to the
    certificate of the member's latest completed enrollment in the course and its
    PDF is rendered again.

    Refuses (SkillsCheckRefused, nothing recorded): a member who is not an active
    member sharing their status with the organization, the instructor themselves,
    a course not completed online or without a checklist, results that are not
    exactly the checklist's items, a pass with an item not passed, no attestation,
    no location, a date in the future or before the online course was completed, a
    certificate revoked or expired, and a second pass while one stands."""
    require_instructor(user=by, organization=organization)
    if (
        membership.organization_id != organization.pk
        or not Membership.objects.sharing().filter(pk=membership.pk).exists()
    ):
        raise OrganizationRefused(
            "Skills checks are recorded for members who share their status with "
            "the organization.",
            code="skills_check.member_not_sharing",
        )
    member = membership.user
    if member.pk == by.pk:
        raise _refuse("You cannot record your own skills check.", "own")
    instructor_name = by.legal_name.strip()
    if not instructor_name:
        raise _refuse(
            "Add your legal name to your profile first: the member's certificate "
            "names the instructor.",
            "instructor_name_missing",
        )
    items = list(
        SkillItem.objects.filter(course=course, is_active=True).order_by("order")
    )
    if not items:
        raise _refuse(f"{course.title} has no skills checklist.", "no_checklist")
    if set(results) != {item.key for item in items}:
        raise _refuse(
            "Mark every item of the checklist as passed or not passed.", "items"
        )
    if passed and not all(results.values()):
        raise _refuse(
            "A skills check passes only when every item passed.", "pass_with_failure"
        )
    if not attested:
        raise _refuse("Tick the attestation to record the check.", "not_attested")
    location = location.strip()
    if not location:
        raise _refuse("Say where the check took place.", "location")
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .filter(user=member, course=course, status=Enrollment.Status.COMPLETED)
        .order_by("-completed_at", "-pk")
        .first()
    )
    if enrollment is None:
        raise _refuse(
            f"{member.legal_name or member.email} has not completed {course.title} "
            "online yet.",
            "not_completed",
        )
    today = site_today()
    completed_on = timezone.localdate(
        enrollment.completed_at, timezone.get_default_timezone()
    )
    if checked_on > today:
        raise _refuse("The date of the check cannot be in the future.", "date")
    if checked_on < completed_on:
        raise _refuse(
            f"The check follows the online course, completed on "
            f"{format_day(completed_on)}.",
            "date",
        )
    _certificate_allows(enrollment, today=today)
    standing = SkillsCheck.objects.attached().filter(enrollment=enrollment).first()
    if passed and standing is not None:
        raise _refuse(
            f"A passed skills check stands already ({standing.instructor_name}, "
            f"{format_day(standing.checked_on)}); revoke it first to record "
            "another.",
            "pass_exists",
        )
    member_name = member.legal_name or member.email
    try:
        with transaction.atomic():
            check = SkillsCheck.objects.create(
                organization=organization,
                membership=membership,
                enrollment=enrollment,
                course=course,
                instructor=by,
                instructor_name=instructor_name,
                organization_name=organization.name,
                checked_on=checked_on,
                location=location,
                items=[
                    {
                        "key": item.key,
                        "title": item.title,
                        "criterion": item.criterion,
                        "passed": results[item.key],
                    }
                    for item in items
                ],
                passed=passed,
                note=note.strip(),
                attestation=attestation_for(
                    instructor_name=instructor_name,
                    member_name=member_name,
                    on=checked_on,
                ),
            )
    except IntegrityError:
        raise _refuse(
            "A passed skills check stands already; revoke it first to record another.",
            "pass_exists",
        ) from None
    audit_record(
        action=AuditEvent.Action.SKILLS_CHECK_RECORDED,
        actor=by,
        subject=member,
        target=check,
        data={
            "organization": organization.slug,
            "course": course.code,
            "enrollment": enrollment.pk,
            "checked_on": checked_on,
            "location": location,
            "passed": passed,
            "items": {item["key"]: item["passed"] for item in check.items},
        },
    )
    if passed:
        certificate_pdf_outdate(enrollment_id=enrollment.pk)
    return check


@transaction.atomic
def skills_check_revoke(*, check: SkillsCheck, reason: str, by) -> bool:
    """An instructor or administrator of the check's organization revokes it, with
    a reason: a passed one is no longer attached to the certificate (its PDF is
    rendered again). Audited (skills_check.revoked). Returns whether this call
    revoked it (False: revoked already)."""
    if not (
        by is not None
        and by.is_authenticated
        and Membership.objects.active()
        .filter(
            user=by,
            organization_id=check.organization_id,
            role__in=[Membership.Role.INSTRUCTOR, Membership.Role.ADMIN],
        )
        .exists()
    ):
        raise OrganizationRefused(
            "Only an instructor or administrator of this organization can revoke a "
            "skills check.",
            code="organization.not_instructor",
        )
    reason = reason.strip()
    if not reason:
        raise _refuse("Say why the check is revoked.", "reason_missing")
    revoked = SkillsCheck.objects.filter(pk=check.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by, revoke_reason=reason
    )
    check.refresh_from_db(fields=["revoked_at", "revoked_by", "revoke_reason"])
    if not revoked:
        return False
    audit_record(
        action=AuditEvent.Action.SKILLS_CHECK_REVOKED,
        actor=by,
        subject=check.membership.user,
        target=check,
        data={
            "organization": check.organization.slug,
            "course": check.course.code,
            "passed": check.passed,
            "reason": reason,
        },
    )
    if check.passed:
        certificate_pdf_outdate(enrollment_id=check.enrollment_id)
    return True
