"""Staff writes of the exam definitions (the admin's actions): which exams and
questions are in use, and moving a question's correct mark. Each change of what
learners are examined on is recorded in the audit trail with the staff member."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record
from courses.outline import content_version_bump
from courses.services import flagged_row_save

from ..models import Choice, Exam, Question


def _active_set(rows: Iterable[Exam | Question], *, active: bool, actor, actions):
    """Sets `is_active` on each row not already so and records each change; returns
    the rows changed (locked first: a double click records each change once)."""
    rows = list(rows)
    if not rows:
        return []
    model = type(rows[0])
    changing = list(
        model.objects.select_for_update()
        .filter(pk__in=[row.pk for row in rows])
        .exclude(is_active=active)
        .order_by("pk")
    )
    model.objects.filter(pk__in=[row.pk for row in changing]).update(is_active=active)
    # An update sends no signal: the cached outline is marked out of date here.
    content_version_bump()
    for row in changing:
        row.is_active = active
        audit_record(action=actions[active], actor=actor, target=row)
    return changing


@transaction.atomic
def questions_activate(
    *, questions: Iterable[Question], actor, active: bool = True
) -> list[Question]:
    """Puts each question back in the draw (or, active=False, takes it out of new
    attempts; attempts keep their own copy); records each change. Returns those
    changed."""
    actions = {
        True: AuditEvent.Action.QUESTION_ACTIVATED,
        False: AuditEvent.Action.QUESTION_DEACTIVATED,
    }
    return _active_set(questions, active=active, actor=actor, actions=actions)


@transaction.atomic
def exams_activate(*, exams: Iterable[Exam], actor, active: bool = True) -> list[Exam]:
    """Offers each exam again and requires it for completion (or, active=False,
    neither: its attempts are kept as evidence); records each change. Returns those
    changed."""
    actions = {
        True: AuditEvent.Action.EXAM_ACTIVATED,
        False: AuditEvent.Action.EXAM_DEACTIVATED,
    }
    return _active_set(exams, active=active, actor=actor, actions=actions)


def question_correct_mark_release(
    *, question: Question, correct_after: Mapping[int, bool]
) -> int:
    """Before a question's choices are saved: clears the correct mark of each of its
    choices that is marked now and will not be (`correct_after`: choice id -> marked
    after the save; a deleted choice is False). The database allows one correct
    choice per question at any moment, so the mark can then move to another choice
    whatever order the choices are saved in. Call it in the saving transaction.
    Returns how many marks were cleared."""
    losing = [pk for pk, correct in correct_after.items() if not correct]
    return Choice.objects.filter(
        question=question, pk__in=losing, is_correct=True
    ).update(is_correct=False)


@transaction.atomic
def bank_row_save(*, row: Exam | Question, actor) -> None:
    """Saves a staff member's edit of an exam or question (as the admin's forms make
    it); when the edit takes it in or out of use (`is_active`), records that with the
    staff member."""
    actions = (
        {
            True: AuditEvent.Action.EXAM_ACTIVATED,
            False: AuditEvent.Action.EXAM_DEACTIVATED,
        }
        if isinstance(row, Exam)
        else {
            True: AuditEvent.Action.QUESTION_ACTIVATED,
            False: AuditEvent.Action.QUESTION_DEACTIVATED,
        }
    )
    flagged_row_save(row=row, flag="is_active", actor=actor, actions=actions)
