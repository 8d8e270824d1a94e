"""Reads of skills checks: who may record them (an organization's instructors),
whom they may check (members who share their status and completed a course with a
skills checklist), the checks recorded, and what a certificate states
(`skills_attestations_for`, registered with certificates.attestations).

Every page reads a fixed number of queries whatever the number of members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from certificates.attestations import SkillsAttestation
from courses.models import Course, Enrollment

from ..models import Membership, Organization, SkillItem, SkillsCheck
from .roster import member_while_sharing

# Who records checks, and who may also read and revoke them.
RECORDERS = (Membership.Role.INSTRUCTOR,)
READERS = (Membership.Role.INSTRUCTOR, Membership.Role.ADMIN)


def organization_for_skills(
    *, user, slug: str, roles=READERS
) -> tuple[Organization, str]:
    """(organization, the user's role there) if `user` is an active member of it in
    one of `roles`; else 404, as for any object one may not see. One query."""
    if not user.is_authenticated:
        raise Http404("No such organization.")
    membership = (
        Membership.objects.active()
        .filter(organization__slug=slug, user=user, role__in=roles)
        .select_related("organization")
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership.organization, membership.role


def skill_items_of(*, course: Course) -> list[SkillItem]:
    """The course's active checklist items, in order."""
    return list(
        SkillItem.objects.filter(course=course, is_active=True).order_by("order")
    )


def _courses_with_checklists():
    return SkillItem.objects.filter(is_active=True).values("course_id")


def _completed_on(enrollment: Enrollment) -> date:
    return timezone.localdate(enrollment.completed_at, timezone.get_default_timezone())


@dataclass(frozen=True)
class SkillsCandidate:
    """A sharing member's completed course that has a checklist, with the state of
    its skills check: a row of the instructor's list."""

    membership_id: int
    name: str
    email: str
    course_slug: str
    course_title: str
    completed_on: date
    state: str  # "passed", "not_passed" (the latest was not passed) or "none"
    checked_on: date | None


def skills_candidates_for(
    *, organization: Organization, search: str = ""
) -> list[SkillsCandidate]:
    """The organization's members who share their status, each course with a
    checklist they completed online (their latest completion), and where its
    skills check stands; by name, then course. Three queries."""
    members = {
        user_id: (pk, legal_name, email)
        for pk, user_id, legal_name, email in Membership.objects.sharing()
        .filter(organization=organization)
        .values_list("pk", "user_id", "user__legal_name", "user__email")
    }
    latest: dict[tuple[int, int], tuple] = {}
    for row in (
        Enrollment.objects.filter(
            status=Enrollment.Status.COMPLETED,
            user_id__in=Membership.objects.sharing()
            .filter(organization=organization)
            .values("user_id"),
            course_id__in=_courses_with_checklists(),
        )
        .order_by("completed_at", "pk")
        .values_list(
            "pk",
            "user_id",
            "course_id",
            "course__slug",
            "course__title",
            "completed_at",
        )
    ):
        latest[(row[1], row[2])] = row  # the last completion of each wins
    states: dict[int, tuple[str, date]] = {}
    for enrollment_id, passed, checked_on in (
        SkillsCheck.objects.standing()
        .filter(enrollment_id__in=[row[0] for row in latest.values()])
        .order_by("recorded_at", "pk")
        .values_list("enrollment_id", "passed", "checked_on")
    ):
        if states.get(enrollment_id, ("",))[0] != "passed":
            states[enrollment_id] = ("passed" if passed else "not_passed", checked_on)
    needle = search.strip().lower()
    rows = []
    for enrollment_id, user_id, _, slug, title, completed_at in latest.values():
        pk, name, email = members[user_id]
        if needle and needle not in name.lower() and needle not in email.lower():
            continue
        state, checked_on = states.get(enrollment_id, ("none", None))
        rows.append(
            SkillsCandidate(
                membership_id=pk,
                name=name or email,
                email=email,
                course_slug=slug,
                course_title=title,
                completed_on=timezone.localdate(
                    completed_at, timezone.get_default_timezone()
                ),
                state=state,
                checked_on=checked_on,
            )
        )
    return sorted(rows, key=lambda r: (r.name.lower(), r.course_title))


@dataclass(frozen=True)
class SkillsSubject:
    """Whom an instructor is about to check, in which course: the member, the
    completed enrollment the check completes, the checklist, and what stands."""

    membership: Membership
    course: Course
    enrollment: Enrollment
    completed_on: date
    items: list[SkillItem]
    standing_pass: SkillsCheck | None


def skills_subject_for(
    *, organization: Organization, membership_id: int, course_slug: str
) -> SkillsSubject:
    """The member (active, sharing their status with `organization`), their latest
    completed enrollment in the course and its checklist; 404 for anyone or
    anything else (another organization's member, one who does not share, a
    course not completed or without a checklist)."""
    membership = (
        Membership.objects.sharing()
        .filter(organization=organization, pk=membership_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    enrollment = (
        Enrollment.objects.filter(
            user_id=membership.user_id,
            course__slug=course_slug,
            status=Enrollment.Status.COMPLETED,
        )
        .select_related("course")
        .order_by("-completed_at", "-pk")
        .first()
    )
    if enrollment is None:
        raise Http404("No completed course.")
    items = skill_items_of(course=enrollment.course)
    if not items:
        raise Http404("No skills checklist.")
    return SkillsSubject(
        membership=membership,
        course=enrollment.course,
        enrollment=enrollment,
        completed_on=_completed_on(enrollment),
        items=items,
        standing_pass=SkillsCheck.objects.attached()
        .filter(enrollment=enrollment)
        .first(),
    )


def skills_checks_for_organization(
    *, organization: Organization, limit: int = 50
) -> list[SkillsCheck]:
    """The organization's latest recorded checks, revoked ones too, naming their
    member only while the member shares their status (`member_while_sharing`). One
    query."""
    return list(
        SkillsCheck.objects.filter(organization=organization)
        .select_related("course")
        .annotate(**member_while_sharing())
        .order_by("-recorded_at", "-pk")[:limit]
    )


def skills_check_for_staff(*, organization: Organization, pk: int) -> SkillsCheck:
    """One of the organization's checks, naming its member only while the member
    shares their status (`member_while_sharing`); 404 for any other."""
    check = (
        SkillsCheck.objects.filter(organization=organization, pk=pk)
        .select_related("course")
        .annotate(**member_while_sharing())
        .first()
    )
    if check is None:
        raise Http404("No such skills check.")
    return check


def skills_checks_of_member(
    *, organization: Organization, membership_id: int
) -> list[SkillsCheck]:
    """A member's checks recorded in this organization, newest first (their
    history page). One query."""
    return list(
        SkillsCheck.objects.filter(
            organization=organization, membership_id=membership_id
        )
        .select_related("course")
        .order_by("-checked_on", "-pk")
    )


def skills_attestations_for(
    *, enrollment_ids: list[int]
) -> dict[int, SkillsAttestation]:
    """{enrollment id: the passed, not revoked check attached to it}: what its
    certificate states (registered with certificates.attestations). One query."""
    return {
        check.enrollment_id: SkillsAttestation(
            instructor_name=check.instructor_name,
            organization_name=check.organization_name,
            checked_on=check.checked_on,
        )
        for check in SkillsCheck.objects.attached()
        .filter(Q(enrollment_id__in=enrollment_ids))
        .only("enrollment_id", "instructor_name", "organization_name", "checked_on")
    }
