"""The case services: starting (and what refuses it), acting, abandoning, pacing and
rate limits. Behaviour a learner notices, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.models import CaseAttempt, CaseEvent, CaseVersion
from cases.services import (
    CaseAttemptClosed,
    CaseRateLimited,
    CaseRefused,
    CaseRetakeNotOpen,
    InvalidAction,
    StaleAction,
    case_attempt_abandon,
    case_attempt_act,
    case_attempt_start,
    case_rate_limit_hit,
)
from core.errors import NotFound
from courses.models import Enrollment, LessonView
from courses.services import lesson_open
from tests.cases.engine_helpers import load
from tests.exams.conftest import open_lessons
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def do(attempt, code, params=None, *, user=None, seq=None):
    attempt.refresh_from_db()
    return case_attempt_act(
        attempt_id=attempt.pk,
        user=user or attempt.user,
        code=code,
        params=params or {},
        expected_seq=attempt.event_count if seq is None else seq,
    )


def fail(user, case) -> CaseAttempt:
    """An attempt ended at once (the resuscitation stopped): not passed, its
    debrief linking the lessons of the requirements missed."""
    attempt, _ = case_attempt_start(user=user, case=case)
    do(attempt, "terminate")
    attempt.refresh_from_db()
    assert attempt.passed is False
    return attempt


def test_start_opens_the_case_with_its_narrative_and_a_stored_version(
    user, enrollment, vf_case
):
    attempt, created = case_attempt_start(user=user, case=vf_case)
    assert created
    assert attempt.is_open and attempt.enrollment == enrollment
    assert attempt.version.definition == vf_case.definition
    first = CaseEvent.objects.get(attempt=attempt, seq=0)
    assert first.t == 0 and "slumps in his chair" in first.text
    assert attempt.event_count == 1


def test_starting_again_resumes_the_open_attempt(user, enrollment, vf_case):
    first, _ = case_attempt_start(user=user, case=vf_case)
    again, created = case_attempt_start(user=user, case=vf_case)
    assert (again.pk, created) == (first.pk, False)
    assert CaseAttempt.objects.count() == 1


def test_attempts_of_the_same_definition_share_one_version(user, enrollment, vf_case):
    first, _ = case_attempt_start(user=user, case=vf_case)
    case_attempt_abandon(attempt_id=first.pk, user=user)
    second, _ = case_attempt_start(user=user, case=vf_case)
    assert CaseVersion.objects.count() == 1
    assert second.version_id == CaseAttempt.objects.earliest("pk").version_id


def test_an_edited_case_never_changes_the_attempt_in_progress(
    user, enrollment, vf_case, course
):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    edited = dict(vf_case.definition, time_limit=60)
    vf_case.definition = edited
    vf_case.save()
    # The attempt still plays the version it started: 4 minutes pass, no time limit.
    for _ in range(4):
        do(attempt, "advance")
    attempt.refresh_from_db()
    assert attempt.is_open
    assert attempt.version.definition["time_limit"] == 1500
    # A new attempt plays the new version.
    case_attempt_abandon(attempt_id=attempt.pk, user=user)
    lesson_open(enrollment=enrollment, lesson=course.lessons_by_slug["vf-pvt"])
    vf_case.refresh_from_db()
    newer, _ = case_attempt_start(user=user, case=vf_case)
    assert newer.version.definition["time_limit"] == 60
    assert CaseVersion.objects.count() == 2


def test_start_needs_an_active_enrollment(user, vf_case):
    with pytest.raises(CaseRefused) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert refused.value.code == "case.not_enrolled"
    EnrollmentFactory(
        user=user, course=vf_case.course, status=Enrollment.Status.WAITING
    )
    with pytest.raises(CaseRefused, match="opens as soon as"):
        case_attempt_start(user=user, case=vf_case)
    assert not CaseAttempt.objects.exists()


def test_start_checks_the_prerequisites_again(user, enrollment, vf_case):
    vf_case.course.prerequisites.set([CourseFactory(slug="pre", title="Pre")])
    with pytest.raises(CaseRefused) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert refused.value.code == "case.prerequisite_missing"
    assert "Pre" in refused.value.message


def test_a_case_no_longer_offered_cannot_start(user, enrollment, vf_case):
    vf_case.is_active = False
    vf_case.save()
    with pytest.raises(CaseRefused) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert refused.value.code == "case.inactive"


def test_an_action_advances_the_clock_and_appends_the_log(user, enrollment, vf_case):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    outcome = do(attempt, "check_breathing_pulse")
    attempt.refresh_from_db()
    assert attempt.sim_seconds == 10
    assert [e.seq for e in outcome.events] == list(range(1, attempt.event_count))
    assert outcome.events[0].code == "check_breathing_pulse"
    assert CaseEvent.objects.filter(attempt=attempt).count() == attempt.event_count


def test_a_stale_page_changes_nothing_and_says_why(user, enrollment, vf_case):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    do(attempt, "check_breathing_pulse")
    attempt.refresh_from_db()
    state, count = attempt.state, attempt.event_count
    with pytest.raises(StaleAction, match="out of date"):
        do(attempt, "attach_pads", seq=1)  # the page had seen one line only
    attempt.refresh_from_db()
    assert (attempt.state, attempt.event_count) == (state, count)
    assert CaseEvent.objects.filter(attempt=attempt).count() == count


@pytest.mark.parametrize(
    ("code", "params", "message"),
    [
        ("fly", {}, "Unknown action"),
        ("shock", {"energy": "9000"}, "Choose"),
        ("drug", {"drug": "epinephrine"}, "Choose"),
        ("recovery_position", {}, "Unknown action"),  # not in the ACLS toolkit
    ],
)
def test_a_bad_action_is_refused_with_a_reason_and_nothing_changes(
    user, enrollment, vf_case, code, params, message
):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    with pytest.raises(InvalidAction, match=message):
        do(attempt, code, params)
    attempt.refresh_from_db()
    assert attempt.event_count == 1 and attempt.sim_seconds == 0


def test_only_the_learner_can_act_on_their_attempt(user, enrollment, vf_case):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    with pytest.raises(NotFound):
        do(attempt, "attach_pads", user=UserFactory())
    with pytest.raises(NotFound):
        case_attempt_abandon(attempt_id=attempt.pk, user=UserFactory())
    attempt.refresh_from_db()
    assert attempt.is_open and attempt.event_count == 1


def test_an_ended_case_refuses_further_actions(user, enrollment, vf_case):
    attempt = fail(user, vf_case)
    with pytest.raises(CaseAttemptClosed):
        do(attempt, "attach_pads")


def test_the_end_is_scored_with_findings_linked_to_lessons(user, enrollment, vf_case):
    attempt = fail(user, vf_case)
    assert attempt.finished_at is not None and attempt.ended_by == "terminate"
    missed = {f["id"]: f for f in attempt.findings if f["kind"] == "missed"}
    assert missed["first-shock"]["lesson"] == "vf-pvt"
    assert missed["first-shock"]["debrief"].startswith("Shock VF")


def test_abandoning_ends_the_case_as_not_passed(user, enrollment, vf_case):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    ended = case_attempt_abandon(attempt_id=attempt.pk, user=user)
    assert ended.status == CaseAttempt.Status.FINISHED
    assert (ended.passed, ended.ended_by) == (False, "abandoned")
    last = CaseEvent.objects.filter(attempt=attempt).latest("seq")
    assert last.text == "You stopped the case."
    # Twice: nothing more.
    case_attempt_abandon(attempt_id=attempt.pk, user=user)
    assert CaseEvent.objects.filter(attempt=attempt).count() == 2


def test_an_open_attempt_of_an_earlier_enrollment_ends_when_a_new_one_starts(
    user, vf_case
):
    old = EnrollmentFactory(user=user, course=vf_case.course)
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    old.status = Enrollment.Status.COMPLETED
    old.completed_at = attempt.started_at
    old.save()
    EnrollmentFactory(user=user, course=vf_case.course)
    fresh, created = case_attempt_start(user=user, case=vf_case)
    attempt.refresh_from_db()
    assert created and fresh.pk != attempt.pk
    assert (attempt.status, attempt.passed, attempt.ended_by) == (
        "finished",
        False,
        "abandoned",
    )


# --- pacing -------------------------------------------------------------------------


def test_after_a_fail_the_lessons_of_the_debrief_come_first(
    user, enrollment, vf_case, course
):
    fail(user, vf_case)
    with pytest.raises(CaseRetakeNotOpen) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert refused.value.code == "case.review_lessons_first"
    # The critical findings' lessons, not the deviations'.
    assert "Vf Pvt" in refused.value.message
    assert "Arrest Drugs" in refused.value.message
    assert "Arrest Airway" not in refused.value.message
    lesson_open(enrollment=enrollment, lesson=course.lessons_by_slug["vf-pvt"])
    with pytest.raises(CaseRetakeNotOpen, match="Arrest Drugs"):
        case_attempt_start(user=user, case=vf_case)
    lesson_open(enrollment=enrollment, lesson=course.lessons_by_slug["arrest-drugs"])
    _, created = case_attempt_start(user=user, case=vf_case)
    assert created


def test_a_lesson_opened_before_the_failure_is_written_again_when_reopened(
    user, enrollment, vf_case, course, clock
):
    """As the lesson page opens lessons (with the learner's state read first): a
    second opening before the failure writes nothing, the one after it counts."""
    lesson = course.lessons_by_slug["vf-pvt"]

    open_lessons(enrollment, [lesson])
    clock.shift(timedelta(seconds=1))
    open_lessons(enrollment, [lesson])  # nothing failed since: not written
    view = LessonView.objects.get(enrollment=enrollment, lesson=lesson)
    assert view.last_opened_at == view.first_opened_at
    clock.shift(timedelta(seconds=1))
    fail(user, vf_case)
    clock.shift(timedelta(seconds=1))
    with pytest.raises(CaseRetakeNotOpen, match="Vf Pvt"):
        case_attempt_start(user=user, case=vf_case)
    open_lessons(enrollment, [lesson])
    view.refresh_from_db()
    assert view.last_opened_at > view.first_opened_at
    with pytest.raises(CaseRetakeNotOpen) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert "Vf Pvt" not in refused.value.message
    assert "Arrest Drugs" in refused.value.message


def test_a_failure_recorded_without_moving_the_mark_heals_on_the_cases_page(
    learner_client, user, enrollment, vf_case, course, clock
):
    """A failure recorded by a process still running the previous release leaves
    the enrollment's mark behind, so a later opening of a lesson already opened
    since the mark would not be written: the retake rule moves the mark when the
    case's page reads it, and the next opening counts."""
    lesson = course.lessons_by_slug["vf-pvt"]

    open_lessons(enrollment, [lesson])
    mark = Enrollment.objects.get(pk=enrollment.pk).lesson_views_current_from
    clock.shift(timedelta(seconds=1))
    fail(user, vf_case)
    Enrollment.objects.filter(pk=enrollment.pk).update(lesson_views_current_from=mark)
    clock.shift(timedelta(seconds=1))
    open_lessons(enrollment, [lesson])  # under the mark left behind: not written
    # The case's page says what to open first.
    page = learner_client.get(vf_case.get_absolute_url()).content.decode()
    assert "Vf Pvt" in page
    clock.shift(timedelta(seconds=1))
    open_lessons(enrollment, [lesson])
    with pytest.raises(CaseRetakeNotOpen) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert "Vf Pvt" not in refused.value.message


def test_from_the_third_failure_in_a_row_a_cool_down_runs(
    user, enrollment, vf_case, course, clock
):
    def review():
        for slug in ("vf-pvt", "arrest-drugs"):
            lesson_open(enrollment=enrollment, lesson=course.lessons_by_slug[slug])

    for _ in range(2):
        fail(user, vf_case)
        clock.shift(timedelta(seconds=1))
        review()
    fail(user, vf_case)
    clock.shift(timedelta(seconds=1))
    review()
    with pytest.raises(CaseRetakeNotOpen) as refused:
        case_attempt_start(user=user, case=vf_case)
    assert refused.value.code == "case.cooldown"
    assert "15 minutes" in refused.value.message
    clock.shift(timedelta(minutes=15))
    fail(user, vf_case)  # the 4th: one hour
    clock.shift(timedelta(seconds=1))
    review()
    clock.shift(timedelta(minutes=59))
    with pytest.raises(CaseRetakeNotOpen, match="1 hour"):
        case_attempt_start(user=user, case=vf_case)
    clock.shift(timedelta(minutes=1))
    assert case_attempt_start(user=user, case=vf_case)[1]


def test_a_pass_resets_the_count_of_failures(user, enrollment, vf_case, course, clock):
    def review():
        for slug in ("vf-pvt", "arrest-drugs"):
            lesson_open(enrollment=enrollment, lesson=course.lessons_by_slug[slug])

    for _ in range(2):
        fail(user, vf_case)
        clock.shift(timedelta(seconds=1))
        review()
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    for step in load("ed-collapse")["ideal"]:
        do(
            attempt,
            step["do"],
            {k: str(v) for k, v in (step.get("with") or {}).items()},
        )
    attempt.refresh_from_db()
    assert attempt.passed
    fail(user, vf_case)
    clock.shift(timedelta(seconds=1))
    review()
    # One failure since the pass: no cool-down.
    assert case_attempt_start(user=user, case=vf_case)[1]


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_starts_are_rate_limited_per_learner(user):
    for _ in range(10):
        case_rate_limit_hit(user=user, action="start")
    with pytest.raises(CaseRateLimited) as limited:
        case_rate_limit_hit(user=user, action="start")
    assert 0 < limited.value.retry_after <= 600
    # Someone else is not.
    case_rate_limit_hit(user=UserFactory(), action="start")


def test_the_pacing_history_reads_what_its_queryset_reads(
    user, enrollment, vf_case, course
):
    """The learner's finished attempts, compiled once per process (core.prepared,
    issue 19): the same rows as the queryset compiled as usual, not another
    learner's."""
    from cases.selectors.pacing import _history

    failed = fail(user, vf_case)
    values = {"user_id": user.pk, "course_id": course.pk}
    rows = _history(**values)
    assert [row[:3] for row in rows] == [(failed.pk, vf_case.pk, False)]
    assert rows == list(_history.queryset(**values))
    assert _history(user_id=UserFactory().pk, course_id=course.pk) == []
