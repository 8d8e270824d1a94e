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

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.dates import format_moment
from core.pacing import DEFAULT_COOLDOWN_MINUTES, cooldown_after, duration_words
from courses.models import Enrollment, Lesson, LessonView

from ..models import Case, CaseAttempt

# Findings of these kinds fail a case; their lessons must be opened before a retake.
CRITICAL_KINDS = frozenset({"missed", "error"})


@dataclass(frozen=True)
class LessonToOpen:
    pk: int
    title: str
    url: str


@dataclass(frozen=True)
class CasePacing:
    """What stands between the learner and their next attempt of a case they did
    not pass last time. `open_now()` says whether they may start now."""

    case: Case
    failed_attempt_id: int
    failed_at: datetime
    failures_in_a_row: int
    # Lessons the failed attempt's debrief linked, not opened since in this
    # enrollment.
    lessons_to_open: list[LessonToOpen] = field(default_factory=list)
    # The end of the cool-down (None: none applies).
    opens_at: datetime | None = None
    cooldown_minutes: int | None = None

    def waiting(self, now: datetime | None = None) -> bool:
        return self.opens_at is not None and (now or timezone.now()) < self.opens_at

    @property
    def cooldown_running(self) -> bool:
        return self.waiting()

    def open_now(self, now: datetime | None = None) -> bool:
        return not self.lessons_to_open and not self.waiting(now)

    @property
    def code(self) -> str:
        return "case.review_lessons_first" if self.lessons_to_open else "case.cooldown"

    def refusal(self, now: datetime | None = None) -> str:
        """The sentence a learner reads when a start is refused: what opens it."""
        parts = []
        if self.lessons_to_open:
            many = len(self.lessons_to_open) > 1
            names = ", ".join(f"“{lesson.title}”" for lesson in self.lessons_to_open)
            parts.append(
                f"Before you try “{self.case.title}” again, open the "
                f"lesson{'s' if many else ''} your debrief linked: {names}."
            )
        if self.waiting(now):
            parts.append(self.cooldown_sentence)
        return " ".join(parts)

    @property
    def cooldown_sentence(self) -> str:
        return (
            f"You have not passed “{self.case.title}” in your last "
            f"{self.failures_in_a_row} attempts, so your next attempt opens after a "
            f"break of {duration_words(self.cooldown_minutes or 0)}, at "
            f"{format_moment(self.opens_at)}: use it to review."
        )


def case_pacings_for(
    *, enrollment: Enrollment, cases: list[Case]
) -> dict[int, CasePacing]:
    """{case id: CasePacing} for each of `cases` the learner did not pass last
    time (none for a case never finished or last passed). Two queries whatever the
    number of cases or attempts, one when no case was failed last: the learner's
    finished attempts of these cases, then the lessons their last failures linked
    with when this enrollment last opened each."""
    if not cases:
        return {}
    by_id = {case.pk: case for case in cases}
    streaks: dict[int, int] = {}
    last_failed: dict[int, tuple[int, datetime, list[str]]] = {}
    for attempt_id, case_id, passed, finished_at, findings in (
        CaseAttempt.objects.filter(
            user_id=enrollment.user_id,
            case_id__in=list(by_id),
            status=CaseAttempt.Status.FINISHED,
        )
        .order_by("finished_at", "pk")
        .values_list("pk", "case_id", "passed", "finished_at", "findings")
    ):
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
