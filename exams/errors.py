"""Refusals of the exam services (core.errors), each with a stable dotted code."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotAllowed


class ExamRefused(NotAllowed):
    """The exam cannot be started now; the message says why.

    Codes: exam.not_enrolled (no active enrollment in the course: the learner is sent
    to the course page), exam.prerequisite_missing, exam.lessons_left,
    exam.module_exams_left, exam.no_questions.
    """

    default_code = "exam.refused"


class AttemptClosed(Conflict):
    """The attempt was already submitted: nothing was changed."""

    default_code = "exam.attempt_closed"


class TimeIsUp(Conflict):
    """The attempt's deadline has passed: answers are no longer accepted."""

    default_code = "exam.time_is_up"


class InvalidAnswers(InvalidInput):
    """An answer names a question or a choice this attempt did not present."""

    default_code = "exam.invalid_answer"
