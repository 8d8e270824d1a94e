"""Paced retakes: when a learner may start an exam again after failing it, and why.

Unlimited retakes, never a lock-out, but each one has to mean something:

- **Review first.** After a failed attempt the retake opens once the learner has
  opened, in this enrollment and since that attempt, every lesson named for an item
  they missed (the server's record of the lesson page's GET, courses.LessonView).
- **Cool-down.** From the third failure of the same exam in a row, the next start
  waits: the exam's `cooldown_minutes` ([15, 60, 240] by default: 15 minutes after
  the 3rd failure, 1 hour after the 4th, 4 hours after the 5th and every later one),
  counted from the failed attempt's submission. A pass resets the count; a staff
  member can lift the current wait (exams.services.pacing.exam_cooldown_clear).

Written once here and used by `exam_attempt_start` (which refuses) and by the pages
that offer a start (which say when and why), in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse

from core.pacing import LessonToOpen, RetakeWait, cooldown_after
from core.prepared import prepared
from courses.models import Enrollment, LessonView
from courses.services import enrollment_failure_seen

from ..models import Attempt, AttemptQuestion, CooldownClearance, Exam


@dataclass(frozen=True, kw_only=True)
class RetakePacing(RetakeWait):
    """What stands between the learner and their next attempt of an exam they
    failed last time (core.pacing.RetakeWait): lessons named for a missed item,
    the cool-down, unless staff lifted it."""

    code_prefix = "exam"

    exam: Exam
    cooldown_cleared: bool = False

    @property
    def subject(self) -> str:
        return self.exam.title

    def lessons_sentence(self, names: str, many: bool) -> str:
        return (
            f"Before you try {self.exam.title} again, open the lesson"
            f"{'s' if many else ''} that teach{'' if many else 'es'} what you "
            f"missed: {names}."
        )


def cooldown_minutes_after(exam: Exam, failures_in_a_row: int) -> int | None:
    """The cool-down after this many failures in a row, or None below the third."""
    return cooldown_after(exam.cooldown_minutes or [], failures_in_a_row)


# The learner's submitted attempts of a course's exams, oldest first, with any staff
# clearance: read on every course home, compiled once per process (core.prepared).
@prepared(user_id=int, course_id=int)
def _history(user_id: int, course_id: int):
    return (
        Attempt.objects.filter(
            user_id=user_id,
            exam__course_id=course_id,
            status=Attempt.Status.SUBMITTED,
        )
        .annotate(
            cleared=Exists(CooldownClearance.objects.filter(attempt=OuterRef("pk")))
        )
        .order_by("started_at", "pk")
        .values_list("pk", "exam_id", "passed", "submitted_at", "cleared")
    )


def exam_pacings_for(
    *, enrollment: Enrollment, exams: list[Exam]
) -> dict[int, RetakePacing]:
    """{exam id: RetakePacing} for each of `exams` the learner failed last time
    (none for an exam never taken or last passed). Two queries whatever the number
    of exams, attempts or questions, one when no exam was failed last: the learner's
    submitted attempts (with any staff clearance), then the lessons named by the last
    failures' missed items with when this enrollment last opened each; one update
    more when the enrollment's lesson-views mark is older than the last failure
    (courses.services.enrollment_failure_seen)."""
    if not exams:
        return {}
    by_id = {exam.pk: exam for exam in exams}
    if any(exam.course_id != enrollment.course_id for exam in exams):
        raise ValueError("Pacing is read for the exams of the enrollment's course.")
    streaks: dict[int, int] = {}
    last_failed: dict[int, tuple[int, datetime, bool]] = {}
    for attempt_id, exam_id, passed, submitted_at, cleared in _history(
        user_id=enrollment.user_id, course_id=enrollment.course_id
    ):
        if exam_id not in by_id:
            continue
        if passed:
            streaks[exam_id] = 0
            last_failed.pop(exam_id, None)
        else:
            streaks[exam_id] = streaks.get(exam_id, 0) + 1
            last_failed[exam_id] = (attempt_id, submitted_at, cleared)
    if not last_failed:
        return {}
    # A failure the previous release graded without moving the enrollment's mark:
    # moved now, so opening the lessons named below is written (courses.services).
    enrollment_failure_seen(
        enrollment=enrollment, at=max(at for _, at, _ in last_failed.values())
    )
    opened_at = LessonView.objects.filter(
        enrollment=enrollment, lesson_id=OuterRef("question__review_lesson_id")
    ).values("last_opened_at")[:1]
    named: dict[int, dict[int, tuple[LessonToOpen, datetime | None]]] = {}
    for row in (
        AttemptQuestion.objects.filter(
            attempt_id__in=[attempt_id for attempt_id, *_ in last_failed.values()],
            is_correct=False,
            question__review_lesson__is_published=True,
        )
        .annotate(opened_at=Subquery(opened_at))
        .order_by("position")
        .values(
            "attempt_id",
            "opened_at",
            "question__review_lesson_id",
            "question__review_lesson__title",
            "question__review_lesson__slug",
            "question__review_lesson__module__slug",
            "question__review_lesson__course__slug",
        )
    ):
        lesson = LessonToOpen(
            pk=row["question__review_lesson_id"],
            title=row["question__review_lesson__title"],
            url=reverse(
                "courses:lesson",
                args=[
                    row["question__review_lesson__course__slug"],
                    row["question__review_lesson__module__slug"],
                    row["question__review_lesson__slug"],
                ],
            ),
        )
        named.setdefault(row["attempt_id"], {})[lesson.pk] = (lesson, row["opened_at"])
    pacings = {}
    for exam_id, (attempt_id, failed_at, cleared) in last_failed.items():
        to_open = [
            lesson
            for lesson, opened in named.get(attempt_id, {}).values()
            if opened is None or opened < failed_at
        ]
        minutes = cooldown_minutes_after(by_id[exam_id], streaks[exam_id])
        pacings[exam_id] = RetakePacing(
            exam=by_id[exam_id],
            failed_attempt_id=attempt_id,
            failed_at=failed_at,
            failures_in_a_row=streaks[exam_id],
            lessons_to_open=to_open,
            opens_at=failed_at + timedelta(minutes=minutes)
            if minutes and not cleared
            else None,
            cooldown_minutes=minutes,
            cooldown_cleared=bool(minutes and cleared),
        )
    return pacings


def exam_pacing_for(*, exam: Exam, enrollment: Enrollment) -> RetakePacing | None:
    """The pacing of one exam's next start in `enrollment`, or None when nothing
    stands in its way (never failed, or passed last time). See exam_pacings_for."""
    return exam_pacings_for(enrollment=enrollment, exams=[exam]).get(exam.pk)
