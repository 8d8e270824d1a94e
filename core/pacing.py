"""The retake cool-down schedule, written once for every kind of attempt.

Exams (exams.selectors.pacing) and case simulations (cases.selectors) pace retakes
the same way: after the third failure in a row the next start waits, 15 minutes
after the 3rd failure, 1 hour after the 4th, 4 hours after the 5th and every later
one (an exam may set its own schedule; cases use the default). Pure functions, no
database: the apps count the failures and say when the last one was.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from . import horizon
from .dates import format_moment

# The wait before the next start after the 3rd, 4th, 5th... failure in a row
# (minutes; the last repeats): 15 minutes, then 1 hour, then 4 hours each time.
DEFAULT_COOLDOWN_MINUTES = (15, 60, 240)

# The failure in a row from which a cool-down applies.
COOLDOWN_FROM_FAILURE = 3


def cooldown_after(schedule: Sequence[int], failures_in_a_row: int) -> int | None:
    """The cool-down in minutes after this many failures in a row under
    `schedule`, or None below the third failure or with an empty schedule."""
    if failures_in_a_row < COOLDOWN_FROM_FAILURE or not schedule:
        return None
    step = min(failures_in_a_row - COOLDOWN_FROM_FAILURE, len(schedule) - 1)
    return schedule[step]


def duration_words(minutes: int) -> str:
    """ "15 minutes", "1 hour", "4 hours": a cool-down as the learner reads it."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class LessonToOpen:
    pk: int
    title: str
    url: str


@dataclass(frozen=True, kw_only=True)
class RetakeWait(ABC):
    """What stands between a learner and their next attempt of something they did
    not pass last time (an exam, a case): lessons to open, a cool-down, or both.
    `open_now()` says whether they may start now. Subclasses name the thing
    (`subject`, `code_prefix`) and say why the lessons are asked for."""

    code_prefix = ""

    failed_attempt_id: int
    failed_at: datetime
    failures_in_a_row: int
    # Lessons the failed attempt named, not opened since in this enrollment.
    lessons_to_open: list[LessonToOpen] = field(default_factory=list)
    # The end of the cool-down (None: none applies, or staff lifted it).
    opens_at: datetime | None = None
    cooldown_minutes: int | None = None

    @property
    @abstractmethod
    def subject(self) -> str:
        """The thing retaken, as the sentences name it."""

    @abstractmethod
    def lessons_sentence(self, names: str, many: bool) -> str:
        """Why the lessons `names` must be opened first (`many`: more than one)."""

    def waiting(self, now: datetime | None = None) -> bool:
        horizon.note(self.opens_at)  # what a page draws of it changes then
        return self.opens_at is not None and (now or timezone.now()) < self.opens_at

    @property
    def cooldown_running(self) -> bool:
        return self.waiting()

    def open_now(self, now: datetime | None = None) -> bool:
        return not self.lessons_to_open and not self.waiting(now)

    @property
    def code(self) -> str:
        reason = "review_lessons_first" if self.lessons_to_open else "cooldown"
        return f"{self.code_prefix}.{reason}"

    def refusal(self, now: datetime | None = None) -> str:
        """The sentence a learner reads when a start is refused: what opens it."""
        parts = []
        if self.lessons_to_open:
            names = ", ".join(f"“{lesson.title}”" for lesson in self.lessons_to_open)
            parts.append(self.lessons_sentence(names, len(self.lessons_to_open) > 1))
        if self.waiting(now):
            parts.append(self.cooldown_sentence)
        return " ".join(parts)

    @property
    def cooldown_sentence(self) -> str:
        return (
            f"You have not passed {self.subject} in your last "
            f"{self.failures_in_a_row} attempts, so your next attempt opens after a "
            f"break of {duration_words(self.cooldown_minutes or 0)}, at "
            f"{format_moment(self.opens_at)}: use it to review."
        )
