"""Handlers of the domain events certificates subscribes to (apps.py). Like tasks, they
decide nothing: each queues one task or calls one service. They run after the
publisher's transaction commits (core.events), so they queue at once."""

from __future__ import annotations

from accounts.events import LegalNameSet
from courses.events import EnrollmentCompleted

from .services import issuing
from .tasks import issue_certificate


def enrollment_completed(event: EnrollmentCompleted) -> None:
    """A completed enrollment gets its certificate. With the broker unreachable the
    failure is logged and the sweeper issues it later."""
    issue_certificate.enqueue(event.enrollment_id)


def legal_name_set(event: LegalNameSet) -> None:
    """The certificates that waited for the learner's legal name are issued."""
    issuing.certificates_issue_waiting_for_name(user_id=event.user_id)
