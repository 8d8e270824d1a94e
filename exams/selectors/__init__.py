"""Reads of exams and attempts: the attempt page, results, history, the course home's
exam list (with the unlock rule), the completion rule and the authors' statistics.

Every page-level selector runs a fixed number of queries whatever the number of
questions or attempts (asserted in tests); statistics are aggregated in the database.
"""

from .attempts import (
    DEADLINE_GRACE,
    attempt_for_owner,
    attempt_history,
    attempt_items,
    exam_for_viewer,
    time_is_up,
)
from .pacing import RetakePacing, exam_pacing_for, exam_pacings_for
from .progress import (
    ExamLock,
    ExamOverview,
    ExamStatus,
    course_home_exams,
    enrollment_requirements_met,
    exam_lock_for,
    exam_overview_for,
)
from .results import AttemptResult, attempt_result
from .statistics import (
    LOW_DISCRIMINATION,
    MIN_ANSWERS_TO_FLAG,
    TOO_EASY,
    TOO_HARD,
    ChoiceStat,
    ExamStatistics,
    QuestionStat,
    exam_statistics,
)

__all__ = [
    "DEADLINE_GRACE",
    "LOW_DISCRIMINATION",
    "MIN_ANSWERS_TO_FLAG",
    "TOO_EASY",
    "TOO_HARD",
    "AttemptResult",
    "ChoiceStat",
    "ExamLock",
    "ExamOverview",
    "ExamStatistics",
    "ExamStatus",
    "QuestionStat",
    "RetakePacing",
    "attempt_for_owner",
    "attempt_history",
    "attempt_items",
    "attempt_result",
    "course_home_exams",
    "enrollment_requirements_met",
    "exam_for_viewer",
    "exam_lock_for",
    "exam_overview_for",
    "exam_pacing_for",
    "exam_pacings_for",
    "exam_statistics",
    "time_is_up",
]
