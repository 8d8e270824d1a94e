"""A learner's way through a course, step by step, and the one "up next" rule.

A course is studied in order: each module's lessons, then the module's quiz (one
unit), then the case simulations the course requires, then the final exam, then the
certificate. The rule "what to do next" is
written once, here (`CoursePlan.next`): the first step not done, in that order;
once the course is completed, what follows it (the certificate). Every page that
points the learner somewhere asks it: the course home, the dashboard, the lesson
page's "Mark complete and continue" and the exam result pages.

Lessons are courses' own; cases, exams and certificates belong to apps above courses
(docs/ARCHITECTURE.md). So those apps describe their steps and register the
function here in their `AppConfig.ready()`, and courses orders what they return
without importing them:

- a step source `fn(*, user, enrollments, modules_by_course, done_by_enrollment,
  detail) -> {enrollment id: [Step]}`: the steps of each open enrollment beyond its
  lessons (exams: each module's quiz, with `module_id`, and the final; cases: each
  required case simulation, placed before the final). `detail`
  asks for everything a course home shows (what opens a failed exam's retake);
  without it a source answers in a fixed number of queries for any number of
  enrollments (the dashboard).
- a completion source `fn(*, user, enrollments) -> {enrollment id: Step}`: what
  follows a completed enrollment (certificates: the certificate, issued or being
  issued).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Cast, JSONObject

from .models import Enrollment, Lesson, Module


class StepKind(StrEnum):
    LESSON = "lesson"
    QUIZ = "quiz"  # a module's exam
    CASE = "case"  # a required case simulation
    FINAL = "final"
    CERTIFICATE = "certificate"


class StepState(StrEnum):
    DONE = "done"  # lesson completed, exam passed, certificate issued
    OPEN = "open"  # may be taken now
    IN_PROGRESS = "in_progress"  # a lesson opened last, an exam attempt open
    WAITING = "waiting"  # a retake after review or a break; a certificate coming
    LOCKED = "locked"  # an exam whose lessons or module exams are left


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Step:
    """One thing to do in a course, described by the app that owns it; pages only
    display it."""

    kind: StepKind
    title: str
    state: StepState
    # A stable name for the step on the page ("lesson-12", "exam-3", "certificate").
    key: str
    # The page of the step (a lesson, an exam's page, an attempt, the certificate).
    url: str = ""
    # The words of its button, naming the step: "Start lesson: CPR basics".
    action: str = ""
    # Where the button posts instead of following `url` (starting an exam), if so.
    post_url: str = ""
    # Its badge: "Done", "Passed", "In progress", "Locked", "Being issued".
    status: str = ""
    # A sentence: why it is locked, what opens a retake, what a test-out is.
    note: str = ""
    # Short facts shown with it: "Pass mark 80%", "Best 90% in 2 attempts".
    facts: tuple[str, ...] = ()
    # Links that belong with it: lessons to open first, past attempts, verify.
    links: tuple[Link, ...] = ()
    module_id: int | None = None
    minutes: int | None = None
    # Where it sits, for a page that shows it alone: "Adult CPR · lesson 2 of 3".
    where: str = ""
    # Counted in the course's progress (lessons and exams; not the certificate).
    counts: bool = True
    # The page showing it refreshes itself until it changes (a certificate being
    # issued by a worker): static/js/refresh.js.
    refresh: bool = False

    @property
    def done(self) -> bool:
        return self.state == StepState.DONE


@dataclass
class Unit:
    """A module as the learner meets it: its lessons and its quiz, in order."""

    module: Module
    steps: list[Step]

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def status(self) -> str:
        if self.done:
            return "Done"
        if any(step.done or step.state == StepState.IN_PROGRESS for step in self.steps):
            return "In progress"
        return ""


@dataclass
class CoursePlan:
    """An enrollment's steps in course order, its progress and what comes next."""

    enrollment: Enrollment
    units: list[Unit]
    # Exams of the course not tied to a listed module, the required case
    # simulations, then the final exam.
    closing: list[Step] = field(default_factory=list)
    # What follows completion (the certificate); None until the course is completed.
    after: Step | None = None

    @functools.cached_property
    def steps(self) -> list[Step]:
        """Every counted step in order: lessons and quiz of each module, the final
        (worked out once: a plan is not changed after it is built)."""
        return [step for unit in self.units for step in unit.steps] + self.closing

    @functools.cached_property
    def _tally(self) -> dict[str, int]:
        """The counts the progress properties read, in one pass over the steps."""
        names = ("total", "done", "lessons_total", "lessons_done")
        tally = dict.fromkeys((*names, "cases_total", "cases_done"), 0)
        for step in self.steps:
            done = step.done
            if step.counts:
                tally["total"] += 1
                tally["done"] += done
            if step.kind == StepKind.LESSON:
                tally["lessons_total"] += 1
                tally["lessons_done"] += done
            elif step.kind == StepKind.CASE:
                tally["cases_total"] += 1
                tally["cases_done"] += done
        return tally

    @property
    def total(self) -> int:
        return self._tally["total"]

    @property
    def done(self) -> int:
        return self._tally["done"]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def lessons_total(self) -> int:
        return self._tally["lessons_total"]

    @property
    def lessons_done(self) -> int:
        return self._tally["lessons_done"]

    @property
    def cases_total(self) -> int:
        return self._tally["cases_total"]

    @property
    def cases_done(self) -> int:
        return self._tally["cases_done"]

    @property
    def exams_total(self) -> int:
        return self.total - self.lessons_total - self.cases_total

    @property
    def exams_done(self) -> int:
        return self.done - self.lessons_done - self.cases_done

    @property
    def progress_label(self) -> str:
        """ "3 of 6 steps done (2 of 3 lessons, 1 of 3 exams)", and "0 of 2 case
        simulations" when the course requires cases."""

        def count(done: int, total: int, noun: str) -> str:
            return f"{done} of {total} {noun}{'' if total == 1 else 's'}"

        parts = [count(self.lessons_done, self.lessons_total, "lesson")]
        if self.exams_total:
            parts.append(count(self.exams_done, self.exams_total, "exam"))
        if self.cases_total:
            parts.append(count(self.cases_done, self.cases_total, "case simulation"))
        return f"{count(self.done, self.total, 'step')} done ({', '.join(parts)})"

    @property
    def next(self) -> Step | None:
        """The up-next rule: the first step not done, in course order; once the
        course is completed, what follows it (the certificate). None while the
        enrollment waits for a prerequisite (nothing to do but get it)."""
        status = self.enrollment.status
        if status == Enrollment.Status.COMPLETED:
            return self.after
        if status != Enrollment.Status.ACTIVE:
            return None
        return next((step for step in self.steps if not step.done), None)

    def following(self, key: str) -> Step | None:
        """Where "continue" goes from the step `key` (a lesson just completed): the
        next step after it that is not done; the up-next step instead when that
        one is locked (a quiz whose module still has a lesson left) or when
        nothing after it is left."""
        steps = self.steps
        index = next((i for i, step in enumerate(steps) if step.key == key), None)
        if index is not None:
            for step in steps[index + 1 :]:
                if step.done:
                    continue
                if step.state != StepState.LOCKED:
                    return step
                break
        return self.next

    def step(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)


_step_sources: list = []
_completion_sources: list = []
_state_sources: dict[str, Callable[[], Any]] = {}
# The states only a completed enrollment can hold (what follows it): not read with
# open enrollments alone.
_completed_states: set[str] = set()


def step_source_register(fn) -> None:
    """Adds a source of the steps beyond lessons; adding it again is a no-op."""
    if fn not in _step_sources:
        _step_sources.append(fn)


def completion_source_register(fn) -> None:
    """Adds a source of what follows a completed enrollment; again is a no-op."""
    if fn not in _completion_sources:
        _completion_sources.append(fn)


def step_state_register(
    name: str, fn: Callable[[], Any], *, completed_only: bool = False
) -> None:
    """Lets a step source read the learner's records with the enrollment itself
    (one query for the learner's whole state on a page, issue 19): `fn()` returns
    an expression over an Enrollment row (`OuterRef("pk")` is its id) that
    `with_step_state` annotates; the source reads the value back with
    `step_state(enrollment, name)` and queries only when it was not loaded.
    `completed_only`: a state only a completed enrollment holds (its certificate),
    not read where only open enrollments are."""
    _state_sources[name] = fn
    if completed_only:
        _completed_states.add(name)
    else:
        _completed_states.discard(name)


def with_step_state(
    queryset: QuerySet[Enrollment], *, completed: bool = True
) -> QuerySet[Enrollment]:
    """`queryset` with every registered step state annotated; without `completed`
    (a query of open enrollments only) not those only completed ones hold."""
    return queryset.annotate(
        **{
            f"step_state_{name}": fn()
            for name, fn in _state_sources.items()
            if completed or name not in _completed_states
        }
    )


def step_state(enrollment: Enrollment, name: str) -> tuple[bool, Any]:
    """(loaded, value) of the step state `name` of an enrollment read through
    `with_step_state`; (False, None) for one read otherwise."""
    attribute = f"step_state_{name}"
    if not hasattr(enrollment, attribute):
        return False, None
    return True, getattr(enrollment, attribute)


def rows_state(queryset: QuerySet, **fields: str) -> Subquery:
    """A step state made of a learner's rows: those of `queryset` (already filtered
    on `enrollment=OuterRef("pk")`), each as a JSON object of `fields` ({key: field
    name}), all in one text value (or NULL) that `state_rows` reads back. Runs on
    SQLite and PostgreSQL alike."""
    return Subquery(
        queryset.order_by()
        .values("enrollment")
        .annotate(rows=StringAgg(Cast(JSONObject(**fields), TextField()), Value(",")))
        .values("rows")
    )


def state_rows(value: str | None) -> list[dict]:
    """The rows of a `rows_state` value, as dicts."""
    return json.loads(f"[{value or ''}]")


def state_moment(value: str) -> datetime:
    """A date-time field of a `rows_state` row (PostgreSQL writes it with its
    offset, SQLite as the UTC it stores)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def lesson_key(lesson: Lesson | int) -> str:
    return f"lesson-{getattr(lesson, 'pk', lesson)}"


def _lesson_step(
    lesson: Lesson, *, done: bool, current: bool, review: bool, where: str
) -> Step:
    if done:
        state, status = StepState.DONE, "Done"
        action = f"Reread lesson: {lesson.title}"
    elif current:
        state, status = StepState.IN_PROGRESS, "Opened"
        action = f"Continue lesson: {lesson.title}"
    else:
        state, status = StepState.OPEN, "Not started"
        action = f"Start lesson: {lesson.title}"
    if review:
        action = f"Reread lesson: {lesson.title}"
    return Step(
        kind=StepKind.LESSON,
        title=lesson.title,
        state=state,
        key=lesson_key(lesson),
        url=lesson.get_absolute_url(),
        action=action,
        status=status,
        module_id=lesson.module_id,
        minutes=lesson.minutes,
        where=where,
    )


def course_plans(
    *,
    user,
    enrollments: list[Enrollment],
    modules_by_course: dict[int, list[Module]],
    done_by_enrollment: dict[int, set[int]],
    detail: bool = False,
) -> dict[int, CoursePlan]:
    """{enrollment id: CoursePlan} for the user's `enrollments`, from what the page
    loaded (courses.selectors.modules_with_lessons_for, completed lesson ids) and
    what the registered sources add (a fixed number of queries each, whatever the
    number of enrollments unless `detail`)."""
    extra: dict[int, list[Step]] = {}
    for source in _step_sources:
        answer = source(
            user=user,
            enrollments=enrollments,
            modules_by_course=modules_by_course,
            done_by_enrollment=done_by_enrollment,
            detail=detail,
        )
        for enrollment_id, steps in answer.items():
            extra.setdefault(enrollment_id, []).extend(steps)
    completed = [e for e in enrollments if e.status == Enrollment.Status.COMPLETED]
    after: dict[int, Step] = {}
    if completed:
        for source in _completion_sources:
            after.update(source(user=user, enrollments=completed))
    plans = {}
    for enrollment in enrollments:
        done_ids = done_by_enrollment.get(enrollment.pk, set())
        others = extra.get(enrollment.pk, [])
        review = enrollment.status == Enrollment.Status.COMPLETED
        units = []
        placed: set[str] = set()
        for module in modules_by_course.get(enrollment.course_id, []):
            count = len(module.visible_lessons)
            steps = [
                _lesson_step(
                    lesson,
                    done=lesson.pk in done_ids,
                    current=lesson.pk == enrollment.last_lesson_id,
                    review=review,
                    where=f"{module.title} · lesson {number} of {count}",
                )
                for number, lesson in enumerate(module.visible_lessons, start=1)
            ]
            for step in others:
                if step.kind == StepKind.QUIZ and step.module_id == module.pk:
                    steps.append(replace(step, where=f"{module.title} · module quiz"))
                    placed.add(step.key)
            units.append(Unit(module=module, steps=steps))
        closing = [
            replace(step, where="Module quiz")
            for step in others
            if step.key not in placed and step.kind == StepKind.QUIZ
        ]
        closing += [
            replace(step, where="Case simulation")
            for step in others
            if step.kind == StepKind.CASE
        ]
        closing += [
            replace(step, where="Final exam")
            for step in others
            if step.kind == StepKind.FINAL
        ]
        plans[enrollment.pk] = CoursePlan(
            enrollment=enrollment,
            units=units,
            closing=closing,
            after=after.get(enrollment.pk),
        )
    return plans


def course_plan(
    *,
    user,
    enrollment: Enrollment,
    modules: list[Module],
    done_ids: set[int],
    detail: bool = False,
) -> CoursePlan:
    """One enrollment's plan (see course_plans); `modules` is
    courses.selectors.modules_with_lessons of its course."""
    return course_plans(
        user=user,
        enrollments=[enrollment],
        modules_by_course={enrollment.course_id: modules},
        done_by_enrollment={enrollment.pk: done_ids},
        detail=detail,
    )[enrollment.pk]


def lesson_ends_module(
    *, modules: list[Module], module_slug: str, lesson_slug: str
) -> bool:
    """Whether the lesson is its module's last: "continue" from it leads past the
    module's lessons (to its quiz), which only the whole plan knows."""
    for module in modules:
        if module.slug == module_slug and module.visible_lessons:
            return module.visible_lessons[-1].slug == lesson_slug
    return False


def lesson_following(
    *, modules: list[Module], lesson: Lesson, done_ids: set[int], last_lesson_id
) -> Step | None:
    """Where "continue" goes from `lesson` once it is done (CoursePlan.following),
    when the answer is a later lesson of its module not done yet: lessons are never
    locked and come before their module's quiz, so that lesson is what the plan
    would give, without asking the step sources (the lesson page, issue 19). None
    when no such lesson is left: then only the whole plan can say."""
    for module in modules:
        if module.pk != lesson.module_id:
            continue
        lessons = module.visible_lessons
        after = False
        for number, item in enumerate(lessons, start=1):
            if after and item.pk not in done_ids:
                return _lesson_step(
                    item,
                    done=False,
                    current=item.pk == last_lesson_id,
                    review=False,
                    where=f"{module.title} · lesson {number} of {len(lessons)}",
                )
            after = after or item.pk == lesson.pk
    return None


def assuming_done(done_ids: set[int], lesson: Lesson) -> set[int]:
    """`done_ids` with `lesson` among them: where "Mark complete and continue" will
    lead is the plan as it will be once the lesson is done."""
    return {*done_ids, lesson.pk}


def continue_from(
    *,
    user,
    enrollment: Enrollment,
    modules: list[Module],
    lesson: Lesson,
    done_ids: set[int],
) -> Step | None:
    """Where "Mark complete and continue" on `lesson` leads: the up-next rule as the
    plan will be once the lesson is done (CoursePlan.following). A later lesson of
    its module when one is left (lesson_following: no step source asked); else the
    whole plan decides (a module's last lesson leads to its quiz)."""
    following = lesson_following(
        modules=modules,
        lesson=lesson,
        done_ids=done_ids,
        last_lesson_id=enrollment.last_lesson_id,
    )
    if following is not None:
        return following
    plan = course_plan(
        user=user,
        enrollment=enrollment,
        modules=modules,
        done_ids=assuming_done(done_ids, lesson),
    )
    return plan.following(lesson_key(lesson))


__all__ = [
    "CoursePlan",
    "Link",
    "Step",
    "StepKind",
    "StepState",
    "Unit",
    "assuming_done",
    "completion_source_register",
    "continue_from",
    "course_plan",
    "course_plans",
    "lesson_ends_module",
    "lesson_following",
    "lesson_key",
    "rows_state",
    "state_rows",
    "step_source_register",
    "step_state",
    "step_state_register",
    "with_step_state",
]
