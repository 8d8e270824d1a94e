"""Events the courses app publishes (core.events); higher apps subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnrollmentCompleted:
    """A learner completed a course: the certificates app issues the certificate."""

    enrollment_id: int
    user_id: int
    course_id: int
