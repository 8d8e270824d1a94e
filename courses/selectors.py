"""Reads of the curriculum and of learners' progress.

Every page-level selector runs a fixed number of queries whatever the size of the
curriculum (asserted in tests): related rows are fetched with select/prefetch, counts
are aggregated in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from .credentials import Held, current_credentials, recent_credentials
from .models import (
    Bundle,
    Course,
    Enrollment,
    InfoPage,
    Lesson,
    LessonProgress,
    Module,
)
from .pages import page_sections

# A holder may re-enrol in a course they hold this long before its certificate
# expires. Messages and pages take the number from here.
RENEWAL_WINDOW_DAYS = 90
RENEWAL_WINDOW = timedelta(days=RENEWAL_WINDOW_DAYS)


def info_page_published(*, slug: str) -> InfoPage:
    """A published information page (about, privacy...), or 404."""
    page = InfoPage.objects.published().filter(slug=slug).first()
    if page is None:
        raise Http404("No such page.")
    return page


def courses_for_catalog() -> QuerySet[Course]:
    """Published courses with their prerequisites, lesson counts and minutes."""
    published_lessons = Q(lessons__is_published=True)
    return (
        Course.objects.published()
        .annotate(
            lesson_count=Count("lessons", filter=published_lessons),
            total_minutes=Sum("lessons__minutes", filter=published_lessons),
        )
        .prefetch_related(
            Prefetch("prerequisites", queryset=Course.objects.only("slug", "title"))
        )
        # Meta.ordering does not apply to aggregating queries: order explicitly.
        .order_by("order", "title")
    )


def courses_recommended(*, courses: list[Course], profession: str) -> list[Course]:
    """The courses, in catalog order, whose authors recommend them for `profession`
    (course data: `recommended_for`); none for an empty profession."""
    return [c for c in courses if profession and profession in c.recommended_for]


def bundles_for_catalog() -> QuerySet[Bundle]:
    return Bundle.objects.filter(is_published=True).prefetch_related(
        Prefetch("items__course", queryset=Course.objects.only("slug", "title", "code"))
    )


def course_for_viewer(*, slug: str, as_staff: bool = False) -> Course:
    """The course, if the viewer may see it: published, or any course for staff
    (`as_staff`: the request's accounts.selectors.staff_verified)."""
    queryset = Course.objects.all() if as_staff else Course.objects.published()
    try:
        return queryset.prefetch_related("prerequisites").get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None


def modules_with_lessons(
    *, course: Course, include_drafts: bool = False
) -> list[Module]:
    """The course's modules in order, each with `.visible_lessons` (published only,
    unless `include_drafts`), and the module's exam when there is one."""
    lessons = Lesson.objects.filter(course=course).only(
        "id",
        "slug",
        "title",
        "minutes",
        "order",
        "module_id",
        "is_published",
        "course_id",
    )
    if not include_drafts:
        lessons = lessons.filter(is_published=True)
    modules = list(
        Module.objects.filter(course=course)
        .select_related("exam")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=lessons.order_by("order", "id"),
                to_attr="visible_lessons",
            )
        )
        .order_by("order", "id")
    )
    for module in modules:
        for lesson in module.visible_lessons:
            # Templates build lesson URLs from module and course: no query per lesson.
            lesson.module = module
            module.course = lesson.course = course
    return [m for m in modules if m.visible_lessons]


def enrollment_open(*, user, course: Course) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return (
        Enrollment.objects.filter(
            user=user,
            course=course,
            status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
        )
        .select_related("last_lesson__module")
        .first()
    )


def completed_lesson_ids(*, enrollment: Enrollment) -> set[int]:
    return set(
        LessonProgress.objects.filter(enrollment=enrollment).values_list(
            "lesson_id", flat=True
        )
    )


@dataclass
class Progress:
    done: int
    total: int
    next_lesson: Lesson | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def lessons_done(self) -> bool:
        return self.total > 0 and self.done >= self.total


def lessons_in_order(modules: list[Module]) -> list[Lesson]:
    """The lessons of `modules_with_lessons` as one sequence, in study order."""
    return [lesson for module in modules for lesson in module.visible_lessons]


@dataclass
class Neighbours:
    lesson: Lesson  # the lesson itself, with `.module` set (no extra query)
    previous: Lesson | None
    next: Lesson | None


def lesson_neighbours(*, modules: list[Module], lesson: Lesson) -> Neighbours:
    """The lesson's place in the sequence; 404 when it is not among `modules`."""
    sequence = lessons_in_order(modules)
    index = next((i for i, item in enumerate(sequence) if item.pk == lesson.pk), None)
    if index is None:
        raise Http404("No such lesson.")
    return Neighbours(
        lesson=sequence[index],
        previous=sequence[index - 1] if index > 0 else None,
        next=sequence[index + 1] if index + 1 < len(sequence) else None,
    )


def progress_for(*, modules: list[Module], done_ids: set[int]) -> Progress:
    lessons = lessons_in_order(modules)
    done = sum(1 for lesson in lessons if lesson.pk in done_ids)
    upcoming = next((lesson for lesson in lessons if lesson.pk not in done_ids), None)
    return Progress(done=done, total=len(lessons), next_lesson=upcoming)


def lesson_for_viewer(
    *, course: Course, module_slug: str, lesson_slug: str, as_staff: bool = False
) -> Lesson:
    """The lesson if published, or any lesson for staff (`as_staff`: the request's
    accounts.selectors.staff_verified); else 404."""
    queryset = Lesson.objects.select_related("module").filter(
        course=course, module__slug=module_slug, slug=lesson_slug
    )
    if not as_staff:
        queryset = queryset.filter(is_published=True)
    try:
        return queryset.get()
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None


def enrollment_lessons_left(
    *, enrollment: Enrollment, module_id: int | None = None
) -> bool:
    """Whether a published lesson of the course (or of one module) is not yet done in
    `enrollment` (one query)."""
    scope = (
        {"module_id": module_id} if module_id else {"course_id": enrollment.course_id}
    )
    done = LessonProgress.objects.filter(enrollment=enrollment).values("lesson_id")
    return Lesson.objects.published().filter(**scope).exclude(pk__in=done).exists()


# --- Prerequisites and renewal: from the learner's current credentials -------------


def prerequisites_missing(
    *, user, course: Course, held: dict[int, Held] | None = None
) -> list[Course]:
    """The prerequisites of `course` the user holds no current credential for, ours
    or an approved outside card (all of them for a visitor who is not signed in).
    `held` is `current_credentials` when the caller has it already; no query when
    the course has no prerequisites."""
    required = list(course.prerequisites.all())
    if not required:
        return []
    if held is None:
        held = current_credentials(user=user)
    return [c for c in required if c.pk not in held]


def renewal_opens_on(
    *, user, course: Course, held: dict[int, Held] | None = None
) -> date | None:
    """If the user holds a current certificate of ours for `course` that is not yet
    within the renewal window (RENEWAL_WINDOW_DAYS before it expires), the date
    re-enrolment opens; otherwise None. An outside card never closes our course: its
    holder may take it (and get our certificate) at any time."""
    if held is None:
        held = current_credentials(user=user)
    answer = held.get(course.pk)
    expires_on = answer.ours_expires_on if answer else None
    if expires_on is None:
        return None
    opens = expires_on - RENEWAL_WINDOW
    return opens if opens > timezone.localdate() else None


def learner_renewing(*, user, course_id: int) -> bool:
    """Whether the user renews `course`: holds a current credential for it, or one
    that expired only recently (the window is certificates' rule, read through
    courses.credentials). A renewing learner may test out of module exams
    (exams.selectors.progress); a first-time learner studies first. Two queries."""
    return course_id in recent_credentials(user=user)


class Offer(StrEnum):
    """What the course page offers its viewer, in the order the rules are checked."""

    ENROLLED = "enrolled"  # an active enrollment: continue learning
    WAITING = "waiting"  # enrolled through a bundle, waiting for a prerequisite
    RENEWAL_NOT_OPEN = "renewal_not_open"  # holds it; renewal opens later
    PREREQUISITES_MISSING = "prerequisites_missing"
    ENROL = "enrol"  # may enrol now
    SIGN_UP = "sign_up"  # not signed in


@dataclass(frozen=True)
class Prerequisite:
    course: Course
    met: bool


@dataclass(frozen=True)
class EnrolmentPanel:
    """The course page's enrolment box: decided here, displayed by the template."""

    offer: Offer
    prerequisites: list[Prerequisite]
    missing: list[Course]
    enrollment: Enrollment | None = None
    renewal_opens_on: date | None = None
    renewal_window_days: int = RENEWAL_WINDOW_DAYS


def enrolment_panel_for(*, user, course: Course) -> EnrolmentPanel:
    """Whether the viewer is enrolled, waiting, may renew only later, lacks a
    prerequisite, may enrol, or must sign up first: the same rules
    `enrollment_create` enforces (two queries for a signed-in viewer, plus one for
    their enrollment)."""
    held = current_credentials(user=user)
    missing = prerequisites_missing(user=user, course=course, held=held)
    prerequisites = [
        Prerequisite(course=p, met=p not in missing) for p in course.prerequisites.all()
    ]
    panel = {"prerequisites": prerequisites, "missing": missing}
    if not user.is_authenticated:
        return EnrolmentPanel(offer=Offer.SIGN_UP, **panel)
    enrollment = enrollment_open(user=user, course=course)
    if enrollment is not None:
        offer = (
            Offer.WAITING
            if enrollment.status == Enrollment.Status.WAITING
            else Offer.ENROLLED
        )
        return EnrolmentPanel(offer=offer, enrollment=enrollment, **panel)
    opens = renewal_opens_on(user=user, course=course, held=held)
    if opens:
        return EnrolmentPanel(
            offer=Offer.RENEWAL_NOT_OPEN, renewal_opens_on=opens, **panel
        )
    if missing:
        return EnrolmentPanel(offer=Offer.PREREQUISITES_MISSING, **panel)
    return EnrolmentPanel(offer=Offer.ENROL, **panel)


@dataclass
class DashboardCourse:
    enrollment: Enrollment
    progress: Progress
    # Waiting (enrolled through a bundle) for a current credential in these courses.
    waiting_for: list[Course] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self.enrollment.status == Enrollment.Status.WAITING


def dashboard_for(*, user, as_staff: bool = False) -> dict:
    """The learner's open and completed enrollments with progress, and what apps
    above courses add to the dashboard (courses.pages: the certificates). `as_staff`
    is the request's staff decision (accounts.selectors.staff_verified)."""
    enrollments = list(
        Enrollment.objects.filter(user=user)
        .select_related("course", "last_lesson__module")
        .prefetch_related("course__prerequisites")
        .order_by("status", "-enrolled_at")
    )
    course_ids = {e.course_id for e in enrollments}
    lesson_totals = dict(
        Lesson.objects.filter(course_id__in=course_ids, is_published=True)
        .values("course_id")
        .annotate(n=Count("id"))
        .values_list("course_id", "n")
    )
    done_counts = dict(
        LessonProgress.objects.filter(
            enrollment__in=[e.pk for e in enrollments], lesson__is_published=True
        )
        .values("enrollment_id")
        .annotate(n=Count("id"))
        .values_list("enrollment_id", "n")
    )
    waiting = [e for e in enrollments if e.status == Enrollment.Status.WAITING]
    prereq_ids = {p.pk for e in waiting for p in e.course.prerequisites.all()}
    held = current_credentials(user=user) if prereq_ids else {}
    rows = [
        DashboardCourse(
            enrollment=e,
            progress=Progress(
                done=done_counts.get(e.pk, 0), total=lesson_totals.get(e.course_id, 0)
            ),
            waiting_for=[p for p in e.course.prerequisites.all() if p.pk not in held]
            if e.status == Enrollment.Status.WAITING
            else [],
        )
        for e in enrollments
    ]
    return {
        "open": [r for r in rows if r.enrollment.is_open],
        "completed": [r for r in rows if not r.enrollment.is_open],
        "today": timezone.localdate(),
        **page_sections("dashboard", user=user, as_staff=as_staff),
    }
