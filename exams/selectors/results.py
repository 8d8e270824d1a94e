"""Reads of a submitted attempt: what its result page shows and offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists

from certificates.models import Certificate
from courses.models import Course, Enrollment
from courses.selectors import prerequisites_missing

from ..models import Attempt, AttemptQuestion, Exam
from .attempts import set_image_src


def _may_reveal_answers(attempt: Attempt) -> bool:
    """Answers show once the exam was passed in this attempt's enrollment, unless that
    enrollment's certificate was revoked, and never while the learner has an attempt
    of the same exam open (e.g. when renewing). One query, two for a pass found in
    another attempt."""
    attempts = Attempt.objects.filter(exam=attempt.exam_id)
    if (
        not attempt.passed
        and not attempts.filter(enrollment=attempt.enrollment_id, passed=True).exists()
    ):
        return False
    revoked = Certificate.objects.filter(
        enrollment=attempt.enrollment_id, status=Certificate.Status.REVOKED
    )
    retake_open = attempts.filter(user=attempt.user_id, status=Attempt.Status.OPEN)
    return not (
        Enrollment.objects.filter(pk=attempt.enrollment_id)
        .filter(Exists(revoked) | Exists(retake_open))
        .exists()
    )


@dataclass
class AttemptResult:
    """The result page's decisions; the template only displays them."""

    attempt: Attempt
    # Each with `image_src`, and `lesson_to_review`: the question's review lesson
    # when learners can open it (published), else None.
    items: list[AttemptQuestion]
    # The learner has passed this exam (in any attempt): answers may be shown.
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

    @property
    def missed(self) -> list[AttemptQuestion]:
        return [item for item in self.items if not item.is_correct]


def attempt_result(*, attempt: Attempt) -> AttemptResult:
    """A submitted attempt with its questions and the lessons to review (two or three
    queries; a passed final waiting for a prerequisite adds the prerequisites)."""
    items = list(
        attempt.items.select_related("question__review_lesson__module").order_by(
            "position"
        )
    )
    set_image_src(items, course_slug=attempt.exam.course.slug)
    for item in items:
        lesson = item.question.review_lesson
        item.lesson_to_review = lesson if lesson and lesson.is_published else None
    status = attempt.enrollment.status
    passed_final = attempt.passed and attempt.exam.kind == Exam.Kind.FINAL
    waiting_for = []
    if passed_final and status == Enrollment.Status.WAITING:
        waiting_for = prerequisites_missing(
            user=attempt.user, course=attempt.exam.course
        )
    return AttemptResult(
        attempt=attempt,
        items=items,
        reveal=_may_reveal_answers(attempt),
        completed=passed_final and status == Enrollment.Status.COMPLETED,
        lessons_left=passed_final and status == Enrollment.Status.ACTIVE,
        waiting_for=waiting_for,
        can_retake=status == Enrollment.Status.ACTIVE,
    )
