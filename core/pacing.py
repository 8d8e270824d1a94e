"""The retake cool-down schedule, written once for every kind of attempt.

Exams (exams.selectors.pacing) and case simulations (cases.selectors) pace retakes
the same way: after the third failure in a row the next start waits, 15 minutes
after the 3rd failure, 1 hour after the 4th, 4 hours after the 5th and every later
one (an exam may set its own schedule; cases use the default). Pure functions, no
database: the apps count the failures and say when the last one was.
"""

from __future__ import annotations

from collections.abc import Sequence

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
