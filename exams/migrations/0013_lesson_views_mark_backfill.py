"""Backfills courses.Enrollment.lesson_views_current_from for the enrollments that
existed before it was kept (courses 0007 left them null: every opening written).

The mark is the latest moment a retake rule could ask lessons to be opened after:
the enrollment's start, or the learner's latest failed exam attempt or case in the
course, whichever is latest (both retake rules read the learner's history of the
course). Here, as the exams app reads the cases' attempts; courses cannot."""

from django.db import migrations
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest


def _latest_failure(model, *, course, status, at):
    """The learner's latest failure in the enrollment's course (or NULL)."""
    return Subquery(
        model.objects.filter(
            user_id=OuterRef("user_id"),
            **{course: OuterRef("course_id")},
            status=status,
            passed=False,
        )
        .order_by()
        .values("user_id")
        .annotate(at=Max(at))
        .values("at")
    )


def backfill(apps, schema_editor):
    Enrollment = apps.get_model("courses", "Enrollment")
    exam_failed = _latest_failure(
        apps.get_model("exams", "Attempt"),
        course="exam__course_id",
        status="submitted",
        at="submitted_at",
    )
    case_failed = _latest_failure(
        apps.get_model("cases", "CaseAttempt"),
        course="case__course_id",
        status="finished",
        at="finished_at",
    )
    Enrollment.objects.filter(lesson_views_current_from=None).update(
        lesson_views_current_from=Greatest(
            F("enrolled_at"),
            Coalesce(exam_failed, F("enrolled_at")),
            Coalesce(case_failed, F("enrolled_at")),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0012_attempt_admin_list_indexes"),
        ("courses", "0007_enrollment_lesson_views_current_from"),
        ("cases", "0002_case_attempt_admin_list_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
