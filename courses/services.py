"""Writes of enrolment, progress and publication. Views, admin and tasks call these;
nothing else changes Enrollment or LessonProgress rows or publishes curriculum.

Every decision that matters to a credential (enrolled, waiting, activated, completed,
published) is recorded in the audit trail inside the deciding transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.dates import format_day
from core.errors import Conflict, InvalidInput, NotAllowed
from core.events import publish

from .completion import completion_requirements_met
from .events import EnrollmentCompleted
from .models import (
    Bundle,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    LessonView,
    Module,
)
from .outline import content_version_bump
from .selectors import RENEWAL_WINDOW_DAYS, prerequisites_missing, renewal_opens_on


class EnrollmentRefused(NotAllowed):
    """Enrolment is not allowed; `missing` lists prerequisite courses not held.

    Codes: enrollment.course_unpublished, enrollment.bundle_unpublished,
    enrollment.prerequisite_missing, enrollment.renewal_not_open.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "enrollment.refused",
        missing: list[Course] | None = None,
    ):
        super().__init__(message, code=code)
        self.missing = missing or []


def _open_enrollment(*, user, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(
        user=user,
        course=course,
        status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
    ).first()


def _prerequisites_refused(course: Course, missing: list[Course]) -> EnrollmentRefused:
    names = ", ".join(c.title for c in missing)
    return EnrollmentRefused(
        f"{course.title} requires a current certificate in {names}.",
        code="enrollment.prerequisite_missing",
        missing=missing,
    )


def _check_renewal_window(*, user, course: Course) -> None:
    opens = renewal_opens_on(user=user, course=course)
    if opens:
        raise EnrollmentRefused(
            f"You already hold a current {course.title} certificate. You can renew it "
            f"from {format_day(opens)}, {RENEWAL_WINDOW_DAYS} days before it expires.",
            code="enrollment.renewal_not_open",
        )


def _record(action: AuditEvent.Action, enrollment: Enrollment, *, actor, **data):
    audit_record(
        action=action,
        actor=actor,
        subject=enrollment.user,
        target=enrollment,
        data={"course": enrollment.course.code, **data},
    )


def _create(*, user, course: Course, bundle: Bundle | None, waiting: list[Course]):
    """Creates the open enrollment (waiting when `waiting` lists prerequisites not
    held yet) and records it; returns the open enrollment a concurrent request
    created instead, unrecorded (that request recorded it)."""
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                user=user,
                course=course,
                bundle=bundle,
                status=Enrollment.Status.WAITING
                if waiting
                else Enrollment.Status.ACTIVE,
                activated_at=None if waiting else timezone.now(),
            )
    except IntegrityError:
        # A concurrent request (double click) enrolled first; the unique constraint
        # kept one.
        return _open_enrollment(user=user, course=course)
    _record(
        AuditEvent.Action.ENROLLMENT_CREATED,
        enrollment,
        actor=user,
        status=enrollment.status,
        bundle=bundle.slug if bundle else "",
    )
    if waiting:
        _record(
            AuditEvent.Action.ENROLLMENT_WAITING,
            enrollment,
            actor=None,
            waiting_for=[c.code for c in waiting],
        )
    return enrollment


@transaction.atomic
def enrollment_create(*, user, course: Course) -> Enrollment:
    """Enrols `user` in `course`, or returns their open enrollment if they have one.

    Refuses (EnrollmentRefused) a draft course, a course whose prerequisites the user
    does not currently hold, and a course the user holds a certificate for that is not
    yet within the renewal window of its expiry. A waiting enrollment (from a bundle)
    whose prerequisites are now met is activated. Records the enrolment (and any
    activation) in the audit trail, the learner as the actor.
    """
    if not course.is_published:
        raise EnrollmentRefused(
            "This course is not open for enrollment.",
            code="enrollment.course_unpublished",
        )
    existing = _open_enrollment(user=user, course=course)
    missing = prerequisites_missing(user=user, course=course)
    if existing:
        if existing.status == Enrollment.Status.WAITING and not missing:
            _activate(existing, actor=user)
        return existing
    if missing:
        raise _prerequisites_refused(course, missing)
    _check_renewal_window(user=user, course=course)
    return _create(user=user, course=course, bundle=None, waiting=[])


def _activate(enrollment: Enrollment, *, actor=None) -> bool:
    """Opens a waiting enrollment whose prerequisites the caller found held, and
    records it. One that waited with every completion rule met (its final exam was
    passed while a prerequisite had lapsed) completes now instead
    (courses.completion: the rules are registered by the app that owns them).

    The caller may have read the row without a lock (an "Enrol" click): only a row
    that is still waiting is opened, in one conditional update, so a worker that
    activated (and perhaps completed) it meanwhile is neither undone nor recorded
    twice. `enrollment` is re-read either way; returns whether this call opened it."""
    opened = Enrollment.objects.filter(
        pk=enrollment.pk, status=Enrollment.Status.WAITING
    ).update(
        status=Enrollment.Status.ACTIVE,
        # Kept when it was active before it had to wait.
        activated_at=Coalesce("activated_at", Value(timezone.now())),
    )
    enrollment.refresh_from_db()
    if not opened:
        return False
    _record(AuditEvent.Action.ENROLLMENT_ACTIVATED, enrollment, actor=actor)
    if completion_requirements_met(enrollment=enrollment):
        enrollment_complete(enrollment=enrollment)
    return True


@transaction.atomic
def bundle_enroll(*, user, bundle: Bundle) -> list[Enrollment]:
    """Enrols `user` in every course of `bundle`, in order; returns the enrollments.

    A course whose prerequisites are met now is active; one whose prerequisites come
    earlier in the bundle waits (status WAITING) and is activated by
    `enrollments_activate_waiting` once the certificate is issued. A course the learner
    is already enrolled in keeps that enrollment (activated if it was waiting and is
    now unblocked); one they hold a certificate for, outside its renewal window, is
    skipped. A draft course, or a prerequisite that is neither held nor part of the
    bundle, refuses the whole bundle. Each new enrollment (and each one that waits)
    is recorded in the audit trail.
    """
    unpublished = EnrollmentRefused(
        "This bundle is not open for enrollment.", code="enrollment.bundle_unpublished"
    )
    if not bundle.is_published:
        raise unpublished
    courses = [item.course for item in bundle.items.select_related("course")]
    if any(not course.is_published for course in courses):
        raise unpublished
    in_bundle = {c.pk for c in courses}
    result = []
    for course in courses:
        missing = prerequisites_missing(user=user, course=course)
        outside = [c for c in missing if c.pk not in in_bundle]
        if outside:
            raise _prerequisites_refused(course, outside)
        existing = _open_enrollment(user=user, course=course)
        if existing:
            if existing.status == Enrollment.Status.WAITING and not missing:
                _activate(existing, actor=user)
            result.append(existing)
            continue
        if renewal_opens_on(user=user, course=course):
            continue  # already certified: the bundle's next course is what they need
        result.append(_create(user=user, course=course, bundle=bundle, waiting=missing))
    return result


@transaction.atomic
def enrollments_activate_waiting(*, user) -> list[Enrollment]:
    """Activates the user's waiting enrollments whose prerequisites are now all held,
    recording each (the system as the actor).

    Called after a certificate is issued or an outside card approved.
    """
    activated = []
    waiting = Enrollment.objects.select_for_update().filter(
        user=user, status=Enrollment.Status.WAITING
    )
    for enrollment in waiting.select_related("course"):
        # Locked and waiting: opened here (the conditional update cannot miss it).
        if not prerequisites_missing(user=user, course=enrollment.course):
            _activate(enrollment)
            activated.append(enrollment)
    return activated


def lesson_open(*, enrollment: Enrollment, lesson: Lesson) -> None:
    """Records that the learner opened the lesson's page in this enrollment (the
    first time, and `last_opened_at` now: one upsert) and remembers it as where they
    resume (no write if unchanged). Called by the lesson page's GET, the only proof
    the lesson was opened: `lesson_complete` and the exams' and cases' retake rules
    read it.

    Nothing is written when the enrollment was read with its state
    (selectors.enrollment_open_with_state) showing the lesson opened since its last
    recorded failure (Enrollment.lesson_views_current_from): the retake rules ask
    only whether a lesson was opened after a failure, and every failure recorded so
    far is earlier, so the new moment would change no answer; a later failure moves
    the mark past it, and the next opening is written.

    Refuses (InvalidInput, lesson.not_in_course) a lesson of another course.
    """
    if lesson.course_id != enrollment.course_id:
        raise InvalidInput(
            "This lesson is not part of the course.", code="lesson.not_in_course"
        )
    if lesson.pk not in getattr(enrollment, "current_view_ids", ()):
        _lesson_view_record(enrollment, lesson)
    if enrollment.last_lesson_id != lesson.pk:
        enrollment.last_lesson = lesson
        enrollment.save(update_fields=["last_lesson"])


def _lesson_view_record(enrollment: Enrollment, lesson: Lesson) -> None:
    now = timezone.now()
    LessonView.objects.bulk_create(
        [
            LessonView(
                enrollment=enrollment,
                lesson=lesson,
                first_opened_at=now,
                last_opened_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["enrollment", "lesson"],
        update_fields=["last_opened_at"],
    )


def enrollment_failure_record(*, enrollment_id: int, at: datetime) -> None:
    """Notes a failure dated `at` (an exam attempt or a case failed in this
    enrollment) whose retake rule asks for lessons to be opened again after it:
    openings from before it are written again (lesson_open). On every enrollment of
    the learner in the course, as the retake rules read the learner's history of the
    course whichever enrollment it was made in. Call it in the failure's
    transaction. An enrollment without the mark stays without it (each opening
    written)."""
    this = Enrollment.objects.filter(pk=enrollment_id)
    Enrollment.objects.filter(
        user_id__in=this.values("user_id"),
        course_id__in=this.values("course_id"),
        lesson_views_current_from__lt=at,
    ).update(lesson_views_current_from=at)


def enrollment_failure_seen(*, enrollment: Enrollment, at: datetime) -> None:
    """The retake rules found a failure dated `at` in the learner's history of the
    course (exams' and cases' pacing selectors). Should the enrollment's mark be
    earlier, the failure was recorded by a process that did not move it (one still
    running the previous release during a deploy), or this instance was read before
    the failure was recorded: the mark is moved as `enrollment_failure_record`
    would have (an update that changes nothing in the second case), so the
    learner's next opening of each lesson is written and can open the retake. It
    only ever moves the mark later, which only has more openings written.
    Otherwise nothing is written."""
    mark = enrollment.lesson_views_current_from
    if mark is None or mark >= at:
        return
    enrollment_failure_record(enrollment_id=enrollment.pk, at=at)
    enrollment.lesson_views_current_from = at
    # Read against the earlier mark: this instance no longer skips any opening.
    vars(enrollment).pop("current_view_ids", None)


def _require_active_for_lessons(enrollment: Enrollment) -> None:
    """Lessons are completed only in an active enrollment (not waiting, not done)."""
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise Conflict(
            "Lessons can be completed only in an active enrollment.",
            code="lesson.enrollment_not_active",
        )


def lesson_complete(*, enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    """Marks the lesson done in this enrollment; returns the existing mark if any.

    Refuses (Conflict, lesson.enrollment_not_active) an enrollment that is not active,
    (InvalidInput, lesson.not_in_course) a lesson of another course and (NotAllowed,
    lesson.not_opened) a lesson whose page the learner has not opened in this
    enrollment (`lesson_open`): a bare POST counts for nothing. Nothing changes then.
    """
    _require_active_for_lessons(enrollment)
    if lesson.course_id != enrollment.course_id:
        raise InvalidInput(
            "This lesson is not part of the course.", code="lesson.not_in_course"
        )
    existing = LessonProgress.objects.filter(enrollment=enrollment, lesson=lesson)
    if existing_mark := existing.first():
        return existing_mark
    if not LessonView.objects.filter(enrollment=enrollment, lesson=lesson).exists():
        raise NotAllowed(
            f"Open “{lesson.title}” and read it before marking it complete: only "
            "lessons you have opened count.",
            code="lesson.not_opened",
        )
    progress, _ = LessonProgress.objects.get_or_create(
        enrollment=enrollment, lesson=lesson, defaults={"completed_at": timezone.now()}
    )
    return progress


@transaction.atomic
def lessons_complete_by_test_out(
    *, enrollment: Enrollment, module: Module, at: datetime, evidence: dict
) -> list[Lesson]:
    """Marks every published lesson of `module` not yet done in `enrollment` as done
    (dated `at`), because the renewing learner passed the module's exam instead of
    studying them; records that in the audit trail (the system decides, `evidence`
    says on what, e.g. the attempt). Returns the lessons marked; none, recording
    nothing, when all were done already.

    Who may test out, and whether the exam was passed, is the caller's rule (the
    exams app, which calls this in the transaction of the passing attempt). Refuses
    (Conflict, lesson.enrollment_not_active) an enrollment that is not active and
    (InvalidInput, lesson.not_in_course) a module of another course.
    """
    _require_active_for_lessons(enrollment)
    if module.course_id != enrollment.course_id:
        raise InvalidInput(
            "This module is not part of the course.", code="lesson.not_in_course"
        )
    done = LessonProgress.objects.filter(enrollment=enrollment).values("lesson_id")
    lessons = list(
        Lesson.objects.published()
        .filter(module=module)
        .exclude(pk__in=done)
        .order_by("order", "pk")
    )
    if not lessons:
        return []
    LessonProgress.objects.bulk_create(
        [
            LessonProgress(enrollment=enrollment, lesson=lesson, completed_at=at)
            for lesson in lessons
        ],
        # A lesson marked at the same moment by the learner stays as they marked it.
        ignore_conflicts=True,
    )
    _record(
        AuditEvent.Action.LESSONS_TESTED_OUT,
        enrollment,
        actor=None,
        module=module.slug,
        lessons=[lesson.slug for lesson in lessons],
        **evidence,
    )
    return lessons


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, at: datetime | None = None) -> bool:
    """Records the enrollment as completed (once, dated `at`, default now) and
    publishes EnrollmentCompleted, whose subscribers run after commit (certificates
    issues the certificate). Returns True when it completed now.

    Returns False, changing nothing, when the enrollment is not active (already
    completed, or waiting). The course's prerequisites are checked again here, at the
    moment of completion: when one is no longer current (an outside card rejected, a
    certificate revoked or lapsed since enrolment) the enrollment waits instead (status
    WAITING, recorded, returns False) and `enrollments_activate_waiting` completes it
    once the prerequisite is held again. The caller (the exam service) has checked
    every other completion rule inside the same transaction as the passing attempt.
    The completion is recorded in the audit trail, decided by the system.
    """
    active = Enrollment.objects.filter(
        pk=enrollment.pk, status=Enrollment.Status.ACTIVE
    )
    missing = prerequisites_missing(user=enrollment.user, course=enrollment.course)
    if missing:
        if active.update(status=Enrollment.Status.WAITING):
            enrollment.status = Enrollment.Status.WAITING
            _record(
                AuditEvent.Action.ENROLLMENT_WAITING,
                enrollment,
                actor=None,
                waiting_for=[c.code for c in missing],
                final_passed=True,
            )
        return False
    updated = active.update(
        status=Enrollment.Status.COMPLETED, completed_at=at or timezone.now()
    )
    if not updated:
        return False
    enrollment.refresh_from_db(fields=["status", "completed_at"])
    _record(
        AuditEvent.Action.ENROLLMENT_COMPLETED,
        enrollment,
        actor=None,
        completed_at=enrollment.completed_at,
    )
    publish(
        EnrollmentCompleted(
            enrollment_id=enrollment.pk,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
        )
    )
    return True


# --- Publication (the admin's actions) ---------------------------------------------


def _publication_set(
    rows: Iterable[Course | Lesson], *, published: bool, actor
) -> list[Course | Lesson]:
    """Sets `is_published` on each row not already so and records each change;
    returns the rows changed (locked first, so two staff members clicking at once
    record each change once)."""
    rows = list(rows)
    if not rows:
        return []
    model: type[models.Model] = type(rows[0])
    changing = list(
        model.objects.select_for_update()
        .filter(pk__in=[row.pk for row in rows])
        .exclude(is_published=published)
        .order_by("pk")
    )
    model.objects.filter(pk__in=[row.pk for row in changing]).update(
        is_published=published
    )
    # An update sends no signal: the cached outline is marked out of date here.
    content_version_bump()
    action = (
        AuditEvent.Action.CONTENT_PUBLISHED
        if published
        else AuditEvent.Action.CONTENT_UNPUBLISHED
    )
    for row in changing:
        row.is_published = published
        audit_record(action=action, actor=actor, target=row)
    return changing


@transaction.atomic
def courses_publish(
    *, courses: Iterable[Course], actor, published: bool = True
) -> list[Course]:
    """Publishes (or, with published=False, returns to draft) each course not already
    so; records each change with the staff member who made it. Returns those changed.
    """
    return _publication_set(courses, published=published, actor=actor)


@transaction.atomic
def lessons_publish(
    *, lessons: Iterable[Lesson], actor, published: bool = True
) -> list[Lesson]:
    """Publishes (or returns to draft) each lesson not already so; records each
    change with the staff member who made it. Returns those changed."""
    return _publication_set(lessons, published=published, actor=actor)


@transaction.atomic
def curriculum_row_save(*, row: models.Model, actor) -> None:
    """Saves a staff member's edit of a curriculum row (course, module, lesson, as
    the admin's forms make it). When the edit publishes the row or takes it back to
    draft (a new row that is published counts), records that with the staff member,
    as `courses_publish` does."""
    flagged_row_save(
        row=row,
        flag="is_published",
        actor=actor,
        actions={
            True: AuditEvent.Action.CONTENT_PUBLISHED,
            False: AuditEvent.Action.CONTENT_UNPUBLISHED,
        },
    )


@transaction.atomic
def course_prerequisites_set(
    *, course: Course, prerequisites: Iterable[Course], actor
) -> bool:
    """Makes `prerequisites` the courses `course` requires (a current credential in
    each, to enrol and to complete); records the change with `actor` (None: the
    system, e.g. the content sync). Returns False, changing and recording nothing,
    when they are already the course's prerequisites."""
    wanted = list(prerequisites)
    before = list(course.prerequisites.order_by("code"))
    if {c.pk for c in before} == {c.pk for c in wanted}:
        return False
    course.prerequisites.set(wanted)
    audit_record(
        action=AuditEvent.Action.PREREQUISITES_CHANGED,
        actor=actor,
        target=course,
        data={
            "course": course.code,
            "before": [c.code for c in before],
            "after": sorted(c.code for c in wanted),
        },
    )
    return True


def flagged_row_save(
    *, row: models.Model, flag: str, actor, actions: dict[bool, AuditEvent.Action]
) -> None:
    """Saves `row` (in the caller's transaction); when it has the boolean `flag` and
    the save changes it (or creates a row with it set), records actions[new value]
    with `actor`. Also used by the exams app for its definitions."""
    if not hasattr(row, flag):
        row.save()
        return
    before = None
    if row.pk is not None:
        before = (
            type(row)
            .objects.select_for_update()
            .filter(pk=row.pk)
            .order_by()  # a model's ordering may join a nullable relation
            .values_list(flag, flat=True)
            .first()
        )
    row.save()
    now = getattr(row, flag)
    if (before is None and now) or (before is not None and before != now):
        audit_record(action=actions[now], actor=actor, target=row)
