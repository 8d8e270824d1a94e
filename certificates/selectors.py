"""Reads of certificates: what a learner currently holds, what is due for reminders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from courses.models import Course

from .models import Certificate, ExternalCertificate


def certificates_current(*, user, today: date | None = None) -> QuerySet[Certificate]:
    """The user's own certificates that are valid today (not revoked, not expired)."""
    today = today or timezone.localdate()
    return Certificate.objects.filter(
        user=user, status=Certificate.Status.VALID, expires_on__gte=today
    )


def external_certificates_current(
    *, user, today: date | None = None
) -> QuerySet[ExternalCertificate]:
    """Outside cards staff approved that have not expired."""
    today = today or timezone.localdate()
    return ExternalCertificate.objects.filter(
        user=user, status=ExternalCertificate.Status.APPROVED, expires_on__gte=today
    )


def certified_course_ids(
    *, user, course_ids: Iterable[int], today: date | None = None
) -> set[int]:
    """Which of `course_ids` the user holds a current certificate for (two queries)."""
    course_ids = list(course_ids)
    if not course_ids or not user.is_authenticated:
        return set()
    own = certificates_current(user=user, today=today).filter(course_id__in=course_ids)
    outside = external_certificates_current(user=user, today=today).filter(
        course_id__in=course_ids
    )
    return set(own.values_list("course_id", flat=True)) | set(
        outside.values_list("course_id", flat=True)
    )


def certificate_current_for(
    *, user, course: Course, today: date | None = None
) -> Certificate | ExternalCertificate | None:
    """The current credential (ours first, else an approved outside card) for `course`.

    Current means: ours, not revoked and not expired; or an outside card staff approved
    and not expired. Expired, revoked, pending and rejected ones never count.
    """
    if not user.is_authenticated:
        return None
    own = (
        certificates_current(user=user, today=today)
        .filter(course=course)
        .order_by("-expires_on")
        .first()
    )
    if own:
        return own
    return (
        external_certificates_current(user=user, today=today)
        .filter(course=course)
        .order_by("-expires_on")
        .first()
    )


def prerequisites_missing(*, user, course: Course) -> list[Course]:
    """The prerequisite courses of `course` the user holds no current certificate for."""
    required = list(course.prerequisites.all())
    held = certified_course_ids(user=user, course_ids=[c.pk for c in required])
    return [c for c in required if c.pk not in held]
