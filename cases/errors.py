"""Refusals of the case services (core.errors), each with a stable dotted code."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotAllowed, RateLimited


class CaseRefused(NotAllowed):
    """The case cannot be started now; the message says why.

    Codes: case.not_enrolled (no active enrollment in the course: the learner is
    sent to the course page), case.prerequisite_missing, case.inactive.
    """

    default_code = "case.refused"


class CaseRetakeNotOpen(CaseRefused):
    """A failed case's retake is paced like an exam's (cases.selectors.pacing):
    it opens once the lessons the debrief linked were opened since
    (case.review_lessons_first) and, from the third failure in a row, after a
    cool-down (case.cooldown)."""

    default_code = "case.retake_not_open"


class CaseRateLimited(RateLimited):
    """Too many case starts or actions by this learner in the window
    (case.rate_limited); `retry_after` is the seconds until it resets."""

    default_code = "case.rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.retry_after = retry_after


class CaseAttemptClosed(Conflict):
    """The attempt has ended: nothing was changed (case.attempt_closed)."""

    default_code = "case.attempt_closed"


class StaleAction(Conflict):
    """The page posted an action against an older log than the attempt's (a double
    submit, or another tab moved on): nothing was changed (case.stale)."""

    default_code = "case.stale"


class InvalidAction(InvalidInput):
    """The posted action is not one the case offers, or lacks a parameter
    (case.invalid_action): nothing was changed."""

    default_code = "case.invalid_action"
