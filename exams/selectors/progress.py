"""Where a learner stands in a course's exams: which exams are open (the unlock rule),
passed or in progress, and whether every completion rule holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    Subquery,
)

from cases.selectors import required_cases_passed, required_cases_passed_for
from core import horizon
from courses.models import Enrollment, Module
from courses.outline import content_cached
from courses.selectors import (
    completed_lesson_ids,
    enrollment_lessons_left,
    learner_renewing,
    modules_with_lessons,
)
from courses.steps import rows_state, state_moment, state_rows, step_state

from ..models import Attempt, Exam
from .attempts import DEADLINE_GRACE, attempt_closes_at
from .pass_rule import exam_draw_count, may_miss_sentence


class ExamLock(Enum):
    """Why an exam is still locked: (code, the refusal when starting it, the hint on
    the course home's exam card)."""

    LESSONS_LEFT = (
        "exam.lessons_left",
        "Finish every lesson of this module to unlock its exam.",
        "Finish this module's lessons to unlock it.",
    )
    TEST_OUT_FAILED = (
        "exam.test_out_failed",
        "You did not pass this exam before studying: finish every lesson of this "
        "module to take it again.",
        "Not passed as a test-out: finish this module's lessons to take it again.",
    )
    MODULE_EXAMS_LEFT = (
        "exam.module_exams_left",
        "Pass every module exam to unlock the final exam.",
        "Pass every module exam to unlock it.",
    )
    CASES_LEFT = (
        "exam.cases_left",
        "Pass the required case simulations first: the final exam unlocks once "
        "you have passed each of them.",
        "Pass the required case simulations first.",
    )

    def __init__(self, code: str, refusal: str, hint: str):
        self.code, self.refusal, self.hint = code, refusal, hint


def _exam_lock(
    exam: Exam,
    *,
    module_lessons_left: bool,
    module_exams_passed: bool,
    cases_passed: bool = True,
    renewing: bool = False,
    test_out_failed: bool = False,
) -> ExamLock | None:
    """The unlock rule, written once: a module exam opens once every published lesson
    of its module is done; the final exam once every active module exam of the
    course is passed and every case simulation the course requires
    (cases.selectors.required_cases_passed), all in this enrollment.

    Test-out: a renewing learner (courses.selectors.learner_renewing: holds the
    course's credential, or held it until recently) may take a module exam before
    its lessons, once per enrollment: a pass marks the lessons done
    (exams.services.grading), a fail (`test_out_failed`) means studying them
    first. An attempt started while this returns None with lessons left is a
    test-out (`test_out_open`)."""
    if exam.kind == Exam.Kind.MODULE:
        if not module_lessons_left:
            return None
        if test_out_failed:
            return ExamLock.TEST_OUT_FAILED
        return None if renewing else ExamLock.LESSONS_LEFT
    if not module_exams_passed:
        return ExamLock.MODULE_EXAMS_LEFT
    return None if cases_passed else ExamLock.CASES_LEFT


@dataclass
class ExamStatus:
    exam: Exam
    lock: ExamLock | None = None
    passed: bool = False
    best_score: Decimal | None = None
    attempts: int = 0
    open_attempt_id: int | None = None
    # Open before its lessons are done: taking it now is a test-out.
    test_out: bool = False
    # "You may miss up to 2 of 10 questions and still pass." (pass_rule).
    may_miss: str = ""

    @property
    def locked(self) -> bool:
        return self.lock is not None

    @property
    def locked_reason(self) -> str:
        return self.lock.hint if self.lock else ""


@dataclass
class ExamOverview:
    module_exams: list[ExamStatus] = field(default_factory=list)
    final: ExamStatus | None = None
    # The facts the unlock rule reads, kept for `lock_for`.
    modules_with_lessons_left: set[int] = field(default_factory=set)
    module_exams_passed: bool = True
    # Every case simulation the course requires passed in this enrollment.
    cases_passed: bool = True
    renewing: bool = False
    exams_test_out_failed: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.module_exams or self.final)

    def lock_for(self, exam: Exam) -> ExamLock | None:
        """Whether `exam` (of this course, listed or not) is locked."""
        return _exam_lock(
            exam,
            module_lessons_left=exam.module_id in self.modules_with_lessons_left,
            module_exams_passed=self.module_exams_passed,
            cases_passed=self.cases_passed,
            renewing=self.renewing,
            test_out_failed=exam.pk in self.exams_test_out_failed,
        )

    def test_out_open(self, exam: Exam) -> bool:
        """Whether starting `exam` now is a test-out: it is open while its module's
        lessons are not all done (only a renewing learner's can be)."""
        return (
            exam.kind == Exam.Kind.MODULE
            and exam.module_id in self.modules_with_lessons_left
            and self.lock_for(exam) is None
        )

    @property
    def test_out_offered(self) -> bool:
        """Whether the course home tells the learner they may test out: a module
        exam is open before its lessons are done."""
        return any(status.test_out for status in self.module_exams)


def _active_exams_by_course() -> dict[int, list[Exam]]:
    exams_by_course: dict[int, list[Exam]] = {}
    for exam in (
        Exam.objects.filter(is_active=True)
        .select_related("module")
        # For the pass rule in words: how many questions an attempt asks.
        .annotate(
            active_questions=Count("questions", filter=Q(questions__is_active=True))
        )
        .order_by("kind", "module__order", "pk")
    ):
        exams_by_course.setdefault(exam.course_id, []).append(exam)
    return exams_by_course


def active_exams_by_course() -> dict[int, list[Exam]]:
    """{course id: its active exams} (module exams in module order, then the final),
    each with `active_questions`: content, built once per content version in each
    process (courses.outline); no query but when content changed. Read-only."""
    return content_cached("exams:by-course", _active_exams_by_course)


def exam_overview_for(
    *, enrollment: Enrollment, modules: list[Module], done_ids: set[int]
) -> ExamOverview:
    """Each active exam of the enrollment's course with whether it is locked (and
    why), open as a test-out, passed, in progress, and its best score in this
    enrollment (two queries; one more once every module exam is passed,
    for the required case simulations; two more, for the learner's credentials,
    while a module exam's lessons are left).

    `modules` (courses.selectors.modules_with_lessons) and `done_ids` are what the
    course home already loaded. exam_attempt_start enforces the same locks
    (exam_access_for).
    """
    return exam_overviews_for(
        enrollments=[enrollment],
        modules_by_course={enrollment.course_id: modules},
        done_by_enrollment={enrollment.pk: done_ids},
        renewing_checked=True,
    )[enrollment.pk]


def exam_overviews_for(
    *,
    enrollments: list[Enrollment],
    modules_by_course: dict[int, list[Module]],
    done_by_enrollment: dict[int, set[int]],
    renewing_checked: bool = False,
) -> dict[int, ExamOverview]:
    """{enrollment id: ExamOverview} for several enrollments in two queries, plus
    one (cases.selectors) when an enrollment has reached its final exam
    (every module exam passed): the required case simulations lock it.
    Only with `renewing_checked` is whether the learner renews the
    course asked (two more queries per enrollment with a module exam's lessons
    left): without it no module exam is open before its lessons (no test-out
    offered), which changes no up-next step, since lessons come first."""
    if not enrollments:
        return {}
    exams_by_course = active_exams_by_course()
    summaries: dict[int, dict[int, dict]] = {}
    unread = []
    for enrollment in enrollments:
        loaded, rows = step_state(enrollment, "exams")
        if loaded:
            summaries[enrollment.pk] = _summary_of(rows)
        else:
            unread.append(enrollment.pk)
    for row in (
        Attempt.objects.filter(enrollment__in=unread)
        .values("enrollment_id", "exam_id")
        .annotate(
            tries=Count("id", filter=Q(status=Attempt.Status.SUBMITTED)),
            passes=Count("id", filter=Q(passed=True)),
            best=Max("score"),
            open_id=Max("id", filter=Q(status=Attempt.Status.OPEN)),
            test_out_fails=Count("id", filter=Q(is_test_out=True, passed=False)),
        )
        .order_by()
        if unread
        else ()
    ):
        summaries.setdefault(row["enrollment_id"], {})[row["exam_id"]] = row
    # The required cases matter only to a final whose module exams are all
    # passed: asked (one query) only for such enrollments.
    at_final = [
        enrollment
        for enrollment in enrollments
        if _final_reached(
            exams_by_course.get(enrollment.course_id, []),
            summaries.get(enrollment.pk, {}),
        )
    ]
    cases_passed = required_cases_passed_for(enrollments=at_final)
    return {
        enrollment.pk: _overview(
            enrollment,
            cases_passed=cases_passed.get(enrollment.pk, True),
            exams=exams_by_course.get(enrollment.course_id, []),
            summary=summaries.get(enrollment.pk, {}),
            modules=modules_by_course.get(enrollment.course_id, []),
            done_ids=done_by_enrollment.get(enrollment.pk, set()),
            renewing_checked=renewing_checked,
        )
        for enrollment in enrollments
    }


def attempts_state() -> Subquery:
    """The enrollment's attempts, as JSON objects separated by commas (or NULL):
    the step state courses reads with the enrollment (courses.steps, registered in
    apps.py), summarised per exam by `_summary_of` as the query above does."""
    return rows_state(
        Attempt.objects.filter(enrollment=OuterRef("pk")),
        exam="exam_id",
        id="id",
        status="status",
        passed="passed",
        score="score",
        test_out="is_test_out",
        # When an open attempt closes (attempt_closes_at): the page drawn from
        # it changes then (core.horizon).
        deadline="deadline",
        started="started_at",
    )


def _closes_at(row: dict) -> datetime:
    """attempt_closes_at of an `attempts_state` row."""
    deadline = row["deadline"]
    return attempt_closes_at(
        Attempt(
            deadline=state_moment(deadline) if deadline else None,
            started_at=state_moment(row["started"]),
        )
    )


def _summary_of(rows: str | None) -> dict[int, dict]:
    """{exam id: tries, passes, best, open_id, test_out_fails} from attempts_state."""
    summary: dict[int, dict] = {}
    for attempt in state_rows(rows):
        row = summary.setdefault(
            attempt["exam"],
            {
                "tries": 0,
                "passes": 0,
                "best": None,
                "open_id": None,
                "test_out_fails": 0,
            },
        )
        passed = attempt["passed"]
        if attempt["status"] == Attempt.Status.SUBMITTED:
            row["tries"] += 1
        if passed:
            row["passes"] += 1
        if attempt["test_out"] and passed is not None and not passed:
            row["test_out_fails"] += 1
        if attempt["status"] == Attempt.Status.OPEN:
            row["open_id"] = max(row["open_id"] or 0, attempt["id"])
            horizon.note(_closes_at(attempt) + DEADLINE_GRACE)
        if attempt["score"] is not None:
            score = Decimal(str(attempt["score"]))
            row["best"] = score if row["best"] is None else max(row["best"], score)
    return summary


def _final_reached(exams: list[Exam], summary: dict[int, dict]) -> bool:
    """The course has a final exam and every module exam is passed: only then can
    the final's lock depend on the required case simulations."""
    return any(exam.kind == Exam.Kind.FINAL for exam in exams) and all(
        summary.get(exam.pk, {}).get("passes")
        for exam in exams
        if exam.kind == Exam.Kind.MODULE
    )


def _overview(
    enrollment: Enrollment,
    *,
    exams: list[Exam],
    summary: dict[int, dict],
    modules: list[Module],
    done_ids: set[int],
    renewing_checked: bool,
    cases_passed: bool = True,
) -> ExamOverview:
    lessons_left = {
        module.pk
        for module in modules
        if any(lesson.pk not in done_ids for lesson in module.visible_lessons)
    }
    module_exams = [exam for exam in exams if exam.kind == Exam.Kind.MODULE]
    overview = ExamOverview(
        modules_with_lessons_left=lessons_left,
        module_exams_passed=all(
            summary.get(exam.pk, {}).get("passes") for exam in module_exams
        ),
        cases_passed=cases_passed,
        # Asked only when it can change something: a module exam whose lessons are
        # not all done.
        renewing=renewing_checked
        and any(exam.module_id in lessons_left for exam in module_exams)
        and learner_renewing(user=enrollment.user, course_id=enrollment.course_id),
        exams_test_out_failed={
            exam_id for exam_id, row in summary.items() if row["test_out_fails"]
        },
    )
    for exam in exams:
        row = summary.get(exam.pk, {})
        status = ExamStatus(
            exam=exam,
            lock=overview.lock_for(exam),
            passed=bool(row.get("passes")),
            best_score=row.get("best"),
            attempts=row.get("tries", 0),
            open_attempt_id=row.get("open_id"),
            test_out=overview.test_out_open(exam),
            may_miss=may_miss_sentence(
                questions=exam_draw_count(
                    exam=exam, active_questions=exam.active_questions
                ),
                pass_mark=exam.pass_mark,
            ),
        )
        if exam.kind == Exam.Kind.MODULE:
            overview.module_exams.append(status)
        else:
            overview.final = status
    return overview


def exam_access_for(*, exam: Exam, enrollment: Enrollment) -> ExamOverview:
    """The course home's overview, for the exam start (five queries, seven while a
    module exam's lessons are left): `lock_for(exam)` and `test_out_open(exam)`."""
    modules = modules_with_lessons(course=exam.course)
    done_ids = completed_lesson_ids(enrollment=enrollment)
    return exam_overview_for(enrollment=enrollment, modules=modules, done_ids=done_ids)


def exam_lock_for(*, exam: Exam, enrollment: Enrollment) -> ExamLock | None:
    """Whether `exam` is locked in `enrollment`, and why: the course home's overview,
    for one exam."""
    return exam_access_for(exam=exam, enrollment=enrollment).lock_for(exam)


def enrollment_requirements_met(*, enrollment: Enrollment) -> bool:
    """The completion rule: every published lesson done, every active module exam
    and the final exam passed, and every case simulation the course requires
    passed (cases.selectors), all in this enrollment (three or four queries).
    Registered with courses.completion in apps.py."""
    if enrollment_lessons_left(enrollment=enrollment):
        return False
    if not required_cases_passed(enrollment=enrollment):
        return False
    exams = list(
        Exam.objects.filter(course_id=enrollment.course_id, is_active=True)
        .annotate(
            passed=Exists(
                Attempt.objects.filter(
                    exam=OuterRef("pk"), enrollment=enrollment, passed=True
                )
            )
        )
        .values_list("kind", "passed")
    )
    has_final = any(kind == Exam.Kind.FINAL for kind, _ in exams)
    return has_final and all(passed for _, passed in exams)
