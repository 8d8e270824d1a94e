"""Paced retakes of case simulations: the exams' rule, applied to cases.

Unlimited retakes, never a lock-out, but each one has to mean something:

- **Review first.** After a failed attempt the retake opens once the learner has
  opened, in this enrollment and since that attempt ended, every lesson its debrief
  linked for a critical finding (a requirement missed or a critical error; the
  deviations, which do not fail a case, are advice only).
- **Cool-down.** From the third failure of the same case in a row (across
  enrollments; a pass resets the count), the next start waits the exams' default
  schedule (core.pacing: 15 minutes, then 1 hour, then 4 hours), counted from when
  the failed attempt ended. An abandoned attempt is a failure.

Written once here and used by `case_attempt_start` (which refuses) and by the pages
that offer a start (which say when and why), in two queries whatever the number of
cases or attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from core.pacing import (
    DEFAULT_COOLDOWN_MINUTES,
    LessonToOpen,
    RetakeWait,
    cooldown_after,
)
from core.prepared import prepared
from courses.models import Enrollment, Lesson, LessonView
from courses.services import enrollment_failure_seen

from ..models import Case, CaseAttempt

# Findings of these kinds fail a case; their lessons must be opened before a retake.
CRITICAL_KINDS = frozenset({"missed", "error"})


@dataclass(frozen=True, kw_only=True)
class CasePacing(RetakeWait):
    """What stands between the learner and their next attempt of a case they did
    not pass last time (core.pacing.RetakeWait)."""

    code_prefix = "case"

    case: Case

    @property
    def subject(self) -> str:
        return f"“{self.case.title}”"

    def lessons_sentence(self, names: str, many: bool) -> str:
        return (
            f"Before you try “{self.case.title}” again, open the "
            f"lesson{'s' if many else ''} your debrief linked: {names}."
        )


# The learner's finished attempts of a course's cases, oldest first: read on every
# course home, compiled once per process (core.prepared).
@prepared(user_id=int, course_id=int)
def _history(user_id: int, course_id: int):
    return (
        CaseAttempt.objects.filter(
            user_id=user_id,
            case__course_id=course_id,
            status=CaseAttempt.Status.FINISHED,
        )
        .order_by("finished_at", "pk")
        .values_list("pk", "case_id", "passed", "finished_at", "findings")
    )


def case_pacings_for(
    *, enrollment: Enrollment, cases: list[Case]
) -> dict[int, CasePacing]:
    """{case id: CasePacing} for each of `cases` the learner did not pass last
    time (none for a case never finished or last passed). Two queries whatever the
    number of cases or attempts, one when no case was failed last: the learner's
    finished attempts of these cases, then the lessons their last failures linked
    with when this enrollment last opened each; one update more when the
    enrollment's lesson-views mark is older than the last failure
    (courses.services.enrollment_failure_seen)."""
    if not cases:
        return {}
    by_id = {case.pk: case for case in cases}
    if any(case.course_id != enrollment.course_id for case in cases):
        raise ValueError("Pacing is read for the cases of the enrollment's course.")
    streaks: dict[int, int] = {}
    last_failed: dict[int, tuple[int, datetime, list[str]]] = {}
    for attempt_id, case_id, passed, finished_at, findings in _history(
        user_id=enrollment.user_id, course_id=enrollment.course_id
    ):
        if case_id not in by_id:
            continue
        if passed:
            streaks[case_id] = 0
            last_failed.pop(case_id, None)
            continue
        streaks[case_id] = streaks.get(case_id, 0) + 1
        slugs = []
        for finding in findings or []:
            slug = finding.get("lesson")
            if finding.get("kind") in CRITICAL_KINDS and slug and slug not in slugs:
                slugs.append(slug)
        last_failed[case_id] = (attempt_id, finished_at, slugs)
    if not last_failed:
        return {}
    # A failure the previous release recorded without moving the enrollment's mark:
    # moved now, so opening the lessons named below is written (courses.services).
    enrollment_failure_seen(
        enrollment=enrollment, at=max(at for _, at, _ in last_failed.values())
    )
    wanted = {slug for *_, slugs in last_failed.values() for slug in slugs}
    lessons: dict[tuple[int, str], tuple[LessonToOpen, datetime | None]] = {}
    if wanted:
        opened_at = LessonView.objects.filter(
            enrollment=enrollment, lesson_id=OuterRef("pk")
        ).values("last_opened_at")[:1]
        for lesson in (
            Lesson.objects.published()
            .filter(course_id=enrollment.course_id, slug__in=wanted)
            .select_related("module", "course")
            .annotate(opened_at=Subquery(opened_at))
        ):
            lessons[(lesson.course_id, lesson.slug)] = (
                LessonToOpen(
                    pk=lesson.pk, title=lesson.title, url=lesson.get_absolute_url()
                ),
                lesson.opened_at,
            )
    pacings = {}
    for case_id, (attempt_id, failed_at, slugs) in last_failed.items():
        to_open = []
        for slug in slugs:
            found = lessons.get((enrollment.course_id, slug))
            if found and (found[1] is None or found[1] < failed_at):
                to_open.append(found[0])
        minutes = cooldown_after(DEFAULT_COOLDOWN_MINUTES, streaks[case_id])
        pacings[case_id] = CasePacing(
            case=by_id[case_id],
            failed_attempt_id=attempt_id,
            failed_at=failed_at,
            failures_in_a_row=streaks[case_id],
            lessons_to_open=to_open,
            opens_at=failed_at + timedelta(minutes=minutes) if minutes else None,
            cooldown_minutes=minutes,
        )
    return pacings


def case_pacing_for(*, case: Case, enrollment: Enrollment) -> CasePacing | None:
    """The pacing of one case's next start in `enrollment`, or None when nothing
    stands in its way. See case_pacings_for."""
    return case_pacings_for(enrollment=enrollment, cases=[case]).get(case.pk)
