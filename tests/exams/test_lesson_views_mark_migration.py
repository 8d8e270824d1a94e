"""exams 0013 gives the enrollments from before the lesson-views mark was kept the
mark their history implies (the latest of their start and the learner's failed exam
attempts and cases in the course), so no earlier opening passes for one made after
a failure. The suite runs without migrations: the migration's function is run on
the current models, which hold the same fields."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from courses.models import Enrollment
from exams.models import Attempt
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

backfill = importlib.import_module(
    "exams.migrations.0013_lesson_views_mark_backfill"
).backfill


def test_each_old_enrollment_gets_the_mark_its_failures_imply(
    user, module_exam, studied
):
    course = module_exam.course
    now = timezone.now()
    failed = studied
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    exam_attempt_submit(attempt=attempt, answers=answers_for(attempt, correct=0))
    failed_at = Attempt.objects.get(pk=attempt.pk).submitted_at
    other = EnrollmentFactory(user=user, course=CourseFactory())
    fresh = EnrollmentFactory(user=UserFactory(), course=course)
    kept = EnrollmentFactory(user=UserFactory(), course=course)
    Enrollment.objects.exclude(pk=kept.pk).update(lesson_views_current_from=None)
    Enrollment.objects.filter(pk=fresh.pk).update(enrolled_at=now - timedelta(days=3))
    kept_mark = Enrollment.objects.get(pk=kept.pk).lesson_views_current_from

    backfill(apps, None)

    marks = dict(Enrollment.objects.values_list("pk", "lesson_views_current_from"))
    assert marks[failed.pk] == failed_at  # the latest failure
    assert marks[other.pk] == Enrollment.objects.get(pk=other.pk).enrolled_at
    assert marks[fresh.pk] == now - timedelta(days=3)  # no failure: its start
    assert marks[kept.pk] == kept_mark  # one already kept is left alone
