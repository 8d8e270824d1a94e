"""Where a learner stands in a course's case simulations: which cases are passed,
whether every required one is (the final exam's lock and the completion rule, read
by exams; the certificate's statement, read by certificates), and the course's
cases as a list and as steps of the course (courses.steps)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.urls import reverse

from core.urls import reverse_cached
from courses.models import Course, Enrollment, Module
from courses.outline import content_cached
from courses.steps import (
    Link,
    Step,
    StepKind,
    StepState,
    rows_state,
    state_rows,
    step_state,
)

from ..models import Case, CaseAttempt
from .pacing import CasePacing, case_pacings_for


def required_cases_passed_for(*, enrollments: Iterable[Enrollment]) -> dict[int, bool]:
    """{enrollment id: every active required case of its course was passed in this
    enrollment} (True for a course that requires none). One query when the
    enrollments are of different courses (a learner's: one open enrollment per
    course), two otherwise, whatever the number of cases or attempts."""
    course_of = {e.pk: e.course_id for e in enrollments}
    if not course_of:
        return {}
    required = Case.objects.filter(
        course_id__in=set(course_of.values()), is_active=True, is_required=True
    )
    if len(set(course_of.values())) == len(course_of):
        # An attempt's enrollment is of its case's course, and each course has one
        # enrollment here: "passed in one of these" is "passed in the course's".
        missing = set(
            required.annotate(
                passed=Exists(
                    CaseAttempt.objects.filter(
                        case=OuterRef("pk"),
                        enrollment_id__in=list(course_of),
                        passed=True,
                    )
                )
            )
            .filter(passed=False)
            .values_list("course_id", flat=True)
        )
        return {pk: course_id not in missing for pk, course_id in course_of.items()}
    by_course: dict[int, set[int]] = {}
    for case_id, course_id in required.values_list("pk", "course_id"):
        by_course.setdefault(course_id, set()).add(case_id)
    passed: dict[int, set[int]] = {}
    for enrollment_id, case_id in (
        CaseAttempt.objects.filter(
            enrollment_id__in=list(course_of),
            case_id__in={pk for ids in by_course.values() for pk in ids},
            passed=True,
        )
        .values_list("enrollment_id", "case_id")
        .distinct()
    ):
        passed.setdefault(enrollment_id, set()).add(case_id)
    return {
        pk: by_course.get(course_id, set()) <= passed.get(pk, set())
        for pk, course_id in course_of.items()
    }


def required_cases_passed(*, enrollment: Enrollment) -> bool:
    """Whether every active required case of the course was passed in this
    enrollment: the final exam unlocks only then, and the course completes only
    then (exams.selectors.progress). One query."""
    return required_cases_passed_for(enrollments=[enrollment])[enrollment.pk]


def case_assessment_included(*, enrollment: Enrollment) -> bool:
    """Whether a certificate for this enrollment states that it includes a
    simulated case assessment: the course requires at least one case and every
    required case was passed in this enrollment (certificates snapshot it at
    issue)."""
    requires = Case.objects.filter(
        course_id=enrollment.course_id, is_active=True, is_required=True
    ).exists()
    return requires and required_cases_passed(enrollment=enrollment)


def _active_cases_by_course() -> dict[int, list[Case]]:
    by_course: dict[int, list[Case]] = {}
    for case in (
        Case.objects.filter(is_active=True)
        .order_by("order", "slug")
        .only("pk", "course_id", "slug", "title", "order", "summary", "is_required")
    ):
        by_course.setdefault(case.course_id, []).append(case)
    return by_course


def active_cases_by_course() -> dict[int, list[Case]]:
    """{course id: its active cases in course order}: content, built once per
    content version in each process (courses.outline); no query but when content
    changed. Read-only."""
    return content_cached("cases:by-course", _active_cases_by_course)


@dataclass
class CaseStatus:
    """One case of a course as the learner stands with it in an enrollment."""

    case: Case
    passed: bool = False
    attempts: int = 0  # finished attempts in this enrollment
    open_attempt_id: int | None = None
    last_attempt_id: int | None = None  # the latest finished one: its debrief
    # A retake not open yet (only with pacing asked for).
    retake_wait: CasePacing | None = None

    @property
    def state(self) -> StepState:
        if self.open_attempt_id:
            return StepState.IN_PROGRESS
        if self.passed:
            return StepState.DONE
        if self.retake_wait is not None:
            return StepState.WAITING
        return StepState.OPEN

    @property
    def status(self) -> str:
        return {
            StepState.IN_PROGRESS: "In progress",
            StepState.DONE: "Passed",
            StepState.WAITING: "Not passed yet",
            StepState.OPEN: "Not passed yet" if self.attempts else "Not started",
        }[self.state]


def case_attempts_state() -> Subquery:
    """The enrollment's case attempts, as JSON objects separated by commas (or
    NULL): the step state courses reads with the enrollment (courses.steps,
    registered in apps.py), summarised per case by `_summary_of` as
    case_statuses_for's query does."""
    return rows_state(
        CaseAttempt.objects.filter(enrollment=OuterRef("pk")),
        case="case_id",
        id="id",
        status="status",
        passed="passed",
    )


def _summary_of(rows: str | None) -> dict[int, dict]:
    """{case id: tries, passes, open_id, last_id} from case_attempts_state."""
    summary: dict[int, dict] = {}
    for attempt in state_rows(rows):
        row = summary.setdefault(
            attempt["case"], {"tries": 0, "passes": 0, "open_id": None, "last_id": None}
        )
        if attempt["passed"]:
            row["passes"] += 1
        key = {
            CaseAttempt.Status.FINISHED: "last_id",
            CaseAttempt.Status.OPEN: "open_id",
        }.get(attempt["status"])
        if key:
            row[key] = max(row[key] or 0, attempt["id"])
        if attempt["status"] == CaseAttempt.Status.FINISHED:
            row["tries"] += 1
    return summary


def case_statuses_for(
    *,
    enrollments: list[Enrollment],
    required_only: bool = False,
    pacing: bool = False,
) -> dict[int, list[CaseStatus]]:
    """{enrollment id: [CaseStatus] in course order} for the active cases of each
    enrollment's course (only the required ones with `required_only`): passed,
    attempts, the attempt in progress. Two queries for any number of enrollments;
    with `pacing`, what opens each failed case's retake (at most two more per
    enrollment)."""
    if not enrollments:
        return {}
    active = active_cases_by_course()
    by_course: dict[int, list[Case]] = {}
    for course_id in {e.course_id for e in enrollments}:
        cases = [
            case
            for case in active.get(course_id, [])
            if case.is_required or not required_only
        ]
        if cases:
            by_course[course_id] = cases
    summaries: dict[int, dict[int, dict]] = {}
    unread = []
    for enrollment in enrollments:
        loaded, rows = step_state(enrollment, "cases")
        if loaded:
            summaries[enrollment.pk] = _summary_of(rows)
        elif enrollment.course_id in by_course:
            unread.append(enrollment.pk)
    if unread:
        for row in (
            CaseAttempt.objects.filter(enrollment__in=unread)
            .values("enrollment_id", "case_id")
            .annotate(
                tries=Count("id", filter=Q(status=CaseAttempt.Status.FINISHED)),
                passes=Count("id", filter=Q(passed=True)),
                open_id=Max("id", filter=Q(status=CaseAttempt.Status.OPEN)),
                last_id=Max("id", filter=Q(status=CaseAttempt.Status.FINISHED)),
            )
            .order_by()
        ):
            summaries.setdefault(row["enrollment_id"], {})[row["case_id"]] = row
    answer = {}
    for enrollment in enrollments:
        statuses = []
        for case in by_course.get(enrollment.course_id, []):
            row = summaries.get(enrollment.pk, {}).get(case.pk, {})
            statuses.append(
                CaseStatus(
                    case=case,
                    passed=bool(row.get("passes")),
                    attempts=row.get("tries", 0),
                    open_attempt_id=row.get("open_id"),
                    last_attempt_id=row.get("last_id"),
                )
            )
        if pacing:
            retried = [s.case for s in statuses if not s.open_attempt_id]
            waits = case_pacings_for(enrollment=enrollment, cases=retried)
            for status in statuses:
                wait = waits.get(status.case.pk)
                if wait is not None and not status.passed and not wait.open_now():
                    status.retake_wait = wait
        answer[enrollment.pk] = statuses
    return answer


def course_cases_for(*, course: Course, enrollment: Enrollment) -> list[CaseStatus]:
    """The course's case list: every active case in order (required ones marked),
    with the learner's status in `enrollment` and what opens a failed one's retake
    (four queries at most)."""
    enrollment.course = course
    return case_statuses_for(enrollments=[enrollment], pacing=True)[enrollment.pk]


@dataclass(frozen=True)
class CaseSimulationsLink:
    """The course home's way to the case list: how many cases, how many required."""

    url: str
    total: int
    required: int


def course_home_cases(*, user, course: Course, enrollment) -> dict:
    """The course home's section (courses.pages "course_home"): a link to the
    course's case simulations when it has any (no query: the cached cases)."""
    cases = active_cases_by_course().get(course.pk, [])
    if not cases:
        return {}
    return {
        "case_simulations": CaseSimulationsLink(
            url=reverse("cases:list", args=[course.slug]),
            total=len(cases),
            required=sum(1 for case in cases if case.is_required),
        )
    }


def case_status_for(*, case: Case, enrollment: Enrollment) -> CaseStatus:
    """One case's status in `enrollment` (the briefing page), with what opens a
    failed one's retake (four queries at most)."""
    statuses = course_cases_for(course=case.course, enrollment=enrollment)
    return next(
        (status for status in statuses if status.case.pk == case.pk),
        CaseStatus(case=case),
    )


def case_step(status: CaseStatus, *, enrollment: Enrollment) -> Step:
    """One required case as a step of the course (courses.steps): its briefing is
    the step's page; an attempt in progress is resumed; a failed one's retake says
    what opens it."""
    case = status.case
    briefing = reverse_cached("cases:briefing", enrollment.course.slug, case.slug)
    facts = ["Required to unlock the final exam"]
    if status.attempts:
        facts.append(f"{status.attempts} attempt{'s' if status.attempts != 1 else ''}")
    links: list[Link] = []
    if status.last_attempt_id:
        links.append(
            Link(
                "Your last debrief",
                reverse_cached("cases:debrief", status.last_attempt_id),
            )
        )
    common = {
        "kind": StepKind.CASE,
        "title": f"Case simulation: {case.title}",
        "key": f"case-{case.pk}",
        "state": status.state,
        "status": status.status,
        "facts": tuple(facts),
    }
    if status.open_attempt_id:
        return Step(
            url=reverse_cached("cases:play", status.open_attempt_id),
            action=f"Resume case simulation: {case.title}",
            links=tuple(links),
            **common,
        )
    if status.passed:
        return Step(url=briefing, links=tuple(links), **common)
    wait = status.retake_wait
    if wait is not None:
        to_open = tuple(
            Link(lesson.title, lesson.url) for lesson in wait.lessons_to_open
        )
        return Step(
            url=to_open[0].url if to_open else briefing,
            action=f"Review: {to_open[0].text}" if to_open else "",
            note=wait.refusal(),
            links=to_open + tuple(links),
            **common,
        )
    return Step(
        url=briefing,
        action=f"{'Try again' if status.attempts else 'Start'}: {case.title}",
        links=tuple(links),
        **common,
    )


def case_steps_for(
    *,
    user,
    enrollments: list[Enrollment],
    modules_by_course: dict[int, list[Module]],
    done_by_enrollment: dict[int, set[int]],
    detail: bool = False,
) -> dict[int, list[Step]]:
    """The required cases of each enrollment as steps, before the final exam
    (courses.steps' step source). Two queries for any number of enrollments; with
    `detail` (the course home) what opens a failed case's retake."""
    enrollments = [e for e in enrollments if e.course_id in modules_by_course]
    statuses = case_statuses_for(
        enrollments=enrollments, required_only=True, pacing=detail
    )
    return {
        enrollment.pk: [
            case_step(status, enrollment=enrollment)
            for status in statuses[enrollment.pk]
        ]
        for enrollment in enrollments
    }
