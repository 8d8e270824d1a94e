"""Refusals of the exam services (core.errors), each with a stable dotted code."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotAllowed, NotFound, RateLimited


class ExamRefused(NotAllowed):
    """The exam cannot be started now; the message says why.

    Codes: exam.not_enrolled (no active enrollment in the course: the learner is sent
    to the course page), exam.prerequisite_missing, exam.lessons_left,
    exam.module_exams_left, exam.no_questions.
    """

    default_code = "exam.refused"


class RetakeNotOpen(ExamRefused):
    """A failed exam's retake is paced (exams.selectors.pacing): it opens once the
    lessons named for the missed items were opened since (exam.review_lessons_first)
    and, from the third failure in a row, after a cool-down (exam.cooldown). Never
    a lock-out: the refusal says what opens it and when."""

    default_code = "exam.retake_not_open"


class ExamRateLimited(RateLimited):
    """Too many exam starts or submits by this learner in the window
    (exam.rate_limited); `retry_after` is the seconds until it resets."""

    default_code = "exam.rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


class AttemptClosed(Conflict):
    """The attempt was already submitted: nothing was changed."""

    default_code = "exam.attempt_closed"


class TimeIsUp(Conflict):
    """The attempt's deadline has passed: answers are no longer accepted."""

    default_code = "exam.time_is_up"


class InvalidAnswers(InvalidInput):
    """An answer names a question or a choice this attempt did not present."""

    default_code = "exam.invalid_answer"


class AttemptNotFound(NotFound):
    """No such attempt of this learner (another learner's is not revealed)."""

    default_code = "exam.attempt_not_found"
