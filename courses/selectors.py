"""Reads of the curriculum and of learners' progress.

Every page-level selector runs a fixed number of queries whatever the size of the
curriculum (asserted in tests): related rows are fetched with select/prefetch, counts
are aggregated in the database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.db.models import (
    CharField,
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.http import Http404

from accounts.models import Profession
from core.dates import site_today
from core.prepared import prepared

from .credentials import (
    Held,
    current_credentials,
    pending_credentials,
    recent_credentials,
)
from .models import (
    Bundle,
    Course,
    Enrollment,
    InfoPage,
    Lesson,
    LessonProgress,
    LessonView,
    Module,
)
from .outline import content_cached
from .pages import page_sections
from .steps import CoursePlan, course_plan, course_plans, with_step_state

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


def courses_for_catalog() -> list[Course]:
    """Published courses in catalog order, with their prerequisites, lesson counts
    (`lesson_count`) and minutes (`total_minutes`): from the outline, no query."""
    return outline().catalog


def courses_recommended(*, courses: list[Course], profession: str) -> list[Course]:
    """The courses, in catalog order, whose authors recommend them for `profession`
    (course data: `recommended_for`); none for an empty profession."""
    return [c for c in courses if profession and profession in c.recommended_for]


def bundles_for_catalog() -> list[Bundle]:
    """Published bundles with their items' courses: from the outline, no query."""
    return outline().bundles


def course_for_viewer(*, slug: str, as_staff: bool = False) -> Course:
    """The course, if the viewer may see it: published, or any course for staff
    (`as_staff`: the request's accounts.selectors.staff_verified). From the outline:
    no query."""
    course = outline().courses.get(slug)
    if course is None or not (course.is_published or as_staff):
        raise Http404("No such course.")
    return course


def modules_with_lessons(
    *, course: Course, include_drafts: bool = False
) -> list[Module]:
    """The course's modules in order, each with `.visible_lessons` (published only,
    unless `include_drafts`), and the module's exam when there is one: from the
    outline, no query."""
    return modules_with_lessons_for(
        courses=[course], include_drafts=include_drafts
    ).get(course.pk, [])


def modules_with_lessons_for(
    *, courses: list[Course], include_drafts: bool = False
) -> dict[int, list[Module]]:
    """{course id: modules_with_lessons} for several courses (the dashboard's
    plans): from the outline, no query."""
    modules = outline().modules_with_drafts if include_drafts else outline().modules
    return {course.pk: modules[course.pk] for course in courses if course.pk in modules}


@dataclass(frozen=True)
class Outline:
    """The curriculum as the learner pages read it (courses.outline): every course
    (drafts too: staff preview them) with its prerequisites, lesson count and
    minutes; its modules in order with their lessons, once with published lessons
    only and once with drafts too; the published courses and bundles of the
    catalog. Shared by the requests of a process: read-only."""

    courses: dict[str, Course]  # by slug
    courses_by_id: dict[int, Course]
    catalog: list[Course]
    bundles: list[Bundle]
    modules: dict[int, list[Module]]  # course id -> modules (published lessons)
    modules_with_drafts: dict[int, list[Module]]


def _modules_with_lessons_query(
    *, courses: dict[int, Course], include_drafts: bool
) -> dict[int, list[Module]]:
    lessons = Lesson.objects.all()
    if not include_drafts:
        lessons = lessons.filter(is_published=True)
    modules = (
        Module.objects.select_related("exam")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=lessons.order_by("order", "id"),
                to_attr="visible_lessons",
            )
        )
        .order_by("order", "id")
    )
    answer: dict[int, list[Module]] = {}
    for module in modules:
        course = courses[module.course_id]
        for lesson in module.visible_lessons:
            # Templates build lesson URLs from module and course: no query per lesson.
            lesson.module = module
            lesson.course = course
        module.course = course
        if module.visible_lessons:
            answer.setdefault(course.pk, []).append(module)
    return answer


def _outline_build() -> Outline:
    published_lessons = Q(lessons__is_published=True)
    courses = list(
        Course.objects.annotate(
            lesson_count=Count("lessons", filter=published_lessons),
            total_minutes=Sum("lessons__minutes", filter=published_lessons),
        )
        .prefetch_related("prerequisites")
        # Meta.ordering does not apply to aggregating queries: order explicitly.
        .order_by("order", "title")
    )
    by_id = {course.pk: course for course in courses}
    bundles = list(
        Bundle.objects.filter(is_published=True).prefetch_related("items__course")
    )
    for bundle in bundles:
        for item in bundle.items.all():
            item.course = by_id[item.course_id]
    return Outline(
        courses={course.slug: course for course in courses},
        courses_by_id=by_id,
        catalog=[course for course in courses if course.is_published],
        bundles=bundles,
        modules=_modules_with_lessons_query(courses=by_id, include_drafts=False),
        modules_with_drafts=_modules_with_lessons_query(
            courses=by_id, include_drafts=True
        ),
    )


def outline() -> Outline:
    """The curriculum as pages read it, built once per content version in each
    process (courses.outline): no query but when content changed."""
    return content_cached("courses:outline", _outline_build)


def enrollment_open(*, user, course: Course) -> Enrollment | None:
    if not user.is_authenticated:
        return None
    return Enrollment.objects.filter(
        user=user,
        course=course,
        status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
    ).first()


def _done_lesson_ids() -> Subquery:
    """The enrollment's completed lesson ids, comma-separated (or NULL)."""
    return Subquery(
        LessonProgress.objects.filter(enrollment=OuterRef("pk"))
        .order_by()
        .values("enrollment")
        .annotate(ids=StringAgg(Cast("lesson_id", CharField()), Value(",")))
        .values("ids")
    )


def _current_view_ids() -> Subquery:
    """The ids of the enrollment's lessons opened since its last recorded failure
    (Enrollment.lesson_views_current_from), comma-separated (or NULL)."""
    return Subquery(
        LessonView.objects.filter(
            enrollment=OuterRef("pk"),
            last_opened_at__gte=OuterRef("lesson_views_current_from"),
        )
        .order_by()
        .values("enrollment")
        .annotate(ids=StringAgg(Cast("lesson_id", CharField()), Value(",")))
        .values("ids")
    )


@functools.cache
def _learner_state_queryset(
    *, steps: bool = True, completed: bool = False
) -> QuerySet[Enrollment]:
    # Built once per process: resolving the subqueries costs more than running
    # them (about 2 ms a page); each page filters a clone. `completed`: the rows
    # may be completed enrollments (the states of what follows them are read).
    queryset = Enrollment.objects.annotate(
        done_lesson_ids=_done_lesson_ids(), current_view_ids=_current_view_ids()
    )
    return with_step_state(queryset, completed=completed) if steps else queryset


OPEN_STATUSES = (Enrollment.Status.ACTIVE, Enrollment.Status.WAITING)


# The learner-state queries of the learner pages, compiled once per process
# (core.prepared): compiling them cost more than running them.
@prepared(user_id=int)
def _all_with_state(user_id: int) -> QuerySet[Enrollment]:
    return (
        _learner_state_queryset(steps=True, completed=True)
        .filter(user_id=user_id)
        .order_by("status", "-enrolled_at")
    )


@prepared(user_id=int, course_id=int)
def _open_with_state(user_id: int, course_id: int) -> QuerySet[Enrollment]:
    return _learner_state_queryset(steps=True).filter(
        user_id=user_id, course_id=course_id, status__in=OPEN_STATUSES
    )


@prepared(user_id=int, course_id=int)
def _open_with_progress(user_id: int, course_id: int) -> QuerySet[Enrollment]:
    return _learner_state_queryset(steps=False).filter(
        user_id=user_id, course_id=course_id, status__in=OPEN_STATUSES
    )


def _with_state(rows: list[Enrollment], user) -> list[Enrollment]:
    """`rows` read with their state, completed: the user and the outline's course
    set (no query when a page or a step source reads them), `done_ids` and
    `current_view_ids` (lessons whose opening need not be written again:
    services.lesson_open)."""
    courses = outline().courses_by_id
    for enrollment in rows:
        enrollment.user = user
        # The outline's course (shared, read-only).
        if enrollment.course_id in courses:
            enrollment.course = courses[enrollment.course_id]
        enrollment.done_ids = _ids(enrollment.done_lesson_ids)
        enrollment.current_view_ids = _ids(enrollment.current_view_ids)
    return rows


def _ids(raw: str | None) -> set[int]:
    return {int(pk) for pk in raw.split(",")} if raw else set()


def with_learner_state(*, user) -> list[Enrollment]:
    """Every enrollment of `user` (open first, newest first within a status), each
    with the learner's state read in the same query: `done_ids` (completed lesson
    ids) and what the step sources registered (courses.steps.with_step_state:
    exams' attempts, cases' attempts). For a page that reads them before it writes
    any (they are not refreshed)."""
    return _with_state(_all_with_state(user_id=user.pk), user)


def enrollment_open_with_state(
    *, user, course: Course, steps: bool = True
) -> Enrollment | None:
    """The open enrollment (enrollment_open) with the learner's state in the same
    query (with_learner_state): one query for what a course page needs to know of
    the learner. `steps=False` for a page that seldom builds the plan (the lesson
    page: its lessons' done marks, and the step sources only at a module's end;
    without their state a step source reads it itself)."""
    if not user.is_authenticated:
        return None
    query = _open_with_state if steps else _open_with_progress
    rows = _with_state(query(user_id=user.pk, course_id=course.pk), user)
    return rows[0] if rows else None


def completed_lesson_ids(*, enrollment: Enrollment) -> set[int]:
    """The enrollment's completed lesson ids: those read with it
    (with_learner_state) or one query."""
    loaded = getattr(enrollment, "done_ids", None)
    if loaded is not None:
        return set(loaded)
    return set(
        LessonProgress.objects.filter(enrollment=enrollment).values_list(
            "lesson_id", flat=True
        )
    )


def completed_lesson_ids_for(*, enrollments: list[Enrollment]) -> dict[int, set[int]]:
    """{enrollment id: completed lesson ids} in one query."""
    done: dict[int, set[int]] = {enrollment.pk: set() for enrollment in enrollments}
    if not enrollments:
        return done
    for enrollment_id, lesson_id in LessonProgress.objects.filter(
        enrollment__in=list(done)
    ).values_list("enrollment_id", "lesson_id"):
        done[enrollment_id].add(lesson_id)
    return done


@dataclass(frozen=True, slots=True)
class OpenProgress:
    """A learner's open enrollment in a course, as someone following their progress
    sees it: published lessons done of those the course has (exams are the exams
    app's and are not counted here)."""

    lessons_done: int
    lessons_total: int
    waiting: bool = False  # enrolled, waiting for a prerequisite

    @property
    def percent(self) -> int:
        if not self.lessons_total:
            return 0
        return min(100, round(100 * self.lessons_done / self.lessons_total))


def open_progress_for(
    *, users: QuerySet, course_ids: list[int]
) -> dict[tuple[int, int], OpenProgress]:
    """{(user id, course id): OpenProgress} of the open enrollments (active or
    waiting) of many learners in the given courses: `users` is a queryset of user
    ids (a subquery). One query, whatever the number of learners."""
    if not course_ids:
        return {}
    lessons = (
        Lesson.objects.published()
        .filter(course_id=OuterRef("course_id"))
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Enrollment.objects.filter(
            user_id__in=users,
            course_id__in=course_ids,
            status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
        )
        .order_by()
        .annotate(
            done=Count("progress", filter=Q(progress__lesson__is_published=True)),
            total=Subquery(lessons),
        )
        .values_list("user_id", "course_id", "status", "done", "total")
    )
    return {
        (user_id, course_id): OpenProgress(
            lessons_done=done,
            lessons_total=total or 0,
            waiting=status == Enrollment.Status.WAITING,
        )
        for user_id, course_id, status, done, total in rows
    }


def enrollment_for_review(*, user, course: Course) -> Enrollment | None:
    """The learner's latest completed enrollment in `course`, if any: it opens the
    course's lessons read-only (review mode) without a new enrollment. A completed
    course stays readable whatever happened to its certificate since (expired:
    renewal is a new enrollment; the lessons are no secret). One query."""
    if not user.is_authenticated:
        return None
    return (
        Enrollment.objects.filter(
            user=user, course=course, status=Enrollment.Status.COMPLETED
        )
        .order_by("-completed_at", "-pk")
        .first()
    )


def course_plan_for(
    *, user, enrollment: Enrollment, modules: list[Module], detail: bool = False
) -> CoursePlan:
    """The enrollment's steps and its up-next step (courses.steps): one query for
    its completed lessons plus what the registered sources read (exams: two, more
    with `detail`; certificates: one for a completed enrollment)."""
    return course_plan(
        user=user,
        enrollment=enrollment,
        modules=modules,
        done_ids=completed_lesson_ids(enrollment=enrollment),
        detail=detail,
    )


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


def lesson_for_viewer(
    *, course: Course, module_slug: str, lesson_slug: str, as_staff: bool = False
) -> Lesson:
    """The lesson if published, or any lesson for staff (`as_staff`: the request's
    accounts.selectors.staff_verified); else 404. From the outline: no query."""
    for module in outline().modules_with_drafts.get(course.pk, []):
        if module.slug != module_slug:
            continue
        for lesson in module.visible_lessons:
            if lesson.slug == lesson_slug and (lesson.is_published or as_staff):
                return lesson
    raise Http404("No such lesson.")


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
    return opens if opens > site_today() else None


def learner_renewing(*, user, course_id: int) -> bool:
    """Whether the user renews `course`: holds a current credential for it, or one
    that expired only recently (the window is certificates' rule, read through
    courses.credentials). A renewing learner may test out of module exams
    (exams.selectors.progress); a first-time learner studies first. One query."""
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
    # Not met, but the learner's outside card for it waits for staff review.
    under_review: bool = False


@dataclass(frozen=True)
class EnrolmentPanel:
    """The course page's enrolment box: decided here, displayed by the template."""

    offer: Offer
    prerequisites: list[Prerequisite]
    missing: list[Course]
    enrollment: Enrollment | None = None
    renewal_opens_on: date | None = None
    renewal_window_days: int = RENEWAL_WINDOW_DAYS
    # The learner completed the course before: its lessons are open to reread.
    completed: Enrollment | None = None

    @property
    def under_review(self) -> list[Course]:
        """Missing prerequisites whose outside card waits for staff review."""
        return [p.course for p in self.prerequisites if p.under_review]

    @property
    def missing_not_under_review(self) -> list[Course]:
        return [
            p.course for p in self.prerequisites if not p.met and not p.under_review
        ]


def enrolment_panel_for(*, user, course: Course) -> EnrolmentPanel:
    """Whether the viewer is enrolled, waiting, may renew only later, lacks a
    prerequisite, may enrol, or must sign up first: the same rules
    `enrollment_create` enforces (one query for a signed-in viewer, one more when a
    prerequisite is missing, plus one for their enrollment)."""
    held = current_credentials(user=user)
    missing = prerequisites_missing(user=user, course=course, held=held)
    pending = pending_credentials(user=user) if missing else set()
    prerequisites = [
        Prerequisite(
            course=p,
            met=p not in missing,
            under_review=p in missing and p.pk in pending,
        )
        for p in course.prerequisites.all()
    ]
    panel = {"prerequisites": prerequisites, "missing": missing}
    if not user.is_authenticated:
        return EnrolmentPanel(offer=Offer.SIGN_UP, **panel)
    enrollment = enrollment_open(user=user, course=course)
    if enrollment is None:
        panel["completed"] = enrollment_for_review(user=user, course=course)
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


def course_recommended_next(
    *,
    courses: list[Course],
    profession: str,
    held: dict[int, Held],
    taken: set[int],
) -> Course | None:
    """The course to suggest next to a learner of `profession`: the first course of
    the catalog (`courses`, catalog order) recommended for it that they neither hold
    a current credential for nor are enrolled in (`taken`: open enrollments),
    preferring one whose prerequisites they hold (a nurse holding BLS is offered
    ACLS). None without a profession or when nothing is left."""
    candidates = [
        course
        for course in courses_recommended(courses=courses, profession=profession)
        if course.pk not in held and course.pk not in taken
    ]
    for course in candidates:
        if all(p.pk in held for p in course.prerequisites.all()):
            return course
    return candidates[0] if candidates else None


@dataclass
class DashboardCourse:
    enrollment: Enrollment
    # Its steps, progress (lessons and exams) and up-next step (courses.steps); a
    # completed enrollment's plan has only what follows it (the certificate).
    plan: CoursePlan
    # Waiting (enrolled through a bundle) for a current credential in these courses.
    waiting_for: list[Course] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self.enrollment.status == Enrollment.Status.WAITING


def dashboard_for(*, user, as_staff: bool = False) -> dict:
    """The learner's dashboard: open enrollments with their progress (lessons and
    exams) and up-next step, completed ones with what follows them (the
    certificate, issued or on its way), a recommended next course from their
    profession, and what apps above courses add (courses.pages: the certificates,
    with their renewal windows). `as_staff` is the request's staff decision
    (accounts.selectors.staff_verified). A fixed number of queries whatever the
    number of enrollments, courses, lessons or exams."""
    # With the learner's progress and attempts in the same query (and each
    # enrollment's course from the outline).
    enrollments = with_learner_state(user=user)
    active = [e for e in enrollments if e.status == Enrollment.Status.ACTIVE]
    completed = [e for e in enrollments if e.status == Enrollment.Status.COMPLETED]
    # Only the latest completion of each course is shown with what follows it.
    latest: dict[int, Enrollment] = {}
    for enrollment in completed:
        if (
            enrollment.course_id not in latest
            or enrollment.completed_at > latest[enrollment.course_id].completed_at
        ):
            latest[enrollment.course_id] = enrollment
    modules = modules_with_lessons_for(courses=[e.course for e in active])
    plans = course_plans(
        user=user,
        enrollments=active + list(latest.values()),
        modules_by_course=modules,
        done_by_enrollment={e.pk: e.done_ids for e in active},
    )
    held = current_credentials(user=user)
    rows = [
        DashboardCourse(
            enrollment=e,
            plan=plans.get(e.pk) or CoursePlan(enrollment=e, units=[]),
            waiting_for=[p for p in e.course.prerequisites.all() if p.pk not in held]
            if e.status == Enrollment.Status.WAITING
            else [],
        )
        for e in enrollments
    ]
    open_rows = [r for r in rows if r.enrollment.is_open]
    recommended = None
    if user.profession:
        recommended = course_recommended_next(
            courses=outline().catalog,
            profession=user.profession,
            held=held,
            taken={r.enrollment.course_id for r in open_rows},
        )
    completed_rows = [r for r in rows if r.enrollment in latest.values()]
    return {
        "open": open_rows,
        "completed": completed_rows,
        # Completed courses whose certificate is not in hand yet (being issued,
        # waiting for a legal name): issued ones show among the certificates.
        "completed_pending": [
            r for r in completed_rows if not (r.plan.after and r.plan.after.done)
        ],
        # A certificate being issued: the page refreshes that card (refresh.js).
        "refreshing": any(
            r.plan.after and r.plan.after.refresh for r in completed_rows
        ),
        "recommended": recommended,
        "profession_label": Profession(user.profession).label
        if user.profession in Profession.values
        else "",
        "today": site_today(),
        **page_sections(
            "dashboard",
            user=user,
            as_staff=as_staff,
            open_course_ids={r.enrollment.course_id for r in open_rows},
        ),
    }
