"""What an organization requires: its job roles and required courses."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from audit.services import audit_record
from courses.models import Course

from ..errors import InvalidInvitation
from ..models import JobRole, Organization, Requirement
from .memberships import require_admin


@transaction.atomic
def job_role_add(*, organization: Organization, name: str, by) -> tuple[JobRole, bool]:
    """An administrator adds a job role label ("Nurse"); an existing one of the
    same name (in any letter case) is returned (created False)."""
    require_admin(user=by, organization=organization)
    name = " ".join(name.split())
    if not name:
        raise InvalidInvitation("Name the job role.", code="job_role.name_missing")
    existing = JobRole.objects.filter(organization=organization, name__iexact=name)
    if role := existing.first():
        return role, False
    try:
        with transaction.atomic():
            return JobRole.objects.create(organization=organization, name=name), True
    except IntegrityError:
        return existing.get(), False


@transaction.atomic
def requirement_add(
    *,
    organization: Organization,
    course: Course,
    job_role: JobRole | None,
    due_within_days: int,
    by,
) -> tuple[Requirement, bool]:
    """An administrator requires `course` of every member (`job_role` None) or of
    one job role, due within `due_within_days` of joining. The same requirement
    again is returned (created False) with its due days updated. Records
    requirement.added."""
    require_admin(user=by, organization=organization)
    if job_role is not None and job_role.organization_id != organization.pk:
        raise InvalidInvitation(
            "That job role belongs to another organization.",
            code="requirement.job_role_unknown",
        )
    if not course.is_published:
        raise InvalidInvitation(
            "Only a published course can be required.",
            code="requirement.course_unpublished",
        )
    if not 1 <= due_within_days <= 730:
        raise InvalidInvitation(
            "Give between 1 and 730 days.", code="requirement.due_out_of_range"
        )
    existing = Requirement.objects.filter(
        organization=organization, course=course, job_role=job_role
    ).first()
    if existing is not None:
        if existing.due_within_days != due_within_days:
            existing.due_within_days = due_within_days
            existing.save(update_fields=["due_within_days"])
        return existing, False
    requirement = Requirement.objects.create(
        organization=organization,
        course=course,
        job_role=job_role,
        due_within_days=due_within_days,
    )
    audit_record(
        action=AuditEvent.Action.REQUIREMENT_ADDED,
        actor=by,
        target=requirement,
        data={
            "organization": organization.slug,
            "course": course.code,
            "job_role": job_role.name if job_role else "",
            "due_within_days": due_within_days,
        },
    )
    return requirement, True


@transaction.atomic
def requirement_remove(*, requirement: Requirement, by) -> None:
    """An administrator stops requiring a course (of everyone or of a job role).
    Records requirement.removed with what it was."""
    require_admin(user=by, organization=requirement.organization)
    audit_record(
        action=AuditEvent.Action.REQUIREMENT_REMOVED,
        actor=by,
        target=requirement,
        data={
            "organization": requirement.organization.slug,
            "course": requirement.course.code,
            "job_role": requirement.job_role.name if requirement.job_role_id else "",
        },
    )
    requirement.delete()
