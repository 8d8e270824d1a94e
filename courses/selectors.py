"""Reads of the curriculum and of learners' progress.

Every page-level selector runs a fixed number of queries whatever the size of the
curriculum (asserted in tests): related rows are fetched with select/prefetch, counts
are aggregated in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from certificates.models import Certificate
from certificates.selectors import certified_course_ids

from .models import Bundle, Course, Enrollment, Lesson, LessonProgress, Module

# A holder may re-enrol in a course they hold this long before its certificate expires.
RENEWAL_WINDOW = timedelta(days=90)


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


def course_for_viewer(*, slug: str, user) -> Course:
    """The course, if the viewer may see it: published, or any course for staff."""
    queryset = Course.objects.all() if user.is_staff else Course.objects.published()
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
    *, course: Course, module_slug: str, lesson_slug: str, user
) -> Lesson:
    queryset = Lesson.objects.select_related("module").filter(
        course=course, module__slug=module_slug, slug=lesson_slug
    )
    if not user.is_staff:
        queryset = queryset.filter(is_published=True)
    try:
        return queryset.get()
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None


def renewal_opens_on(*, user, course: Course):
    """If the user holds a current certificate for `course` that is not yet within the
    renewal window, the date re-enrolment opens; otherwise None."""
    today = timezone.localdate()
    latest = (
        Certificate.objects.filter(
            user=user,
            course=course,
            status=Certificate.Status.VALID,
            expires_on__gte=today,
        )
        .order_by("-expires_on")
        .values_list("expires_on", flat=True)
        .first()
    )
    if latest is None:
        return None
    opens = latest - RENEWAL_WINDOW
    return opens if opens > today else None


@dataclass
class DashboardCourse:
    enrollment: Enrollment
    progress: Progress
    waiting_for: list[Course] = field(default_factory=list)


def dashboard_for(*, user) -> dict:
    """The learner's open and completed enrollments with progress, and certificates."""
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
    held = (
        certified_course_ids(user=user, course_ids=prereq_ids) if prereq_ids else set()
    )
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
    certificates = list(
        Certificate.objects.filter(user=user)
        .select_related("course")
        .order_by("-issued_on")
    )
    return {
        "open": [r for r in rows if r.enrollment.is_open],
        "completed": [r for r in rows if not r.enrollment.is_open],
        "certificates": certificates,
        "today": timezone.localdate(),
    }
