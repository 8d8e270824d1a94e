"""The content sync changes what learners are taught and examined on, and what a
course requires: each such change is in the audit trail like the admin's (the system
decides, through the interface the process was entered by), inside the sync's
transaction, so a sync that fails records nothing."""

from __future__ import annotations

import pytest

from audit.context import interface
from audit.models import AuditEvent
from courses.models import Course, Lesson
from curriculum.services import ContentError, content_sync
from exams.models import Exam, Question
from tests.curriculum.test_content import (
    LESSON,
    QUESTION,
    QUIZ,
    build_tree,
    replace_line,
    write,
)
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
INTRO = "acls/01-basics/01-intro.md"


@pytest.fixture
def tree(tmp_path):
    return build_tree(tmp_path)


def _sync(tree, **kwargs):
    with interface("command"):
        return content_sync(root=tree, **kwargs)


def _events(after: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("action", "interface", "actor", "target_type", "target_label")
    )


def _last_event() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def _show_both_quiz_questions() -> None:
    from exams.services import exam_attempt_start
    from tests.exams.conftest import complete_lessons

    enrollment = EnrollmentFactory(course=Course.objects.get(slug="bls"))
    complete_lessons(enrollment)
    exam_attempt_start(user=enrollment.user, exam=Exam.objects.get(module__slug="cpr"))


def test_a_sync_that_unpublishes_a_lesson_and_retires_a_question_records_exactly_that(
    tree,
):
    _sync(tree)
    _show_both_quiz_questions()  # bls-q2 is kept (retired), not deleted
    before = _last_event()
    replace_line(tree, INTRO, "minutes: 5", "minutes: 5\npublished: false")
    write(
        tree,
        QUIZ,
        "title: CPR quiz\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-q1"),
    )

    _sync(tree)

    intro = Lesson.objects.get(slug="intro")
    retired = Question.objects.get(key="bls-q2")
    assert not intro.is_published and not retired.is_active
    assert _events(before) == [
        (Action.CONTENT_UNPUBLISHED, "command", None, "courses.lesson", str(intro)),
        (Action.QUESTION_DEACTIVATED, "command", None, "exams.question", str(retired)),
    ]


def test_a_sync_that_brings_them_back_records_their_return(tree):
    _sync(tree)
    _show_both_quiz_questions()
    full_quiz = (tree / QUIZ).read_text()
    write(
        tree,
        QUIZ,
        "title: CPR quiz\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-q1"),
    )
    replace_line(tree, INTRO, "minutes: 5", "minutes: 5\npublished: false")
    _sync(tree)
    before = _last_event()
    (tree / QUIZ).write_text(full_quiz)
    replace_line(tree, INTRO, "minutes: 5\npublished: false", "minutes: 5")

    _sync(tree)

    assert [(e[0], e[3]) for e in _events(before)] == [
        (Action.CONTENT_PUBLISHED, "courses.lesson"),
        (Action.QUESTION_ACTIVATED, "exams.question"),
    ]


def test_a_sync_that_changes_a_prerequisite_records_it(tree):
    _sync(tree)
    before = _last_event()
    replace_line(tree, "acls/course.md", "prerequisites: [bls]", "prerequisites: []")

    _sync(tree)

    acls = Course.objects.get(slug="acls")
    assert list(acls.prerequisites.all()) == []
    event = AuditEvent.objects.get(pk__gt=before)
    assert (event.action, event.interface, event.actor, event.target_id) == (
        Action.PREREQUISITES_CHANGED,
        "command",
        None,
        str(acls.pk),
    )
    assert event.data == {"course": "ACLS", "before": ["BLS"], "after": []}


def test_a_first_sync_records_what_it_publishes_and_puts_in_use(tree):
    _sync(tree)
    recorded = {(e[0], e[4]) for e in _events(0)}
    assert (Action.CONTENT_PUBLISHED, str(Course.objects.get(slug="bls"))) in recorded
    assert (Action.EXAM_ACTIVATED, str(Exam.objects.get(kind="final"))) in recorded
    assert (
        Action.QUESTION_ACTIVATED,
        str(Question.objects.get(key="bls-q1")),
    ) in recorded
    assert (
        Action.PREREQUISITES_CHANGED,
        str(Course.objects.get(slug="acls")),
    ) in recorded


def test_a_sync_that_changes_nothing_records_nothing(tree):
    _sync(tree)
    before = _last_event()
    report = _sync(tree)
    assert not report.changed
    assert _events(before) == []


def test_a_failed_sync_records_nothing(tree):
    _sync(tree)
    _show_both_quiz_questions()
    before = _last_event()
    # The admin edits the lesson the files change too: a conflict, found after the
    # sync has already unpublished a lesson and retired a question.
    lesson = Lesson.objects.get(slug="compressions")
    lesson.body_md = "Edited in the admin."
    lesson.save()
    replace_line(tree, INTRO, "minutes: 5", "minutes: 5\npublished: false")
    write(
        tree,
        QUIZ,
        "title: CPR quiz\npass_mark: 84\nquestions:" + QUESTION.format(id="bls-q1"),
    )
    replace_line(tree, LESSON, "## Push", "## Push harder")

    with pytest.raises(ContentError, match="edited in the admin"):
        _sync(tree)

    assert Lesson.objects.get(slug="intro").is_published
    assert Question.objects.get(key="bls-q2").is_active
    assert _events(before) == []
