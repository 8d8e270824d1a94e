"""The one up-next rule (courses.steps) at every stage of a course, and the pages that
follow it: the first unfinished step in course order (each module's lessons, then its
quiz, as one unit), then the final, then the certificate; progress counts lessons
and exams."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from certificates.services.revocation import certificate_revoke
from courses.models import Enrollment
from courses.selectors import course_plan_for, modules_with_lessons
from courses.services import enrollment_create, lesson_open
from courses.steps import StepKind, StepState, lesson_key
from exams.models import Exam
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, complete_lessons
from tests.factories import CertificateFactory, LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(db):
    return UserFactory(legal_name="Maria Alvarez", profession="nurse")


@pytest.fixture
def enrollment(learner, course) -> Enrollment:
    return enrollment_create(user=learner, course=course)


def lessons(course):
    return list(course.lessons.order_by("module__order", "order"))


def exam(course, title) -> Exam:
    return course.exams.get(title=title)


def plan_of(enrollment, *, detail=False):
    enrollment.refresh_from_db()
    return course_plan_for(
        user=enrollment.user,
        enrollment=enrollment,
        modules=modules_with_lessons(course=enrollment.course),
        detail=detail,
    )


def take(user, exam, *, right=True):
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = answers_for(attempt, correct=None if right else 0)
    return exam_attempt_submit(attempt=attempt, answers=answers)


def study(enrollment, items):
    for lesson in items:
        lesson_open(enrollment=enrollment, lesson=lesson)
    complete_lessons(enrollment, items)


# --- The rule, stage by stage ---------------------------------------------------------


def test_a_new_enrollment_starts_with_the_first_lesson(enrollment, course):
    plan = plan_of(enrollment)
    first = lessons(course)[0]
    assert plan.next.key == lesson_key(first)
    assert plan.next.action == f"Start lesson: {first.title}"
    assert plan.next.where == f"{first.module.title} · lesson 1 of 2"
    # Three lessons and three exams: progress counts both.
    assert (plan.done, plan.total) == (0, 6)
    assert (plan.lessons_total, plan.exams_total) == (3, 3)


def test_the_lesson_opened_last_and_not_finished_is_continued(enrollment, course):
    first, second, _ = lessons(course)
    study(enrollment, [first])
    lesson_open(enrollment=enrollment, lesson=second)
    plan = plan_of(enrollment)
    assert plan.next.key == lesson_key(second)
    assert plan.next.state == StepState.IN_PROGRESS
    assert plan.next.action == f"Continue lesson: {second.title}"


def test_a_finished_lesson_is_never_offered_as_next(enrollment, course):
    first, second, _ = lessons(course)
    study(enrollment, [first])  # opened last, and done
    plan = plan_of(enrollment)
    assert plan.next.key == lesson_key(second)
    assert plan.next.state == StepState.OPEN


def test_a_modules_quiz_follows_its_lessons(enrollment, course):
    study(enrollment, lessons(course)[:2])
    plan = plan_of(enrollment)
    quiz = exam(course, "CPR quiz")
    assert plan.next.key == f"exam-{quiz.pk}"
    assert plan.next.kind == StepKind.QUIZ
    assert plan.next.action == "Start CPR quiz"
    assert plan.next.url == reverse("exams:detail", args=[quiz.pk])
    assert plan.next.post_url == reverse("exams:start", args=[quiz.pk])
    # The quiz sits in its module's card, after the lessons.
    assert [s.kind for s in plan.units[0].steps] == ["lesson", "lesson", "quiz"]
    assert (plan.done, plan.total) == (2, 6)


def test_a_quiz_in_progress_is_resumed(enrollment, learner, course):
    study(enrollment, lessons(course)[:2])
    attempt, _ = exam_attempt_start(user=learner, exam=exam(course, "CPR quiz"))
    plan = plan_of(enrollment)
    assert plan.next.state == StepState.IN_PROGRESS
    assert plan.next.url == attempt.get_absolute_url()
    assert plan.next.action == "Resume CPR quiz"


def test_a_failed_quiz_stays_next_with_review_first(enrollment, learner, course):
    study(enrollment, lessons(course)[:2])
    take(learner, exam(course, "CPR quiz"), right=False)
    quick = plan_of(enrollment)
    assert quick.next.key == f"exam-{exam(course, 'CPR quiz').pk}"
    # The course home's plan says what opens the retake: the lesson to reopen.
    detailed = plan_of(enrollment, detail=True).next
    assert detailed.state == StepState.WAITING
    first = lessons(course)[0]
    assert detailed.url == first.get_absolute_url()
    assert detailed.action == f"Review: {first.title}"
    assert detailed.post_url == ""  # no start offered before the review


def test_a_passed_quiz_leads_to_the_next_module(enrollment, learner, course):
    study(enrollment, lessons(course)[:2])
    take(learner, exam(course, "CPR quiz"))
    plan = plan_of(enrollment)
    assert plan.next.key == lesson_key(lessons(course)[2])
    assert plan.units[0].done and plan.units[0].status == "Done"
    assert (plan.done, plan.exams_done) == (3, 1)


def test_the_final_follows_every_module(enrollment, learner, course):
    study(enrollment, lessons(course))
    take(learner, exam(course, "CPR quiz"))
    take(learner, exam(course, "AED quiz"))
    plan = plan_of(enrollment)
    assert plan.next.kind == StepKind.FINAL
    assert plan.next.action == "Start BLS final exam"
    assert (plan.done, plan.total) == (5, 6)


def test_the_final_stays_locked_while_a_quiz_is_left(enrollment, learner, course):
    study(enrollment, lessons(course))
    take(learner, exam(course, "AED quiz"))
    plan = plan_of(enrollment)
    assert plan.next.key == f"exam-{exam(course, 'CPR quiz').pk}"
    final = plan.closing[0]
    assert final.state == StepState.LOCKED and final.post_url == ""


def test_after_the_final_the_certificate_is_next(
    enrollment, learner, course, django_capture_on_commit_callbacks
):
    study(enrollment, lessons(course))
    with django_capture_on_commit_callbacks(execute=True):
        for title in ("CPR quiz", "AED quiz", "BLS final exam"):
            outcome = take(learner, exam(course, title))
    assert outcome.completed_course
    plan = plan_of(enrollment)
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert plan.next.kind == StepKind.CERTIFICATE
    assert plan.next.title == f"Certificate {certificate.code}"
    assert plan.next.url == reverse("certificates:pdf", args=[certificate.code])
    assert plan.next.action == "Download your certificate (PDF)"
    assert (plan.done, plan.total) == (6, 6)


def test_a_certificate_not_issued_yet_is_being_issued(learner, course):
    completed = Enrollment.objects.create(
        user=learner,
        course=course,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    step = plan_of(completed).next
    assert step.status == "Being issued"
    assert step.refresh and step.action == ""


def test_a_certificate_waiting_for_a_legal_name_asks_for_it(course):
    nameless = UserFactory(legal_name="")
    completed = Enrollment.objects.create(
        user=nameless,
        course=course,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    step = plan_of(completed).next
    assert step.action == "Add your legal name"
    assert step.url == reverse("accounts:profile")
    assert not step.refresh


def test_a_revoked_certificate_is_said_so(learner, course, staff):
    certificate = CertificateFactory(
        enrollment__user=learner, enrollment__course=course
    )
    certificate_revoke(certificate=certificate, by=staff, reason="Issued in error.")
    step = plan_of(certificate.enrollment).next
    assert step.status == "Revoked" and step.url == ""


def test_a_waiting_enrollment_has_nothing_to_do(learner, course, acls):
    waiting = Enrollment.objects.create(
        user=learner, course=acls, status=Enrollment.Status.WAITING
    )
    assert plan_of(waiting).next is None


def test_a_final_passed_before_the_lessons_is_taken_again(enrollment, learner, course):
    first, second, third = lessons(course)
    study(enrollment, [first, second, third])
    take(learner, exam(course, "CPR quiz"))
    take(learner, exam(course, "AED quiz"))
    # A lesson published since: the final's pass did not complete the course.
    new = LessonFactory(module=third.module, slug="aed-new", title="New", order=9)
    take(learner, exam(course, "BLS final exam"))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert plan_of(enrollment).next.key == lesson_key(new)
    study(enrollment, [new])
    again = plan_of(enrollment).next
    assert again.kind == StepKind.FINAL
    assert again.action == "Take BLS final exam again"
    assert "pass it once more" in again.note


# --- "Mark complete and continue" --------------------------------------------------


def test_continue_from_a_modules_last_lesson_goes_to_its_quiz(enrollment, course):
    first, second, _ = lessons(course)
    study(enrollment, [first, second])
    plan = plan_of(enrollment)
    assert plan.following(lesson_key(second)).key == (
        f"exam-{exam(course, 'CPR quiz').pk}"
    )


def test_continue_skips_a_quiz_still_locked_to_the_lesson_left(enrollment, course):
    first, second, _ = lessons(course)
    study(enrollment, [second])  # the first lesson is left: the quiz is locked
    assert plan_of(enrollment).following(lesson_key(second)).key == lesson_key(first)


def test_the_continue_button_posts_to_the_quiz_page(
    client, learner, enrollment, course
):
    first, second, _ = lessons(course)
    study(enrollment, [first])
    client.force_login(learner)
    page = client.get(second.get_absolute_url()).content.decode()
    where = f"{second.module.title} · module quiz"
    assert f"Up next: {where}: <strong>CPR quiz</strong>" in page
    response = client.post(
        reverse("courses:lesson_complete", args=["bls", "adult-cpr", second.slug])
    )
    quiz = exam(course, "CPR quiz")
    assert response["Location"] == reverse("exams:detail", args=[quiz.pk])
    page = client.get(response["Location"]).content.decode()
    assert f'action="/exams/{quiz.pk}/start/"' in page
    assert "Start CPR quiz" in page


# --- Pages --------------------------------------------------------------------------


def test_the_course_home_leads_with_the_up_next_step(
    client, learner, enrollment, course
):
    study(enrollment, lessons(course)[:2])
    client.force_login(learner)
    page = client.get(reverse("courses:home", args=["bls"])).content.decode()
    quiz = exam(course, "CPR quiz")
    up_next = page.split('id="up-next"', 1)[1].split("</section>", 1)[0]
    assert f'data-up-next="exam-{quiz.pk}"' in page
    assert "Start CPR quiz" in up_next
    assert "Progress: 2 of 6 steps done (2 of 3 lessons, 0 of 3 exams)" in page
    # One card per module, listing its lessons and its quiz: no separate exam grid.
    assert page.count('class="card unit') == 2
    assert 'id="exams-heading"' not in page


def test_a_passed_quiz_result_leads_with_the_next_module(
    client, learner, enrollment, course
):
    study(enrollment, lessons(course)[:2])
    attempt = take(learner, exam(course, "CPR quiz")).attempt
    client.force_login(learner)
    page = client.get(attempt.get_absolute_url()).content.decode()
    third = lessons(course)[2]
    up_next = page.index('id="up-next"')
    assert f"Start lesson: {third.title}" in page[up_next:]
    # "Take it again" is offered, but after the next step and never as the main one.
    again = page.index("Take it again")
    assert again > page.index(f"Start lesson: {third.title}")
    assert 'class="btn btn-link">Take it again' in page


def test_a_failed_quiz_result_leads_with_review_then_retake(
    client, learner, enrollment, course
):
    study(enrollment, lessons(course)[:2])
    attempt = take(learner, exam(course, "CPR quiz"), right=False).attempt
    client.force_login(learner)
    page = client.get(attempt.get_absolute_url()).content.decode()
    assert "Up next: review, then retake" in page
    assert page.index("Up next: review, then retake") < page.index("To review")
    assert "Take it again" not in page


def test_the_final_result_leads_to_the_certificate(
    client, learner, enrollment, course, django_capture_on_commit_callbacks
):
    study(enrollment, lessons(course))
    take(learner, exam(course, "CPR quiz"))
    take(learner, exam(course, "AED quiz"))
    with django_capture_on_commit_callbacks(execute=True):
        attempt = take(learner, exam(course, "BLS final exam")).attempt
    client.force_login(learner)
    page = client.get(attempt.get_absolute_url()).content.decode()
    code = Certificate.objects.get(enrollment=enrollment).code
    assert "Up next: your certificate" in page
    assert f'href="/certificates/{code}/pdf/"' in page


def test_a_certificate_being_issued_refreshes_itself_without_inline_script(
    client, learner, course
):
    Enrollment.objects.create(
        user=learner,
        course=course,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    client.force_login(learner)
    page = client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert 'data-refresh-seconds="4"' in page
    assert '<script src="/static/js/refresh.js" defer></script>' in page
    assert "<script>" not in page and 'http-equiv="refresh"' not in page


@pytest.mark.parametrize("failed", [False, True], ids=["open-quiz", "failed-quiz"])
def test_the_lesson_page_reads_the_next_step_in_a_fixed_number_of_queries(
    client, learner, enrollment, course, failed, django_assert_max_num_queries
):
    first, second, _ = lessons(course)
    study(enrollment, [first, second])
    if failed:
        take(learner, exam(course, "CPR quiz"), right=False)
    client.force_login(learner)
    # Session, user, course (+ prerequisites), enrollment, lesson, modules and
    # lessons, the opening (upsert, last lesson), completed lessons, exams, attempts,
    # the required case simulations (issue 16).
    with django_assert_max_num_queries(14):
        page = client.get(second.get_absolute_url()).content.decode()
    assert "<strong>CPR quiz</strong>" in page  # where "Continue" leads


def _done_sets(ids: list[int]):
    for mask in range(1 << len(ids)):
        yield {pk for bit, pk in enumerate(ids) if mask & (1 << bit)}


def test_the_lesson_pages_shortcut_gives_what_the_whole_plan_gives(
    enrollment, learner, course
):
    """The lesson page skips the step sources when a later lesson of the module is
    left (courses.steps.lesson_following, through continue_from): for every lesson
    and every set of lessons done, its answer is the plan's own, and it has none where only the plan knows
    (a module's last lesson leads to its quiz)."""
    # A module of four lessons (and a draft, which staff see), so a later lesson
    # may be done or not whatever the ones between.
    first = course.modules.order_by("order").first()
    LessonFactory(module=first, slug="third", title="Third lesson", order=3)
    LessonFactory(module=first, slug="fourth", title="Fourth lesson", order=4)
    LessonFactory(module=first, slug="draft", order=5, is_published=False)
    for drafts in (False, True):
        _shortcut_matches_the_plan(enrollment, learner, course, drafts)


def _shortcut_matches_the_plan(enrollment, learner, course, drafts):
    from courses.steps import (
        assuming_done,
        continue_from,
        course_plan,
        lesson_following,
    )

    modules = modules_with_lessons(course=course, include_drafts=drafts)
    all_lessons = [lesson for module in modules for lesson in module.visible_lessons]
    assert len(all_lessons) == 5 + drafts
    shortcuts = 0
    for current in all_lessons:
        for done in _done_sets([lesson.pk for lesson in all_lessons]):
            shortcut = lesson_following(
                modules=modules,
                lesson=current,
                done_ids=done,
                last_lesson_id=current.pk,
            )
            enrollment.last_lesson_id = current.pk
            plan = course_plan(
                user=learner,
                enrollment=enrollment,
                modules=modules,
                done_ids=assuming_done(done, current),
            )
            whole = plan.following(lesson_key(current))
            # What the lesson page shows: the shortcut, else the whole plan.
            assert (
                continue_from(
                    user=learner,
                    enrollment=enrollment,
                    modules=modules,
                    lesson=current,
                    done_ids=done,
                )
                == whole
            ), (current, done)
            if shortcut is not None:
                shortcuts += 1
                assert shortcut == whole, (current, done)
            else:  # no later lesson of the module is left: the plan names none
                later = {
                    lesson_key(lesson)
                    for lesson in all_lessons[all_lessons.index(current) + 1 :]
                    if lesson.module_id == current.module_id
                }
                assert whole is None or whole.key not in later, (current, done)
    assert shortcuts  # the shortcut was taken somewhere


def test_each_learner_starts_a_quiz_from_the_course_home_with_their_own_token(
    learner, course
):
    """The course home's steps are rendered once and kept (courses/templatetags/
    steps.py), except a step whose button posts: it carries the request's CSRF
    token. Two learners, one after the other, each start the quiz with the token
    their own page gave them."""
    import re

    from django.test import Client

    quiz = exam(course, "CPR quiz")
    for person in (learner, UserFactory(legal_name="Sam Okafor")):
        enrollment = enrollment_create(user=person, course=course)
        first, second, _ = lessons(course)
        study(enrollment, [first, second])
        client = Client(enforce_csrf_checks=True)
        client.force_login(person)
        page = client.get(reverse("courses:home", args=[course.slug])).content.decode()
        # The quiz's own step in its module's list (the up-next card above it has
        # a button of its own).
        step = page[page.index(f'id="exam-{quiz.pk}"') :]
        start = reverse("exams:start", args=[quiz.pk])
        form = re.match(
            rf'[^<]*>.*?<form method="post" action="{start}">\s*<input type="hidden" '
            r'name="csrfmiddlewaretoken" value="([^"]+)"',
            step,
            re.DOTALL,
        )
        assert form, "the quiz's step has its start button"
        response = client.post(start, {"csrfmiddlewaretoken": form.group(1)})
        assert response.status_code == 302, response.status_code
        assert quiz.attempts.filter(user=person).exists()
