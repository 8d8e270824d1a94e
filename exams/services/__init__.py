"""Writes of exam attempts: start (draw and shuffle), save answers, submit (grade);
and the staff's writes of the exam definitions.

Nothing else changes Attempt or AttemptQuestion rows. Grading reads only what the
attempt stored when it started, never the live bank. Every write of an attempt first
locks its row, so saving and submitting from two tabs (or two servers) serialise, and
the submit itself is a conditional UPDATE ... WHERE status = 'open': an attempt is
graded once whatever the database.

Modules: `attempts` (starting), `answers` (saving), `grading` (submitting,
completing, closing attempts whose time is up), `bank` (the admin's writes), `pacing`
(the retake rule at start, lifting a cool-down, rate limits), `tallies` (the
statistics counters, added to by grading, rebuilt by a recount). Reads live in
exams.selectors.
"""

from ..errors import (
    AttemptClosed,
    AttemptNotFound,
    ExamRateLimited,
    ExamRefused,
    InvalidAnswers,
    RetakeNotOpen,
    TimeIsUp,
)
from .answers import exam_attempt_answer, exam_attempt_autosave
from .attempts import exam_attempt_start
from .bank import (
    bank_row_save,
    exams_activate,
    question_correct_mark_release,
    questions_activate,
)
from .grading import (
    ExpiredSweep,
    SubmitOutcome,
    closed_attempt_notice,
    exam_attempt_submit,
    exam_attempts_close_expired,
    exam_attempts_sweep_expired,
)
from .pacing import exam_cooldown_clear, exam_rate_limit_hit, exam_retake_check
from .tallies import exam_tallies_add_graded, exam_tallies_recount

__all__ = [
    "AttemptClosed",
    "AttemptNotFound",
    "ExamRateLimited",
    "ExamRefused",
    "ExpiredSweep",
    "InvalidAnswers",
    "RetakeNotOpen",
    "SubmitOutcome",
    "TimeIsUp",
    "bank_row_save",
    "closed_attempt_notice",
    "exam_attempt_answer",
    "exam_attempt_autosave",
    "exam_attempt_start",
    "exam_attempt_submit",
    "exam_attempts_close_expired",
    "exam_attempts_sweep_expired",
    "exam_cooldown_clear",
    "exam_rate_limit_hit",
    "exam_retake_check",
    "exam_tallies_add_graded",
    "exam_tallies_recount",
    "exams_activate",
    "question_correct_mark_release",
    "questions_activate",
]
