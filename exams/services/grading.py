"""Grading an attempt, once, from what it presented; and completing the course when
the pass meets every completion rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from courses.models import Enrollment
from courses.services import enrollment_complete

from ..models import Attempt, AttemptQuestion
from ..selectors import DEADLINE_GRACE, enrollment_requirements_met, time_is_up
from .answers import lock_attempt, set_answers, validate_answers


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    attempt: Attempt
    graded_now: bool
    late_answers_ignored: bool = False
    completed_course: bool = False
    # The attempt met every completion rule but a prerequisite certificate is no
    # longer current: the enrollment waits for it instead of completing.
    waiting_for_prerequisites: bool = False


def _answered_in_time(attempt: Attempt, item: AttemptQuestion) -> bool:
    """Whether the item's saved answer counts: given, and saved by the deadline plus
    the grace (the database guarantees every answer has its time)."""
    if not item.selected_key:
        return False
    if attempt.deadline is None:
        return True
    return (
        item.answered_at is not None
        and item.answered_at <= attempt.deadline + DEADLINE_GRACE
    )


def attempt_grade(locked: Attempt, *, answers: Mapping[int, str]) -> SubmitOutcome:
    """Grades an attempt whose row lock the caller holds; see exam_attempt_submit."""
    items = list(locked.items.all())
    validate_answers(items, answers)
    if not locked.is_open:
        return SubmitOutcome(attempt=locked, graded_now=False)
    now = timezone.now()
    late = time_is_up(attempt=locked, now=now)
    if late:
        # Graded as of the deadline, whenever the submit arrives: only answers saved
        # in time count, and the grade (and any completion) is dated at the deadline.
        now = locked.deadline
    else:
        set_answers(items, answers, now)
    for item in items:
        item.is_correct = _answered_in_time(locked, item) and (
            item.selected_key == item.correct_key
        )
    correct = sum(1 for item in items if item.is_correct)
    total = len(items)
    # Compared exactly, not through the rounded score: 21 of 25 is 84%, a pass at 84.
    passed = correct * 100 >= locked.pass_mark * total
    score = (Decimal(100 * correct) / Decimal(total or 1)).quantize(Decimal("0.01"))
    graded = Attempt.objects.filter(pk=locked.pk, status=Attempt.Status.OPEN).update(
        status=Attempt.Status.SUBMITTED,
        submitted_at=now,
        correct_count=correct,
        score=score,
        passed=passed,
    )
    if not graded:
        return SubmitOutcome(attempt=locked, graded_now=False)
    AttemptQuestion.objects.bulk_update(
        items, ["selected_key", "selected_choice", "answered_at", "is_correct"]
    )
    locked.status = Attempt.Status.SUBMITTED
    locked.submitted_at, locked.correct_count = now, correct
    locked.score, locked.passed = score, passed
    completed = False
    enrollment = locked.enrollment
    if (
        passed
        and enrollment.status == Enrollment.Status.ACTIVE
        and enrollment_requirements_met(enrollment=enrollment)
    ):
        # Prerequisites are checked again there: without them the pass stands and
        # the enrollment waits (completing once they are held).
        completed = enrollment_complete(enrollment=enrollment, at=now)
    return SubmitOutcome(
        attempt=locked,
        graded_now=True,
        late_answers_ignored=late and bool(answers),
        completed_course=completed,
        waiting_for_prerequisites=enrollment.status == Enrollment.Status.WAITING,
    )


@transaction.atomic
def exam_attempt_submit(
    *, attempt: Attempt, answers: Mapping[int, str] | None = None
) -> SubmitOutcome:
    """Saves `answers` ({position: choice key}) and grades the attempt, once, from
    what it presented.

    After the deadline (plus the grace) the posted answers are not saved and the
    attempt is graded as of its deadline: on the answers saved by the deadline plus the
    grace, with submitted_at and any completion dated at the deadline
    (late_answers_ignored). Submitting again, or concurrently,
    changes nothing and returns graded_now=False. InvalidAnswers, with nothing
    changed, for a question or choice the attempt did not present. When the attempt
    passes and every completion rule now holds, the enrollment is completed in this
    transaction and EnrollmentCompleted is published when it commits
    (completed_course), unless a prerequisite certificate is no longer current: then
    the pass stands and the enrollment waits for it (waiting_for_prerequisites).
    """
    return attempt_grade(lock_attempt(attempt), answers=answers or {})
