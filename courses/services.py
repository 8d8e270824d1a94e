"""Writes of enrolment and progress. Views, admin and tasks call these; nothing else
changes Enrollment or LessonProgress rows."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.selectors import prerequisites_missing
from core.events import publish

from .events import EnrollmentCompleted
from .models import Bundle, Course, Enrollment, Lesson, LessonProgress
from .selectors import renewal_opens_on


class EnrollmentRefused(ValidationError):
    """Enrolment is not allowed; `missing` lists prerequisite courses not held."""

    def __init__(self, message: str, *, missing: list[Course] | None = None):
        super().__init__(message)
        self.missing = missing or []


def _open_enrollment(*, user, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(
        user=user,
        course=course,
        status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
    ).first()


def _check_renewal_window(*, user, course: Course) -> None:
    opens = renewal_opens_on(user=user, course=course)
    if opens:
        raise EnrollmentRefused(
            f"You already hold a current {course.title} certificate. You can renew it "
            f"from {opens:%-d %B %Y}, 90 days before it expires."
        )


@transaction.atomic
def enrollment_create(*, user, course: Course) -> Enrollment:
    """Enrols `user` in `course`, or returns their open enrollment if they have one.

    Refuses (EnrollmentRefused) a draft course, a course whose prerequisites the user
    does not currently hold, and a course the user holds a certificate for that is not
    yet within 90 days of expiry. A waiting enrollment (from a bundle) whose
    prerequisites are now met is activated.
    """
    if not course.is_published:
        raise EnrollmentRefused("This course is not open for enrolment.")
    existing = _open_enrollment(user=user, course=course)
    missing = prerequisites_missing(user=user, course=course)
    if existing:
        if existing.status == Enrollment.Status.WAITING and not missing:
            _activate(existing)
        return existing
    if missing:
        names = ", ".join(c.title for c in missing)
        raise EnrollmentRefused(
            f"{course.title} requires a current certificate in {names}.",
            missing=missing,
        )
    _check_renewal_window(user=user, course=course)
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                user=user,
                course=course,
                status=Enrollment.Status.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:
        # A concurrent request enrolled first; the unique constraint kept one.
        return _open_enrollment(user=user, course=course)


def _activate(enrollment: Enrollment) -> None:
    """Opens a waiting enrollment whose prerequisites the caller found held. One that
    waited with every completion rule met (its final exam was passed while a
    prerequisite had lapsed) completes now instead."""
    # exams depends on courses; the completion rules are the exam app's.
    from exams.services import enrollment_requirements_met

    enrollment.status = Enrollment.Status.ACTIVE
    # Kept when it was active before it had to wait.
    enrollment.activated_at = enrollment.activated_at or timezone.now()
    enrollment.save(update_fields=["status", "activated_at"])
    if enrollment_requirements_met(enrollment=enrollment):
        enrollment_complete(enrollment=enrollment)


@transaction.atomic
def bundle_enroll(*, user, bundle: Bundle) -> list[Enrollment]:
    """Enrols `user` in every course of `bundle`, in order; returns the enrollments.

    A course whose prerequisites are met now is active; one whose prerequisites come
    earlier in the bundle waits (status WAITING) and is activated by
    `enrollments_activate_waiting` once the certificate is issued. A course the learner
    is already enrolled in keeps that enrollment (activated if it was waiting and is
    now unblocked); one they hold a certificate for, outside its renewal window, is
    skipped. A draft course, or a prerequisite that is neither held nor part of the
    bundle, refuses the whole bundle.
    """
    if not bundle.is_published:
        raise EnrollmentRefused("This bundle is not open for enrolment.")
    courses = [item.course for item in bundle.items.select_related("course")]
    if any(not course.is_published for course in courses):
        raise EnrollmentRefused("This bundle is not open for enrolment.")
    in_bundle = {c.pk for c in courses}
    result = []
    for course in courses:
        missing = prerequisites_missing(user=user, course=course)
        outside = [c for c in missing if c.pk not in in_bundle]
        if outside:
            names = ", ".join(c.title for c in outside)
            raise EnrollmentRefused(
                f"{course.title} requires a current certificate in {names}.",
                missing=outside,
            )
        existing = _open_enrollment(user=user, course=course)
        if existing:
            if existing.status == Enrollment.Status.WAITING and not missing:
                _activate(existing)
            result.append(existing)
            continue
        if renewal_opens_on(user=user, course=course):
            continue  # already certified: the bundle's next course is what they need
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    user=user,
                    course=course,
                    bundle=bundle,
                    status=Enrollment.Status.WAITING
                    if missing
                    else Enrollment.Status.ACTIVE,
                    activated_at=None if missing else timezone.now(),
                )
        except IntegrityError:
            # A concurrent request (double click) enrolled first; keep that one.
            enrollment = _open_enrollment(user=user, course=course)
        result.append(enrollment)
    return result


@transaction.atomic
def enrollments_activate_waiting(*, user) -> list[Enrollment]:
    """Activates the user's waiting enrollments whose prerequisites are now all held.

    Called after a certificate is issued or an outside card approved.
    """
    activated = []
    waiting = Enrollment.objects.select_for_update().filter(
        user=user, status=Enrollment.Status.WAITING
    )
    for enrollment in waiting.select_related("course"):
        if not prerequisites_missing(user=user, course=enrollment.course):
            _activate(enrollment)
            activated.append(enrollment)
    return activated


def lesson_visit(*, enrollment: Enrollment, lesson: Lesson) -> None:
    """Remembers the lesson as where the learner resumes. No write if unchanged."""
    if enrollment.last_lesson_id != lesson.pk:
        enrollment.last_lesson = lesson
        enrollment.save(update_fields=["last_lesson"])


def lesson_complete(*, enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Marks the lesson done in this enrollment; returns the existing mark if any."""
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError("Lessons can be completed only in an active enrollment.")
    if lesson.course_id != enrollment.course_id:
        raise ValidationError("This lesson is not part of the course.")
    progress, _ = LessonProgress.objects.get_or_create(
        enrollment=enrollment, lesson=lesson, defaults={"completed_at": timezone.now()}
    )
    return progress


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, at: datetime | None = None) -> bool:
    """Records the enrollment as completed (once, dated `at`, default now) and, after
    commit, enqueues the certificate. Returns True when it completed now.

    Returns False, changing nothing, when the enrollment is not active (already
    completed, or waiting). The course's prerequisites are checked again here, at the
    moment of completion: when one is no longer current (an outside card rejected, a
    certificate revoked or lapsed since enrolment) the enrollment waits instead (status
    WAITING, returns False) and `enrollments_activate_waiting` completes it once the
    prerequisite is held again. The caller (the exam service) has checked every other
    completion rule inside the same transaction as the passing attempt.
    """
    active = Enrollment.objects.filter(
        pk=enrollment.pk, status=Enrollment.Status.ACTIVE
    )
    user = enrollment.user
    if prerequisites_missing(user=user, course=enrollment.course):
        if active.update(status=Enrollment.Status.WAITING):
            enrollment.status = Enrollment.Status.WAITING
        return False
    updated = active.update(
        status=Enrollment.Status.COMPLETED, completed_at=at or timezone.now()
    )
    if not updated:
        return False
    enrollment.refresh_from_db(fields=["status", "completed_at"])
    # The certificates app issues the certificate (it subscribes; after commit).
    publish(
        EnrollmentCompleted(
            enrollment_id=enrollment.pk,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
        )
    )
    return True
