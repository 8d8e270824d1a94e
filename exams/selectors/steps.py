"""The exams as steps of a course (courses.steps): each module's quiz, placed after
its lessons, and the final exam. Registered with courses.steps in apps.py; the
course home, the dashboard, the lesson page and the result pages read them
through courses' one "up next" rule.

Each step links to the exam's own page (`exams:detail`: what it asks, whether it is
open and, for a failed one, what opens the retake) or to the attempt in progress;
on the course home (`detail`) a step open now also posts straight to the start.
"""

from __future__ import annotations

from django.template.defaultfilters import floatformat

from core.urls import reverse_cached
from courses.models import Enrollment, Module
from courses.steps import Link, Step, StepKind, StepState

from ..models import Exam
from .pacing import RetakePacing, exam_pacing_for, exam_pacings_for
from .progress import ExamStatus, exam_access_for, exam_overviews_for


def exam_step(
    status: ExamStatus,
    *,
    enrollment: Enrollment,
    retake_wait: RetakePacing | None = None,
) -> Step:
    """One exam as a step of `enrollment`, from its status (the unlock rule's
    answer, exams.selectors.progress) and, for a failed exam whose retake is not
    open yet, what opens it."""
    exam = status.exam
    final = exam.kind == Exam.Kind.FINAL
    kind = StepKind.FINAL if final else StepKind.QUIZ
    page = reverse_cached("exams:detail", exam.pk)
    start = reverse_cached("exams:start", exam.pk)
    facts = [f"Pass mark {exam.pass_mark}%"]
    if exam.time_limit_minutes:
        facts.append(f"{exam.time_limit_minutes} minutes")
    if status.may_miss:
        facts.append(status.may_miss)
    if status.attempts:
        facts.append(
            f"Best {floatformat(status.best_score, -2)}% in {status.attempts} "
            f"attempt{'s' if status.attempts != 1 else ''}"
        )
    links: list[Link] = []
    if status.attempts:
        history = reverse_cached("exams:history", exam.pk)
        links.append(Link(f"Your attempts at {exam.title}", history))
    common = {
        "kind": kind,
        "title": exam.title,
        "key": f"exam-{exam.pk}",
        "module_id": None if final else exam.module_id,
        "facts": tuple(facts),
    }
    if status.open_attempt_id:
        return Step(
            state=StepState.IN_PROGRESS,
            url=reverse_cached("exams:attempt", status.open_attempt_id),
            action=f"Resume {exam.title}",
            status="In progress",
            links=tuple(links),
            **common,
        )
    if status.passed and not (final and enrollment.status == Enrollment.Status.ACTIVE):
        retake = enrollment.status == Enrollment.Status.ACTIVE and not status.locked
        return Step(
            state=StepState.DONE,
            url=page,
            action=f"Take {exam.title} again" if retake else "",
            post_url=start if retake else "",
            status="Passed",
            note=status.locked_reason,
            links=tuple(links),
            **common,
        )
    if status.locked:
        return Step(
            state=StepState.LOCKED,
            url=page,
            status="Locked",
            note=status.locked_reason,
            links=tuple(links),
            **common,
        )
    if retake_wait is not None:
        to_open = tuple(
            Link(lesson.title, lesson.url) for lesson in retake_wait.lessons_to_open
        )
        notes = []
        if to_open:
            notes.append(
                f"Your next attempt at {exam.title} opens once you have opened the "
                f"lesson{'s' if len(to_open) > 1 else ''} that teach"
                f"{'' if len(to_open) > 1 else 'es'} what you missed."
            )
        if retake_wait.cooldown_running:
            notes.append(retake_wait.cooldown_sentence)
        return Step(
            state=StepState.WAITING,
            url=to_open[0].url if to_open else page,
            action=f"Review: {to_open[0].text}" if to_open else "",
            status="Not passed yet",
            note=" ".join(notes),
            links=to_open + tuple(links),
            **common,
        )
    if status.passed:  # a final passed before every lesson was done
        return Step(
            state=StepState.OPEN,
            url=page,
            action=f"Take {exam.title} again",
            post_url=start,
            status="Passed",
            note="You passed it before finishing every lesson: pass it once more "
            "to complete the course.",
            links=tuple(links),
            **common,
        )
    if status.test_out:
        action, note = (
            f"Test out: take {exam.title} now",
            "You are renewing this certification, so you may test out: take this "
            "exam before studying the module's lessons. Pass it and they count as "
            "done; if you do not pass, study them first and take it again after.",
        )
    elif status.attempts:
        action, note = f"Retake {exam.title}", ""
    else:
        action, note = f"Start {exam.title}", ""
    return Step(
        state=StepState.OPEN,
        url=page,
        action=action,
        post_url=start,
        status="Not passed yet" if status.attempts else "Open",
        note=note,
        links=tuple(links),
        **common,
    )


def exam_steps_for(
    *,
    user,
    enrollments: list[Enrollment],
    modules_by_course: dict[int, list[Module]],
    done_by_enrollment: dict[int, set[int]],
    detail: bool = False,
) -> dict[int, list[Step]]:
    """The exams of each enrollment as steps (courses.steps' step source).
    Two queries for any number of enrollments; with `detail` (one enrollment: the
    course home) the renewing learner's test-out (two more while a module exam's
    lessons are left) and what opens failed exams' retakes (at most two more)."""
    # Only the courses whose lessons the page loaded (the dashboard loads none for
    # a course it shows only as completed).
    enrollments = [e for e in enrollments if e.course_id in modules_by_course]
    overviews = exam_overviews_for(
        enrollments=enrollments,
        modules_by_course=modules_by_course,
        done_by_enrollment=done_by_enrollment,
        renewing_checked=detail,
    )
    answer: dict[int, list[Step]] = {}
    for enrollment in enrollments:
        overview = overviews[enrollment.pk]
        statuses = [*overview.module_exams]
        if overview.final:
            statuses.append(overview.final)
        waits: dict[int, RetakePacing] = {}
        if detail:
            retried = [s for s in statuses if not s.open_attempt_id and not s.locked]
            pacings = exam_pacings_for(
                enrollment=enrollment, exams=[status.exam for status in retried]
            )
            waits = {
                exam_id: pacing
                for exam_id, pacing in pacings.items()
                if not pacing.open_now()
            }
        answer[enrollment.pk] = [
            exam_step(
                status, enrollment=enrollment, retake_wait=waits.get(status.exam.pk)
            )
            for status in statuses
        ]
    return answer


def exam_step_for(*, exam: Exam, enrollment: Enrollment) -> Step | None:
    """One exam as a step, with everything its own page shows: the unlock rule,
    the test-out, and what opens a failed exam's retake (exam_access_for, plus
    the pacing when it was failed last). None for an exam the course does not
    list (inactive)."""
    overview = exam_access_for(exam=exam, enrollment=enrollment)
    statuses = [*overview.module_exams, *([overview.final] if overview.final else [])]
    status = next((s for s in statuses if s.exam.pk == exam.pk), None)
    if status is None:
        return None
    wait = None
    if not status.open_attempt_id and not status.locked:
        pacing = exam_pacing_for(exam=status.exam, enrollment=enrollment)
        if pacing is not None and not pacing.open_now():
            wait = pacing
    return exam_step(status, enrollment=enrollment, retake_wait=wait)
