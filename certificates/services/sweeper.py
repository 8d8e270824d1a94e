"""The sweeper: queues the certificate work still owed after its own task was lost."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..selectors import certificate_work_owed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    certificates: int  # issue_certificate tasks queued
    cards: int  # send_external_card_decision tasks queued


def certificates_sweep(
    *,
    issue: Callable[[int], object],
    tell: Callable[[int], object],
    grace: timedelta | None = None,
    full: bool = False,
) -> Sweep:
    """Queues the certificate work still owed after its own task was lost or gave up
    (selectors.certificate_work_owed):

    - `issue_certificate` for completed enrollments without a certificate (the broker
      was down at completion, lost its queue in a restart, a worker died): those
      completed in the last two weeks (SWEEP_ISSUE_WINDOW, an indexed range, so a
      sweep's cost follows recent completions, not all history), or all of them
      when `full` (the nightly sweep, and the command's --all);
    - `issue_certificate` again for certificates of the last week whose e-mail never
      went out and is not claimed by a live sender (it resumes: only the e-mail is
      sent, with the same Message-ID);
    - `send_external_card_decision` for outside cards reviewed in the last week whose
      decision e-mail never went out.
    Work younger than `grace` (default CERTIFICATE_SWEEP_GRACE_MINUTES) is left to its
    own task. Queuing work that is in flight anyway is harmless: every task is safe to
    run twice. The caller (the sweeper task, the command) passes how to queue it:
    `issue(enrollment_id)`, `tell(card_id)` (services never import tasks).
    """
    if grace is None:
        grace = timedelta(minutes=settings.CERTIFICATE_SWEEP_GRACE_MINUTES)
    owed = certificate_work_owed(grace=grace, now=timezone.now(), full=full)
    for enrollment_id in owed.enrollment_ids:
        issue(enrollment_id)
    for card_id in owed.card_ids:
        tell(card_id)
    if owed.enrollment_ids or owed.card_ids:
        logger.warning(
            "Sweeper queued %d certificate(s) and %d card decision(s)",
            len(owed.enrollment_ids),
            len(owed.card_ids),
        )
    return Sweep(certificates=len(owed.enrollment_ids), cards=len(owed.card_ids))
