"""Paced retakes, never a lock-out: after a failure the retake opens once the lessons
it names were opened since; from the third failure in a row a cool-down comes first
(15 minutes, 1 hour, then 4 hours; per exam in content; reset by a pass; staff can
lift it). Exam starts and submits are rate-limited per learner."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.urls import reverse

from audit.models import AuditEvent
from core import ratelimit
from courses.models import Enrollment
from curriculum.services import content_sync
from exams.models import Attempt, CooldownClearance, Exam
from exams.selectors import exam_pacing_for
from exams.services import (
    RetakeNotOpen,
    exam_attempt_start,
    exam_attempt_submit,
    exam_cooldown_clear,
)
from tests.exams.conftest import answers_for, as_post, open_lessons, ready_to_retake
from tests.outages import closed_port_url

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def fail(user, exam) -> Attempt:
    """Starts (or resumes the open attempt) and submits it with every answer wrong."""
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    return exam_attempt_submit(
        attempt=attempt, answers=answers_for(attempt, correct=0)
    ).attempt


def start_refusal(user, exam) -> RetakeNotOpen | None:
    try:
        exam_attempt_start(user=user, exam=exam)
    except RetakeNotOpen as refused:
        return refused
    return None


def test_a_retake_opens_once_the_lessons_named_are_opened_after_the_failure(
    learner_client, user, module_exam, studied, clock
):
    lesson = module_exam.module.lessons.order_by("order").first()
    # Opened before the attempt: it does not count for the retake.
    open_lessons(studied, [lesson])
    clock.shift(MINUTE)
    fail(user, module_exam)
    refused = start_refusal(user, module_exam)
    assert refused.code == "exam.review_lessons_first"
    assert f"open the lesson that teaches what you missed: “{lesson.title}”" in (
        refused.message
    )
    assert Attempt.objects.count() == 1
    # The web start says the same, and nothing is started.
    response = learner_client.post(
        reverse("exams:start", args=[module_exam.pk]), follow=True
    )
    assert f"“{lesson.title}”" in unescape(response.content.decode())
    assert Attempt.objects.count() == 1
    # Opening the lesson's page (a GET, recorded by the server) opens the retake.
    clock.shift(MINUTE)
    learner_client.get(lesson.get_absolute_url())
    assert start_refusal(user, module_exam) is None
    assert Attempt.objects.count() == 2


def test_a_failure_graded_without_moving_the_mark_heals_on_the_refusals_page(
    learner_client, user, module_exam, studied, clock
):
    """A failure graded by a process still running the previous release leaves the
    enrollment's mark behind, so reopening a lesson opened since the mark would not
    be written: the retake rule moves the mark when it sees the failure, and the
    next opening of the lesson's page opens the retake. A refused start rolls its
    move back; the exam's page the refusal shows moves it for good."""
    lesson = module_exam.module.lessons.order_by("order").first()
    learner_client.get(lesson.get_absolute_url())
    mark = Enrollment.objects.get(pk=studied.pk).lesson_views_current_from
    clock.shift(MINUTE)
    fail(user, module_exam)
    Enrollment.objects.filter(pk=studied.pk).update(lesson_views_current_from=mark)
    clock.shift(MINUTE)
    learner_client.get(lesson.get_absolute_url())  # under the mark: not written
    # The learner tries to start it: refused, and the exam's page says why.
    refused = learner_client.post(
        reverse("exams:start", args=[module_exam.pk]), follow=True
    )
    assert f"open the lesson that teaches what you missed: “{lesson.title}”" in (
        unescape(refused.content.decode())
    )
    clock.shift(MINUTE)
    learner_client.get(lesson.get_absolute_url())
    assert start_refusal(user, module_exam) is None


def test_cooldowns_follow_the_schedule_and_a_pass_resets_them(
    user, module_exam, studied, clock
):
    expected = {1: None, 2: None, 3: 15, 4: 60, 5: 240, 6: 240, 7: 240}
    for failures, minutes in expected.items():
        failed = fail(user, module_exam)
        open_lessons(studied)  # what the retake asks, but not the wait
        pacing = exam_pacing_for(exam=module_exam, enrollment=studied)
        assert (pacing.failures_in_a_row, pacing.cooldown_minutes) == (
            failures,
            minutes,
        )
        if minutes is None:
            assert start_refusal(user, module_exam) is None
            continue
        assert pacing.opens_at == failed.submitted_at + minutes * MINUTE
        clock.move_to(pacing.opens_at - timedelta(seconds=1))
        refused = start_refusal(user, module_exam)
        assert refused.code == "exam.cooldown"
        assert f"last {failures} attempts" in refused.message
        assert f"{pacing.opens_at:%B %-d, %Y, %-I:%M %p} UTC" in refused.message
        clock.move_to(pacing.opens_at)
        assert start_refusal(user, module_exam) is None
    # Still open from the last loop: pass it. The next failure is the first again.
    attempt = Attempt.objects.get(status=Attempt.Status.OPEN)
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    ready_to_retake(user, module_exam)
    fail(user, module_exam)
    ready_to_retake(user, module_exam)
    pacing = exam_pacing_for(exam=module_exam, enrollment=studied)
    assert (pacing.failures_in_a_row, pacing.opens_at) == (1, None)
    assert start_refusal(user, module_exam) is None


def test_an_exams_own_schedule_from_content_applies(user, module_exam, studied, clock):
    module_exam.cooldown_minutes = [5, 30]
    module_exam.save()
    waits = []
    for _ in range(5):
        ready_to_retake(user, module_exam, clock)
        fail(user, module_exam)
        waits.append(
            exam_pacing_for(exam=module_exam, enrollment=studied).cooldown_minutes
        )
    assert waits == [None, None, 5, 30, 30]


def test_staff_clear_a_cooldown_in_the_admin_and_the_trail_records_who_and_when(
    staff_client, staff, user, module_exam, studied, clock
):
    for _ in range(3):
        ready_to_retake(user, module_exam, clock)
        last = fail(user, module_exam)
    open_lessons(studied)
    assert start_refusal(user, module_exam).code == "exam.cooldown"
    url = reverse("admin:exams_attempt_changelist")
    response = staff_client.post(
        url, {"action": "clear_cooldown", "_selected_action": [last.pk]}, follow=True
    )
    assert "1 cool-down cleared" in response.content.decode()
    clearance = CooldownClearance.objects.get()
    assert (clearance.attempt, clearance.cleared_by) == (last, staff)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXAM_COOLDOWN_CLEARED)
    assert (event.actor, event.subject, event.interface) == (staff, user, "admin")
    assert event.target_id == str(last.pk)
    assert event.created_at == clearance.cleared_at
    assert event.data["failures_in_a_row"] == 3
    # Nothing left to clear: no second record.
    staff_client.post(url, {"action": "clear_cooldown", "_selected_action": [last.pk]})
    assert AuditEvent.objects.filter(action=event.action).count() == 1
    # The learner may start at once; the next failure continues the schedule.
    assert start_refusal(user, module_exam) is None
    attempt = Attempt.objects.get(status=Attempt.Status.OPEN)
    exam_attempt_submit(attempt=attempt, answers={})
    assert exam_pacing_for(exam=module_exam, enrollment=studied).cooldown_minutes == 60


def test_clearing_when_no_cooldown_runs_changes_nothing(
    staff, user, module_exam, studied
):
    fail(user, module_exam)
    assert exam_cooldown_clear(user=user, exam=module_exam, by=staff) is None
    assert not CooldownClearance.objects.exists()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.EXAM_COOLDOWN_CLEARED
    ).exists()


def test_the_course_home_and_the_result_say_when_the_next_attempt_opens_and_why(
    learner_client, user, module_exam, studied, clock
):
    for _ in range(3):
        ready_to_retake(user, module_exam, clock)
        last = fail(user, module_exam)
    lesson = module_exam.module.lessons.order_by("order").first()
    opens_at = last.submitted_at + 15 * MINUTE
    start_button = f'action="/exams/{module_exam.pk}/start/"'
    for url in (
        reverse("courses:home", args=["bls"]),
        reverse("exams:attempt", args=[last.pk]),
    ):
        page = unescape(learner_client.get(url).content.decode())
        assert f'<a href="{lesson.get_absolute_url()}">{lesson.title}</a>' in page
        assert (
            f"after a break of 15 minutes, at {opens_at:%B %-d, %Y, %-I:%M %p} UTC"
            in page
        )
        assert start_button not in page
    learner_client.get(lesson.get_absolute_url())
    clock.move_to(opens_at)
    for url in (
        reverse("courses:home", args=["bls"]),
        reverse("exams:attempt", args=[last.pk]),
    ):
        page = learner_client.get(url).content.decode()
        assert "data-retake-wait" not in page
        assert start_button in page


# --- Rate limits ---------------------------------------------------------------------


def test_exam_starts_are_limited_per_learner_with_a_clear_429(
    learner_client, user, module_exam, studied, clock
):
    url = reverse("exams:start", args=[module_exam.pk])
    for _ in range(10):  # the open attempt, resumed
        assert learner_client.post(url).status_code == 302
    response = learner_client.post(url)
    assert response.status_code == 429
    page = unescape(response.content.decode())
    assert "Please slow down" in page
    assert "You have started exams 10 times in the last 10 minutes" in page
    assert 0 < int(response["Retry-After"]) <= 600
    clock.shift(timedelta(seconds=int(response["Retry-After"])))
    assert learner_client.post(url).status_code == 302


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_exam_submits_are_limited_and_saving_answers_is_not(learner_client, attempt):
    url = reverse("exams:attempt", args=[attempt.pk])
    for _ in range(30):
        saved = learner_client.post(url, as_post(answers_for(attempt), action="save"))
        assert saved.status_code == 302
    for _ in range(20):  # one grades, the others find it graded
        assert learner_client.post(url, as_post({})).status_code == 302
    response = learner_client.post(url, as_post({}))
    assert response.status_code == 429
    assert "You have submitted exams 20 times" in unescape(response.content.decode())


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_the_limit_is_per_learner(client, module_exam, bls):
    from tests.factories import EnrollmentFactory

    url = reverse("exams:start", args=[module_exam.pk])
    for _ in range(2):
        enrollment = EnrollmentFactory(course=bls)
        client.force_login(enrollment.user)
        statuses = [client.post(url).status_code for _ in range(11)]
        assert statuses == [302] * 10 + [429]


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_starts_stay_limited_while_redis_is_down(
    learner_client, module_exam, studied, settings, monkeypatch
):
    monkeypatch.setattr(ratelimit, "_local", LocMemCache("test-exam-limit", {}))
    monkeypatch.setattr(ratelimit, "_shared_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": closed_port_url(),
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    url = reverse("exams:start", args=[module_exam.pk])
    statuses = [learner_client.post(url).status_code for _ in range(11)]
    assert statuses == [302] * 10 + [429]


# --- Content -------------------------------------------------------------------------


def test_sync_reads_and_checks_the_cooldowns_field(tmp_path):
    from tests.curriculum.test_content import QUIZ, build_tree, replace_line

    tree = build_tree(tmp_path)
    content_sync(root=tree)
    quiz = Exam.objects.get(kind=Exam.Kind.MODULE, course__slug="bls")
    assert quiz.cooldown_minutes == [15, 60, 240]
    replace_line(tree, QUIZ, "draw: 2\n", "draw: 2\ncooldowns: [5, 30]\n")
    content_sync(root=tree)
    quiz.refresh_from_db()
    assert quiz.cooldown_minutes == [5, 30]
    assert not quiz.edited_since_sync
    from curriculum.services import ContentError

    for bad, message in (
        ("[30, 5]", "must not get shorter"),
        ("[0]", "whole numbers of minutes from 1 to 10080"),
        ("[]", "whole numbers of minutes"),
        ("15", "must be a list"),
    ):
        replace_line(tree, QUIZ, "cooldowns: [5, 30]", f"cooldowns: {bad}")
        with pytest.raises(ContentError) as error:
            content_sync(root=tree)
        assert f"{QUIZ}:4:" in str(error.value) and message in str(error.value)
        replace_line(tree, QUIZ, f"cooldowns: {bad}", "cooldowns: [5, 30]")
