"""Grading an attempt, once, from what it presented; completing the course when the
pass meets every completion rule; and closing attempts whose time is up.

Time is checked when it counts: an open attempt whose time is up (its deadline, or
24 hours after an untimed quiz started, plus the grace: exams.selectors.time_is_up)
is graded as of that moment, on the answers saved by then, by whichever comes first:
the learner's late submit (`exam_attempt_submit`), the learner coming back to an
exam page or the course home (`exam_attempts_close_expired`, called by those views),
starting the exam again (`exam_attempt_start`), or the periodic sweeper
(`exam_attempts_sweep_expired`, the task `exams.tasks.close_expired_attempts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.dates import format_moment
from courses.models import Enrollment
from courses.services import (
    enrollment_complete,
    enrollment_failure_record,
    lessons_complete_by_test_out,
)

from ..models import Attempt, AttemptQuestion
from ..selectors import (
    DEADLINE_GRACE,
    attempt_closes_at,
    attempts_expired,
    enrollment_requirements_met,
    learner_attempts_expired,
    time_is_up,
)
from .answers import lock_attempt, set_answers, validate_answers
from .tallies import exam_tallies_add_graded

# Expired attempts the sweeper grades per batch: each in its own short transaction,
# so a batch holds no lock for long and one bad attempt does not stop the others.
SWEEP_BATCH = 200


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    attempt: Attempt
    graded_now: bool
    late_answers_ignored: bool = False
    completed_course: bool = False
    # The attempt met every completion rule but a prerequisite certificate is no
    # longer current: the enrollment waits for it instead of completing.
    waiting_for_prerequisites: bool = False
    # A test-out passed: how many of the module's lessons it marked done.
    lessons_tested_out: int = 0
    # Graded as of its closing moment (time was up), not as of the request.
    graded_as_of_deadline: bool = False


def _answered_in_time(attempt: Attempt, item: AttemptQuestion) -> bool:
    """Whether the item's saved answer counts: given, and saved by the attempt's
    closing moment plus the grace (the database guarantees every answer has its
    time)."""
    if not item.selected_key:
        return False
    return (
        item.answered_at is not None
        and item.answered_at <= attempt_closes_at(attempt) + DEADLINE_GRACE
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
        # Graded as of the closing moment, whenever (and by whatever) it is graded:
        # only answers saved in time count, and the grade (and any completion) is
        # dated then, never later.
        now = attempt_closes_at(locked)
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
    enrollment = locked.enrollment
    if not passed:  # its retake asks for the lessons it names to be opened again
        enrollment_failure_record(enrollment_id=enrollment.pk, at=now)
    tested_out = []
    if passed and locked.is_test_out and enrollment.status == Enrollment.Status.ACTIVE:
        # The renewing learner showed they know the module: its lessons count as
        # done, dated with the pass (a fail marks nothing: they study first).
        tested_out = lessons_complete_by_test_out(
            enrollment=enrollment,
            module=locked.exam.module,
            at=now,
            evidence={"attempt": locked.pk, "exam": locked.exam.title},
        )
    completed = False
    if (
        passed
        and enrollment.status == Enrollment.Status.ACTIVE
        and enrollment_requirements_met(enrollment=enrollment)
    ):
        # Prerequisites are checked again there: without them the pass stands and
        # the enrollment waits (completing once they are held).
        completed = enrollment_complete(enrollment=enrollment, at=now)
    # Last: the exam's counter row is locked from here until the grading commits.
    exam_tallies_add_graded(attempt=locked, items=items)
    return SubmitOutcome(
        attempt=locked,
        graded_now=True,
        late_answers_ignored=late and bool(answers),
        completed_course=completed,
        waiting_for_prerequisites=enrollment.status == Enrollment.Status.WAITING,
        lessons_tested_out=len(tested_out),
        graded_as_of_deadline=late,
    )


@transaction.atomic
def exam_attempt_submit(
    *, attempt: Attempt, answers: Mapping[int, str] | None = None
) -> SubmitOutcome:
    """Saves `answers` ({position: choice key}) and grades the attempt, once, from
    what it presented.

    After the attempt's time is up (its deadline, or 24 hours after an untimed quiz
    started, plus the grace) the posted answers are not saved and the attempt is
    graded as of that moment: on the answers saved by then, with submitted_at and any
    completion dated then (late_answers_ignored). Submitting again, or concurrently,
    changes nothing and returns graded_now=False. InvalidAnswers, with nothing
    changed, for a question or choice the attempt did not present. When the attempt
    passes and every completion rule now holds, the enrollment is completed in this
    transaction and EnrollmentCompleted is published when it commits
    (completed_course), unless a prerequisite certificate is no longer current: then
    the pass stands and the enrollment waits for it (waiting_for_prerequisites). A
    passed test-out marks its module's lessons done first (lessons_tested_out).
    """
    return attempt_grade(lock_attempt(attempt), answers=answers or {})


def exam_attempts_close_expired(
    *, user, exam_id: int | None = None, course_id: int | None = None
) -> list[SubmitOutcome]:
    """Grades each of the learner's open attempts of one exam, or of one course's
    exams (exactly one of the two is given), whose time is up, as of its closing
    moment; returns the outcomes of those graded now. Called by the pages a
    returning learner opens (exam pages, the course home), so an attempt never shows
    "in progress" once its time is up. One query when there is nothing to close.
    Each attempt is graded in its own transaction under its row lock, so the
    sweeper or a submit racing with it grade it once."""
    outcomes = []
    for attempt in learner_attempts_expired(
        user_id=user.pk, exam_id=exam_id, course_id=course_id
    ):
        with transaction.atomic():
            outcome = attempt_grade(lock_attempt(attempt), answers={})
        if outcome.graded_now:
            outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True, slots=True)
class ExpiredSweep:
    closed: int  # attempts graded by this run
    more: bool  # a full batch was graded: more may be waiting


def _sweep_one(pk: int) -> bool:
    """Grades one expired attempt unless another process holds it (a submit, a
    returning learner, another sweeper): that one grades it, or the next run does."""
    with transaction.atomic():
        locked = (
            Attempt.objects.select_for_update(skip_locked=True)
            .select_related("enrollment")
            .filter(pk=pk, status=Attempt.Status.OPEN)
            .first()
        )
        if locked is None or not time_is_up(attempt=locked):
            return False
        return attempt_grade(locked, answers={}).graded_now


def exam_attempts_sweep_expired(
    *,
    batch_size: int | None = None,
    max_batches: int | None = 1,
) -> ExpiredSweep:
    """Grades open attempts whose time is up, as of their closing moment (answers
    saved by then count; any completion is dated then), in batches of `batch_size`
    (default SWEEP_BATCH), at most `max_batches` batches (None: until none is left);
    returns how many it graded and whether more may be waiting.

    Safe to run twice or concurrently: each attempt is locked with SKIP LOCKED in its
    own transaction and graded only while still open, so one held by another sweeper
    or by a learner's submit is left to it, and none is graded twice.
    """
    batch_size = batch_size or SWEEP_BATCH
    closed, batches, more = 0, 0, False
    while max_batches is None or batches < max_batches:
        batches += 1
        ids = list(
            attempts_expired().order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        graded = sum(_sweep_one(pk) for pk in ids)
        closed += graded
        # A full batch may hide more; a batch of attempts all held elsewhere is
        # left to their holders rather than retried at once.
        more = len(ids) == batch_size and graded > 0
        if not more:
            break
    return ExpiredSweep(closed=closed, more=more)


def closed_attempt_notice(outcome: SubmitOutcome) -> str:
    """What the learner is told about an attempt graded because its time was up."""
    attempt = outcome.attempt
    sentence = (
        f"Time was up on your attempt at {attempt.exam.title}, so it was graded as "
        f"of {format_moment(attempt.submitted_at)} on the answers saved by "
        f"then: {'passed' if attempt.passed else 'not passed'}."
    )
    if outcome.completed_course:
        sentence += f" You have completed {attempt.exam.course.title}."
    elif outcome.waiting_for_prerequisites:
        sentence += (
            f" {attempt.exam.course.title} completes once you hold a current "
            "certificate in each of its prerequisite courses."
        )
    return sentence


def course_home_attempts_close(*, user, course) -> list[str]:
    """The course home's refresh (courses.pages, registered in apps.py): grades the
    learner's attempts of the course whose time is up; returns what to tell them."""
    outcomes = exam_attempts_close_expired(user=user, course_id=course.pk)
    return [closed_attempt_notice(outcome) for outcome in outcomes]
