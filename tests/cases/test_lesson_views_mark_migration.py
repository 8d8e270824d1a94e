"""exams 0013 reads the cases' history as well as the exams': an enrollment whose
learner's latest failure in the course is a case gets that case's end as its mark
(tests/exams/test_lesson_views_mark_migration.py has the exams' side). The suite
runs without migrations: the migration's function is run on the current models."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from courses.models import Enrollment
from tests.cases.test_services import fail

pytestmark = pytest.mark.django_db

backfill = importlib.import_module(
    "exams.migrations.0013_lesson_views_mark_backfill"
).backfill


def test_an_old_enrollment_gets_its_failed_case_as_its_mark(
    user, enrollment, vf_case, clock
):
    clock.shift(timedelta(minutes=5))
    failed = fail(user, vf_case)
    assert failed.finished_at > enrollment.enrolled_at
    Enrollment.objects.update(lesson_views_current_from=None)

    backfill(apps, None)

    enrollment.refresh_from_db()
    assert enrollment.lesson_views_current_from == failed.finished_at
