"""Pacing the attempts: the retake rule enforced at start, the staff's lifting of a
cool-down, and the per-learner rate limits on starting and submitting.

The rule itself (review the missed lessons, then the cool-down from the third
failure in a row) is read in exams.selectors.pacing; this module refuses with it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core import ratelimit
from courses.models import Enrollment

from ..errors import ExamRateLimited, RetakeNotOpen
from ..models import Attempt, CooldownClearance, Exam
from ..selectors.pacing import exam_pacing_for

# Per learner, over a fixed 10-minute window. An honest learner needs minutes per
# attempt (a 10-item quiz takes about 5, a final 25 or more), so 10 starts (resumes and
# double clicks included) and 20 submits (re-submits and two tabs included) in 10
# minutes are far beyond any real use, while a script cycling the module quizzes is
# stopped after a few rounds. The pacing (review, cool-down) is what limits retakes of
# one exam; these limits stop loops across exams and hammering.
RATE_WINDOW_SECONDS = 10 * 60
RATE_LIMITS = {"start": 10, "submit": 20}


def exam_rate_limit_hit(*, user, action: str) -> None:
    """Counts one exam `action` ("start" or "submit") by `user` in the shared cache
    (core.ratelimit: this process's memory while Redis fails). Raises
    ExamRateLimited (429, with retry_after) beyond the limit; nothing else changes.
    """
    limit = RATE_LIMITS[action]
    verdict = ratelimit.hit(
        scope=f"exam-{action}",
        key=f"user-{user.pk}",
        limit=limit,
        window=RATE_WINDOW_SECONDS,
    )
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after // 60))
        what = "started" if action == "start" else "submitted"
        raise ExamRateLimited(
            f"You have {what} exams {limit} times in the last "
            f"{RATE_WINDOW_SECONDS // 60} minutes, which is more than anyone needs. "
            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try "
            "again; your answers so far are saved.",
            retry_after=verdict.retry_after,
        )


def exam_retake_check(*, exam: Exam, enrollment: Enrollment) -> None:
    """Raises RetakeNotOpen when the learner failed `exam` last time and its retake
    is not open yet (exams.selectors.pacing): lessons to open
    (exam.review_lessons_first) or a cool-down running (exam.cooldown). The message
    says what opens it and when. Called by exam_attempt_start."""
    pacing = exam_pacing_for(exam=exam, enrollment=enrollment)
    if pacing is not None and not pacing.open_now():
        raise RetakeNotOpen(
            pacing.refusal(),
            code=pacing.code,
            lessons_to_open=[lesson.pk for lesson in pacing.lessons_to_open],
            opens_at=pacing.opens_at.isoformat() if pacing.waiting() else None,
        )


@transaction.atomic
def exam_cooldown_clear(*, user, exam: Exam, by) -> CooldownClearance | None:
    """Lifts the cool-down now running on `user`'s next start of `exam` (a staff
    override: `by` is the staff member), recorded as a CooldownClearance of the
    failed attempt it followed and in the audit trail (exam.cooldown_cleared: who,
    when, whose, which exam). The retake's lesson rule still holds, and the next
    failure continues the schedule. Returns None, changing nothing, when no
    cool-down is running (none applies, it is over, or it was cleared already)."""
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=exam.course_id)
        .order_by("-enrolled_at", "-pk")
        .first()
    )
    if enrollment is None:
        return None
    pacing = exam_pacing_for(exam=exam, enrollment=enrollment)
    if pacing is None or not pacing.waiting():
        return None
    attempt = Attempt.objects.select_for_update().get(pk=pacing.failed_attempt_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            clearance = CooldownClearance.objects.create(
                attempt=attempt, cleared_by=by, cleared_at=now
            )
    except IntegrityError:
        return None  # cleared by someone else a moment ago
    audit_record(
        action=AuditEvent.Action.EXAM_COOLDOWN_CLEARED,
        actor=by,
        subject=user,
        target=attempt,
        data={
            "exam": exam.title,
            "failures_in_a_row": pacing.failures_in_a_row,
            "cooldown_minutes": pacing.cooldown_minutes,
            "would_have_opened_at": pacing.opens_at,
        },
    )
    return clearance
