"""Writes of case attempts: start (or resume), act, abandon.

Nothing else changes CaseAttempt, CaseVersion or CaseEvent rows. The engine
(cases.engine) is the referee: a service loads the attempt's state, asks the engine
what an action does, and stores the new state and the new log lines. Every write
locks the attempt's row first, so two tabs (or a double click) serialise; the page
posts how many log lines it has seen (`expected_seq`), so an action sent from an
out-of-date page changes nothing and says why.

An action costs the same few queries whatever the case's length or the attempt's
history: the attempt (with its version's definition only when this process has not
built that definition yet), one bulk insert of the new events, one update of the
attempt. Finishing adds the completion check when the case is passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import ratelimit
from core.errors import NotFound
from courses.completion import completion_requirements_met
from courses.models import Enrollment
from courses.selectors import prerequisites_missing
from courses.services import enrollment_complete, enrollment_failure_record

from .definitions import definition_for
from .engine import Definition
from .errors import (
    CaseAttemptClosed,
    CaseRateLimited,
    CaseRefused,
    CaseRetakeNotOpen,
    InvalidAction,
    StaleAction,
)
from .models import Case, CaseAttempt, CaseEvent, CaseRules, CaseVersion
from .selectors.pacing import case_pacing_for

__all__ = [
    "ActOutcome",
    "CaseAttemptClosed",
    "CaseRateLimited",
    "CaseRefused",
    "CaseRetakeNotOpen",
    "InvalidAction",
    "StaleAction",
    "case_attempt_abandon",
    "case_attempt_act",
    "case_attempt_start",
    "case_rate_limit_hit",
    "definition_for",
]

# Per learner, over a fixed 10-minute window. A case takes 10 to 30 minutes and a
# few dozen actions; 10 starts (resumes and double clicks included) and 600 actions
# (one a second, sustained) in 10 minutes are far beyond any real use and stop a
# script hammering the referee. Pacing is what limits retakes of one case.
RATE_WINDOW_SECONDS = 10 * 60
RATE_LIMITS = {"start": 10, "act": 600}

ABANDONED = "abandoned"


def case_rate_limit_hit(*, user, action: str) -> None:
    """Counts one case `action` ("start" or "act") by `user` in the shared cache
    (core.ratelimit). Raises CaseRateLimited (429, with retry_after) beyond the
    limit; nothing else changes."""
    limit = RATE_LIMITS[action]
    verdict = ratelimit.hit(
        scope=f"case-{action}",
        key=f"user-{user.pk}",
        limit=limit,
        window=RATE_WINDOW_SECONDS,
    )
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after // 60))
        what = "started case simulations" if action == "start" else "sent actions"
        raise CaseRateLimited(
            f"You have {what} {limit} times in the last "
            f"{RATE_WINDOW_SECONDS // 60} minutes, which is more than anyone needs. "
            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try "
            "again; your case is saved where you left it.",
            retry_after=verdict.retry_after,
        )


def _enrollment_for_case(*, user, case: Case) -> Enrollment:
    """The learner's active enrollment in the case's course, or CaseRefused."""
    enrollment = (
        Enrollment.objects.filter(user=user, course_id=case.course_id)
        .order_by("-enrolled_at", "-pk")
        .first()
    )
    course = case.course.title
    if enrollment is None:
        raise CaseRefused(
            f"Enroll in {course} to play its case simulations.",
            code="case.not_enrolled",
        )
    if enrollment.status == Enrollment.Status.COMPLETED:
        raise CaseRefused(
            f"You have completed {course}. Its case simulations open again when you "
            "re-enroll to renew your certificate.",
            code="case.not_enrolled",
        )
    if enrollment.status == Enrollment.Status.WAITING:
        raise CaseRefused(
            f"{course} opens as soon as you hold its prerequisite certificate.",
            code="case.not_enrolled",
        )
    return enrollment


def _version_for(case: Case) -> CaseVersion:
    """The stored version of the case's current definition, created by its first
    start (a concurrent first start finds the other's)."""
    definition = Definition(case.definition)
    version = CaseVersion.objects.filter(case=case, digest=definition.digest).first()
    if version is not None:
        return version
    rules = CaseRules.objects.filter(course_id=case.course_id).first()
    try:
        with transaction.atomic():
            return CaseVersion.objects.create(
                case=case,
                digest=definition.digest,
                definition=case.definition,
                rule_lessons=dict(rules.lessons) if rules else {},
                created_at=timezone.now(),
            )
    except IntegrityError:
        return CaseVersion.objects.get(case=case, digest=definition.digest)


def _event_rows(attempt: CaseAttempt, events: list[dict], *, start: int, action=None):
    code = action.code if action is not None else ""
    params = dict(action.params) if action is not None else {}
    return [
        CaseEvent(
            attempt=attempt,
            seq=start + offset,
            t=int(event.get("t", 0)),
            kind=str(event.get("kind", ""))[:32],
            text=str(event.get("text", "")),
            code=str(event.get("code") or code)[:32],
            params=params,
        )
        for offset, event in enumerate(events)
    ]


@transaction.atomic
def case_attempt_start(*, user, case: Case) -> tuple[CaseAttempt, bool]:
    """Starts an attempt of `case` for `user`, or resumes the one they have open.

    Returns (attempt, created). Refuses (CaseRefused) a case no longer offered,
    without the course's prerequisite certificates (checked again here), without an
    active enrollment in the case's course, and while a failed case's retake is not
    open yet (CaseRetakeNotOpen: the lessons its debrief linked to open, the
    cool-down from the third failure in a row; cases.selectors.pacing). An open
    attempt of an earlier enrollment is ended as abandoned first; when that end
    paces the retake, the ended attempt is returned (its debrief says what opens
    the next). The attempt plays the case's current definition, stored once as a
    CaseVersion.
    """
    if not case.is_active:
        raise CaseRefused(
            "This case simulation is no longer offered.", code="case.inactive"
        )
    missing = prerequisites_missing(user=user, course=case.course)
    if missing:
        names = ", ".join(course.title for course in missing)
        raise CaseRefused(
            f"{case.course.title} requires a current certificate in {names}.",
            code="case.prerequisite_missing",
        )
    enrollment = _enrollment_for_case(user=user, case=case)
    current = (
        CaseAttempt.objects.select_for_update()
        .filter(user=user, case=case, status=CaseAttempt.Status.OPEN)
        .first()
    )
    if current is not None:
        if current.enrollment_id == enrollment.pk:
            return current, False
        _finish(current, ended_by=ABANDONED, forced_fail=True)
    pacing = case_pacing_for(case=case, enrollment=enrollment)
    if pacing is not None and not pacing.open_now():
        if current is not None:
            # Keep the end just given (raising would roll it back): its debrief
            # says what opens the retake.
            return current, False
        raise CaseRetakeNotOpen(
            pacing.refusal(),
            code=pacing.code,
            lessons_to_open=[lesson.pk for lesson in pacing.lessons_to_open],
            opens_at=pacing.opens_at.isoformat() if pacing.waiting() else None,
        )
    version = _version_for(case)
    definition = definition_for(version_id=version.pk, version=version)
    state = definition.initial()
    opening = definition.opening_events()
    try:
        with transaction.atomic():
            attempt = CaseAttempt.objects.create(
                user=user,
                case=case,
                version=version,
                enrollment=enrollment,
                started_at=timezone.now(),
                state=state,
                event_count=len(opening),
            )
    except IntegrityError:
        # A second request (double click, two tabs) started one first: resume it.
        return (
            CaseAttempt.objects.get(
                user=user, case=case, status=CaseAttempt.Status.OPEN
            ),
            False,
        )
    CaseEvent.objects.bulk_create(_event_rows(attempt, opening, start=0))
    return attempt, True


@dataclass(frozen=True, slots=True)
class ActOutcome:
    attempt: CaseAttempt
    # The log lines this action added, in order.
    events: list[CaseEvent] = field(default_factory=list)
    finished: bool = False
    completed_course: bool = False


def _lock(*, attempt_id: int, user) -> CaseAttempt:
    """The learner's attempt with its row locked; NotFound for anyone else's."""
    # Only the attempt's row is locked (`of`): its case and course come in the
    # same query for the page, and many learners play one case at once.
    locked = (
        CaseAttempt.objects.select_for_update(of=("self",))
        .select_related("case__course")
        # What the page needs of them, not the definition (the version's is
        # cached) or the course's description.
        .defer(
            "case__definition",
            "case__summary",
            "case__course__description_md",
            "case__course__description_html",
        )
        .filter(pk=attempt_id, user=user)
        .first()
    )
    if locked is None:
        raise NotFound("No such case attempt.", code="case.attempt_not_found")
    return locked


def _score_fields(definition, state: dict) -> dict:
    """The attempt's columns from the engine's score of its state: passed, each
    finding (id, kind, simulated time, debrief line, lesson slug), the CPR
    fraction, the first shock and epinephrine times, how it ended."""
    score = definition.score(state)
    fraction = score["cpr_fraction"]
    return {
        "passed": bool(score["passed"]),
        "findings": [dict(finding) for finding in score["findings"]],
        "cpr_fraction": None if fraction is None else float(fraction),
        "first_shock_seconds": score["first_shock_t"],
        "first_epinephrine_seconds": score["first_epi_t"],
        "ended_by": str(score["ended_by"] or "")[:32],
    }


def _finish(
    locked: CaseAttempt, *, ended_by: str = "", forced_fail: bool = False
) -> None:
    """Scores and closes an attempt whose lock the caller holds (the abandon path:
    the engine did not end it)."""
    definition = definition_for(version_id=locked.version_id)
    fields = _score_fields(definition, locked.state)
    if forced_fail:
        fields["passed"] = False
    if ended_by:
        fields["ended_by"] = ended_by
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.status = CaseAttempt.Status.FINISHED
    locked.finished_at = timezone.now()
    locked.save(update_fields=[*fields, "status", "finished_at"])
    _failure_record(locked)


def _failure_record(finished: CaseAttempt) -> None:
    """A failed case's retake asks for the lessons its critical findings name to be
    opened again (selectors.pacing): the enrollment notes the failure."""
    if not finished.passed and finished.enrollment_id is not None:
        enrollment_failure_record(
            enrollment_id=finished.enrollment_id, at=finished.finished_at
        )


@transaction.atomic
def case_attempt_act(
    *,
    attempt_id: int,
    user,
    code: str,
    params: Mapping[str, object],
    expected_seq: int,
) -> ActOutcome:
    """Applies one action of the learner to their open attempt.

    Locks the attempt row; NotFound for an attempt that is not the learner's,
    CaseAttemptClosed once it ended, StaleAction when `expected_seq` (the number of
    log lines the page had) is not the attempt's: a double submit or an
    out-of-date tab changes nothing. InvalidAction, with nothing changed, for an
    action or parameter the case does not offer. The engine moves the clock and
    the case; the new log lines are inserted in one query and the attempt updated
    in one more. When the case ends it is scored (passed, findings with their
    lessons, CPR fraction, first shock and epinephrine times), and a pass that
    meets every completion rule of the enrollment completes the course in this
    transaction.
    """
    locked = _lock(attempt_id=attempt_id, user=user)
    if not locked.is_open:
        raise CaseAttemptClosed(
            "This case has ended, so nothing was changed: its debrief is below."
        )
    if expected_seq != locked.event_count:
        raise StaleAction(
            "This page was out of date (the case had moved on, perhaps in another "
            "tab or by a double click), so your action was not applied. Here is the "
            "case as it stands now."
        )
    definition = definition_for(version_id=locked.version_id)
    try:
        action = definition.parse(code, params)
    except ValueError as error:
        raise InvalidAction(f"{error}. Nothing was changed.") from None
    result = definition.act(locked.state, action)
    rows = _event_rows(
        locked, list(result.events), start=locked.event_count, action=action
    )
    CaseEvent.objects.bulk_create(rows)
    locked.state = result.state
    locked.event_count += len(rows)
    locked.sim_seconds = int(result.state["t"])
    update = ["state", "event_count", "sim_seconds"]
    completed = False
    if result.finished:
        fields = _score_fields(definition, result.state)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = CaseAttempt.Status.FINISHED
        locked.finished_at = timezone.now()
        update += [*fields, "status", "finished_at"]
    locked.save(update_fields=update)
    if result.finished:
        _failure_record(locked)
    if result.finished and locked.passed:
        completed = _complete_if_met(locked)
    return ActOutcome(
        attempt=locked,
        events=rows,
        finished=bool(result.finished),
        completed_course=completed,
    )


def _complete_if_met(attempt: CaseAttempt) -> bool:
    """A passed case may be the last rule an enrollment waited for (its final was
    passed before the case became required): complete it now, in this
    transaction, under the enrollment's row lock."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .select_related("course", "user")
        .get(pk=attempt.enrollment_id)
    )
    if enrollment.status != Enrollment.Status.ACTIVE:
        return False
    if not completion_requirements_met(enrollment=enrollment):
        return False
    return enrollment_complete(enrollment=enrollment, at=attempt.finished_at)


@transaction.atomic
def case_attempt_abandon(*, attempt_id: int, user) -> CaseAttempt:
    """Ends the learner's open attempt as not passed (they stopped it), scored as
    it stood, with a last log line. An attempt that already ended is returned
    unchanged; NotFound for anyone else's."""
    locked = _lock(attempt_id=attempt_id, user=user)
    if not locked.is_open:
        return locked
    t = int(locked.state["t"])
    CaseEvent.objects.create(
        attempt=locked,
        seq=locked.event_count,
        t=t,
        kind="end",
        text="You stopped the case.",
        code="",
    )
    locked.event_count += 1
    _finish(locked, ended_by=ABANDONED, forced_fail=True)
    locked.save(update_fields=["event_count"])
    return locked
