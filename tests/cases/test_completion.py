"""Required case simulations in the course: the final exam stays locked until they
are passed, the up-next rule leads to them at the right moment, completion checks
them again, and the certificate says it includes a simulated case assessment."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.urls import reverse

from cases.forms import action_post
from cases.models import CaseAttempt
from certificates.models import Certificate
from certificates.selectors import SCOPE_CASES, SCOPE_ONLINE_ONLY, certificate_facts
from certificates.services.issuing import certificate_pdf_ensure
from courses.models import Enrollment, Module
from courses.selectors import course_plan_for, modules_with_lessons
from courses.steps import StepKind
from exams.errors import ExamRefused
from exams.models import Exam
from exams.selectors import enrollment_requirements_met
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.cases.app_helpers import make_case, play, start, text
from tests.cases.engine_helpers import load
from tests.exams.conftest import answers_for, complete_lessons, make_bank
from tests.factories import CourseFactory, EnrollmentFactory, ExamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exams(course):
    module = Module.objects.get(course=course)
    quiz = ExamFactory(
        course=course, module=module, kind=Exam.Kind.MODULE, title="Arrest quiz"
    )
    make_bank(quiz, 3, lesson=course.lessons_by_slug["vf-pvt"])
    final = ExamFactory(course=course, title="Simulation final")
    make_bank(final, 3, lesson=course.lessons_by_slug["vf-pvt"])
    return quiz, final


@pytest.fixture
def required_case(course):
    return make_case(course, "ed-collapse", required=True)


def take(user, exam, *, right=True):
    attempt, _ = exam_attempt_start(user=user, exam=exam)
    answers = answers_for(attempt, correct=None if right else 0)
    return exam_attempt_submit(attempt=attempt, answers=answers)


@pytest.fixture
def at_the_final(user, enrollment, exams):
    """Every lesson done and the module quiz passed: only the final is left."""
    complete_lessons(enrollment)
    take(user, exams[0])
    return enrollment


def plan(user, enrollment):
    return course_plan_for(
        user=user,
        enrollment=enrollment,
        modules=modules_with_lessons(course=enrollment.course),
        detail=True,
    )


def test_the_final_is_locked_until_the_required_cases_are_passed(
    user, at_the_final, exams, required_case, learner
):
    final = exams[1]
    with pytest.raises(ExamRefused) as refused:
        exam_attempt_start(user=user, exam=final)
    assert refused.value.code == "exam.cases_left"
    assert refused.value.message.startswith("Pass the required case simulations first")
    attempt = play(learner, start(learner, required_case), load("ed-collapse")["ideal"])
    assert attempt.passed
    assert exam_attempt_start(user=user, exam=final)[1]


def test_up_next_leads_to_the_case_after_the_modules_and_before_the_final(
    user, enrollment, at_the_final, required_case, learner
):
    steps = plan(user, enrollment)
    assert steps.next.kind == StepKind.CASE
    assert steps.next.title == "Case simulation: Collapse in the waiting room"
    assert [s.kind for s in steps.closing] == [StepKind.CASE, StepKind.FINAL]
    assert steps.closing[1].note.startswith("Pass the required case simulations")
    home = text(learner.get(reverse("courses:home", args=["sim"])).content.decode())
    assert "Up next" in home and "Case simulation: Collapse in the waiting room" in home
    assert "1 case simulation" in steps.progress_label
    play(learner, start(learner, required_case), load("ed-collapse")["ideal"])
    steps = plan(user, enrollment)
    assert steps.next.kind == StepKind.FINAL
    assert steps.closing[0].status == "Passed"


def test_lessons_come_first_in_the_up_next_rule(user, enrollment, exams, required_case):
    assert plan(user, enrollment).next.kind == StepKind.LESSON


def test_a_practice_case_is_no_step_and_never_locks_the_final(
    user, at_the_final, exams, course
):
    make_case(course, "ed-collapse")  # not required
    assert plan(user, at_the_final).next.kind == StepKind.FINAL
    assert exam_attempt_start(user=user, exam=exams[1])[1]


def test_completion_checks_the_required_cases_again(
    user, at_the_final, exams, course, learner, mailoutbox
):
    # The final opened before the case was required (content changed meanwhile).
    attempt, _ = exam_attempt_start(user=user, exam=exams[1])
    case = make_case(course, "ed-collapse", required=True)
    outcome = exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert outcome.attempt.passed and not outcome.completed_course
    at_the_final.refresh_from_db()
    assert at_the_final.status == Enrollment.Status.ACTIVE
    assert not enrollment_requirements_met(enrollment=at_the_final)
    # Passing the case is what was left: the course completes with it.
    played = start(learner, case)
    for step in load("ed-collapse")["ideal"][:-1]:
        play(learner, played, [step])
    played.refresh_from_db()
    last = load("ed-collapse")["ideal"][-1]
    response = learner.post(
        reverse("cases:act", args=[played.pk]),
        action_post(last, played.event_count),
        follow=True,
    )
    assert "you have completed Simulation course" in text(response.content.decode())
    at_the_final.refresh_from_db()
    assert at_the_final.status == Enrollment.Status.COMPLETED
    assert CaseAttempt.objects.get(pk=played.pk).passed


def pdf_text(certificate) -> str:
    certificate = certificate_pdf_ensure(certificate=certificate)
    certificate.pdf.open("rb")
    try:
        reader = pypdf.PdfReader(io.BytesIO(certificate.pdf.read()))
    finally:
        certificate.pdf.close()
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_certificate_states_the_simulated_case_assessment(
    user,
    at_the_final,
    exams,
    required_case,
    learner,
    client,
    django_capture_on_commit_callbacks,
):
    play(learner, start(learner, required_case), load("ed-collapse")["ideal"])
    with django_capture_on_commit_callbacks(execute=True):
        outcome = take(user, exams[1])
    assert outcome.completed_course
    certificate = Certificate.objects.get(enrollment=at_the_final)
    assert certificate.includes_case_assessment
    facts = certificate_facts(certificate)
    assert facts.scope == f"{SCOPE_ONLINE_ONLY} {SCOPE_CASES}"
    assert SCOPE_CASES == "Includes simulated case assessment."
    assert SCOPE_CASES in pdf_text(certificate)
    verify = client.get(certificate.get_absolute_url())
    assert SCOPE_CASES in text(verify.content.decode())


def test_a_course_without_required_cases_says_nothing_of_them(
    user, at_the_final, exams, course, django_capture_on_commit_callbacks
):
    make_case(course, "ed-collapse")  # practice only
    with django_capture_on_commit_callbacks(execute=True):
        assert take(user, exams[1]).completed_course
    certificate = Certificate.objects.get(enrollment=at_the_final)
    assert not certificate.includes_case_assessment
    assert certificate_facts(certificate).scope == SCOPE_ONLINE_ONLY


def test_required_cases_passed_is_one_query_per_learner_and_exact(
    user, enrollment, course, django_assert_num_queries, learner
):
    from cases.selectors import required_cases_passed_for

    first = make_case(course, "ed-collapse", required=True)
    make_case(course, "mall-collapse", slug="second", required=True)
    other = EnrollmentFactory(user=user, course=CourseFactory(slug="other"))
    with django_assert_num_queries(1):
        answer = required_cases_passed_for(enrollments=[enrollment, other])
    assert answer == {enrollment.pk: False, other.pk: True}
    play(learner, start(learner, first), load("ed-collapse")["ideal"])
    assert not required_cases_passed_for(enrollments=[enrollment])[enrollment.pk]
