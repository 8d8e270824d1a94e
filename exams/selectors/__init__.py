"""Reads of exams and attempts: the attempt page, results, history, the course home's
exam list (with the unlock rule), the completion rule and the authors' statistics.

Every page-level selector runs a fixed number of queries whatever the number of
questions or attempts (asserted in tests); statistics read counters kept as
attempts are graded (tallies).
"""

from .attempts import (
    DEADLINE_GRACE,
    UNTIMED_ATTEMPT_HOURS,
    UNTIMED_ATTEMPT_LIFETIME,
    attempt_closes_at,
    attempt_for_owner,
    attempt_history,
    attempt_items,
    attempt_questions_shown,
    attempts_expired,
    exam_for_viewer,
    learner_attempts_expired,
    time_is_up,
)
from .pacing import RetakePacing, exam_pacing_for, exam_pacings_for
from .pass_rule import (
    correct_needed,
    exam_draw_count,
    may_miss_sentence,
    misses_allowed,
)
from .progress import (
    ExamLock,
    ExamOverview,
    ExamStatus,
    enrollment_requirements_met,
    exam_access_for,
    exam_lock_for,
    exam_overview_for,
    exam_overviews_for,
)
from .quality import exam_bank_findings
from .results import AttemptResult, attempt_result
from .statistics import (
    LOW_DISCRIMINATION,
    MIN_ANSWERS_TO_FLAG,
    QUESTION_SORTS,
    TOO_EASY,
    TOO_HARD,
    ChoiceStat,
    ExamStatistics,
    QuestionStat,
    TopicStat,
    exam_statistics,
    kr20,
    question_stats_sorted,
)
from .steps import exam_step, exam_step_for, exam_steps_for

__all__ = [
    "DEADLINE_GRACE",
    "LOW_DISCRIMINATION",
    "MIN_ANSWERS_TO_FLAG",
    "QUESTION_SORTS",
    "TOO_EASY",
    "TOO_HARD",
    "UNTIMED_ATTEMPT_HOURS",
    "UNTIMED_ATTEMPT_LIFETIME",
    "AttemptResult",
    "ChoiceStat",
    "ExamLock",
    "ExamOverview",
    "ExamStatistics",
    "ExamStatus",
    "QuestionStat",
    "RetakePacing",
    "TopicStat",
    "attempt_closes_at",
    "attempt_for_owner",
    "attempt_history",
    "attempt_items",
    "attempt_questions_shown",
    "attempt_result",
    "attempts_expired",
    "correct_needed",
    "enrollment_requirements_met",
    "exam_access_for",
    "exam_bank_findings",
    "exam_draw_count",
    "exam_for_viewer",
    "exam_lock_for",
    "exam_overview_for",
    "exam_overviews_for",
    "exam_pacing_for",
    "exam_pacings_for",
    "exam_statistics",
    "exam_step",
    "exam_step_for",
    "exam_steps_for",
    "kr20",
    "learner_attempts_expired",
    "may_miss_sentence",
    "misses_allowed",
    "question_stats_sorted",
    "time_is_up",
]
