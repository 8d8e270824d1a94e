"""Reads of a submitted attempt: what its result page shows and offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from certificates.models import Certificate
from courses.models import Course, Enrollment
from courses.selectors import (
    course_plan_for,
    modules_with_lessons,
    prerequisites_missing,
)
from courses.steps import Step

from ..models import Attempt, AttemptQuestion, Exam
from .attempts import set_image_src
from .pacing import LessonToOpen, RetakePacing, exam_pacing_for


def _may_reveal_answers(attempt: Attempt) -> bool:
    """A passed attempt's own questions, keyed answers and explanations show on its
    result, unless that enrollment's certificate was revoked, and never while the
    learner has an attempt of the same exam open or a later enrollment in the course
    open (renewing draws from the same bank). A failed
    attempt never reveals anything, whatever else was passed: its result names
    lessons and counts only. No query for a failed attempt, one for a passed one."""
    if not attempt.passed:
        return False
    revoked = Certificate.objects.filter(
        enrollment=attempt.enrollment_id, status=Certificate.Status.REVOKED
    )
    retake_open = Attempt.objects.filter(
        exam=attempt.exam_id, user=attempt.user_id, status=Attempt.Status.OPEN
    )
    # A later enrollment in the course (renewing) will draw from the same bank.
    renewing = Enrollment.objects.filter(
        user=OuterRef("user"),
        course=OuterRef("course"),
        status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.WAITING],
    ).exclude(pk=OuterRef("pk"))
    return not (
        Enrollment.objects.filter(pk=attempt.enrollment_id)
        .filter(Exists(revoked) | Exists(retake_open) | Exists(renewing))
        .exists()
    )


@dataclass(frozen=True)
class ReviewTopic:
    """Feedback of a result: how many items taught by one lesson were missed.

    The unit is the lesson that teaches the items, not the item's own topic line:
    item topics are nearly one per item in today's banks (50 for the 59 BLS final
    items), so naming them would say which question was missed. `lesson` is None for
    items whose lesson learners cannot open (none given, or unpublished)."""

    lesson: LessonToOpen | None
    missed: int


@dataclass
class AttemptResult:
    """The result page's decisions; the template only displays them."""

    attempt: Attempt
    # Per lesson, how many items were missed (nothing about which ones).
    review_topics: list[ReviewTopic]
    # The passed attempt's own questions with keyed answers and explanations (each
    # with `image_src`); empty unless `reveal`. A failed attempt's items are never
    # loaded for its page.
    items: list[AttemptQuestion]
    # This attempt passed and its review may be shown.
    reveal: bool
    # This passed final exam completed the course.
    completed: bool = False
    # A passed final exam that did not complete the course: lessons are left to do.
    lessons_left: bool = False
    # A passed final exam whose completion waits for these prerequisite courses (a
    # prerequisite certificate was no longer current when it was passed).
    waiting_for: list[Course] = field(default_factory=list)
    # The exam can be taken again in this enrollment (it is still active).
    can_retake: bool = False
    # It can, but not yet: what opens the next attempt (exams.selectors.pacing).
    retake_wait: RetakePacing | None = None
    # After a pass, the course's up-next step (courses.steps): the next module's
    # first lesson, the final, the certificate. A failed attempt's next step is
    # always its own review, then its retake (the fields above).
    next_step: Step | None = None

    @property
    def missed_count(self) -> int:
        return self.attempt.question_count - (self.attempt.correct_count or 0)

    @property
    def retake_open(self) -> bool:
        return self.can_retake and self.retake_wait is None


def _review_topics(attempt: Attempt) -> list[ReviewTopic]:
    """Missed items counted per teaching lesson, in course order (one query)."""
    rows = (
        attempt.items.filter(is_correct=False)
        .values(
            "question__review_lesson_id",
            "question__review_lesson__is_published",
            "question__review_lesson__title",
            "question__review_lesson__slug",
            "question__review_lesson__module__slug",
            "question__review_lesson__module__order",
            "question__review_lesson__order",
        )
        .annotate(missed=Count("id"))
        .order_by(
            "question__review_lesson__module__order",
            "question__review_lesson__order",
            "question__review_lesson_id",
        )
    )
    course_slug = attempt.exam.course.slug
    topics, elsewhere = [], 0
    for row in rows:
        if not (
            row["question__review_lesson_id"]
            and row["question__review_lesson__is_published"]
        ):
            elsewhere += row["missed"]
            continue
        topics.append(
            ReviewTopic(
                lesson=LessonToOpen(
                    pk=row["question__review_lesson_id"],
                    title=row["question__review_lesson__title"],
                    url=reverse(
                        "courses:lesson",
                        args=[
                            course_slug,
                            row["question__review_lesson__module__slug"],
                            row["question__review_lesson__slug"],
                        ],
                    ),
                ),
                missed=row["missed"],
            )
        )
    if elsewhere:
        topics.append(ReviewTopic(lesson=None, missed=elsewhere))
    return topics


def attempt_result(*, attempt: Attempt, user=None) -> AttemptResult:
    """A submitted attempt's result: score, the missed items counted per teaching
    lesson and, for a passed attempt, its own questions to review and the course's
    up-next step. One query for the feedback, one more for a passed attempt's
    review and one for its reveal rule, and the up-next step's (courses.steps: four,
    five after completion); a failed one whose exam can be retaken adds the pacing
    (at most four); a passed final waiting for a prerequisite adds the
    prerequisites. `user` is the attempt's owner (the request's user)."""
    reveal = _may_reveal_answers(attempt)
    items = []
    if reveal:
        items = list(attempt.items.order_by("position"))
        set_image_src(items, course_slug=attempt.exam.course.slug)
    status = attempt.enrollment.status
    passed_final = attempt.passed and attempt.exam.kind == Exam.Kind.FINAL
    waiting_for = []
    if passed_final and status == Enrollment.Status.WAITING:
        waiting_for = prerequisites_missing(
            user=attempt.user, course=attempt.exam.course
        )
    can_retake = status == Enrollment.Status.ACTIVE
    retake_wait = None
    if can_retake and not attempt.passed:
        pacing = exam_pacing_for(exam=attempt.exam, enrollment=attempt.enrollment)
        if pacing is not None and not pacing.open_now():
            retake_wait = pacing
    next_step = None
    if attempt.passed:
        plan = course_plan_for(
            user=user or attempt.user,
            enrollment=attempt.enrollment,
            modules=modules_with_lessons(course=attempt.exam.course),
        )
        next_step = plan.next
    return AttemptResult(
        attempt=attempt,
        next_step=next_step,
        review_topics=_review_topics(attempt),
        items=items,
        reveal=reveal,
        completed=passed_final and status == Enrollment.Status.COMPLETED,
        lessons_left=passed_final and status == Enrollment.Status.ACTIVE,
        waiting_for=waiting_for,
        can_retake=can_retake,
        retake_wait=retake_wait,
    )
