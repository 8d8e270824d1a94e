"""Reads of case simulations: the learner's progress and pacing, the play page and
the debrief, the staff's statistics. Writes live in cases.services.

Modules: `progress` (required cases passed, the course's case list, the cases as
steps of a course), `pacing` (what opens a failed case's retake), `attempts` (the
case, the attempt, the play page's view model, the debrief), `statistics`.
"""

from .attempts import (
    Debrief,
    PlayPage,
    case_attempt_for_owner,
    case_attempt_history,
    case_debrief,
    case_for_viewer,
    clock,
    play_page,
)
from .pacing import CasePacing, LessonToOpen, case_pacing_for, case_pacings_for
from .progress import (
    CaseStatus,
    case_assessment_included,
    case_status_for,
    case_statuses_for,
    case_step,
    case_steps_for,
    course_cases_for,
    course_home_cases,
    required_cases_passed,
    required_cases_passed_for,
)
from .statistics import CaseStatistics, case_statistics

__all__ = [
    "CasePacing",
    "CaseStatistics",
    "CaseStatus",
    "Debrief",
    "LessonToOpen",
    "PlayPage",
    "case_assessment_included",
    "case_attempt_for_owner",
    "case_attempt_history",
    "case_debrief",
    "case_for_viewer",
    "case_pacing_for",
    "case_pacings_for",
    "case_statistics",
    "case_status_for",
    "case_statuses_for",
    "case_step",
    "case_steps_for",
    "clock",
    "course_cases_for",
    "course_home_cases",
    "play_page",
    "required_cases_passed",
    "required_cases_passed_for",
]
