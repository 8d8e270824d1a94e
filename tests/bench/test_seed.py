"""The scale benchmark's seed (bench/seed.py) writes data the pages can trust: run at a
tiny scale over a small curriculum, every row must obey the rules the real services
keep (the benchmark would otherwise measure pages over impossible data)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from bench.seed import seed_rows
from certificates.models import Certificate, RenewalReminder
from certificates.selectors import certificate_work_owed
from courses.models import Enrollment, LessonProgress
from exams.models import Attempt, AttemptQuestion, Exam
from tests.factories import (
    CourseFactory,
    ExamFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _curriculum() -> None:
    """Three courses named as the seed expects, two modules each."""
    for slug, code in (("bls", "BLS"), ("cpr-aed", "CPR"), ("acls", "ACLS")):
        course = CourseFactory(slug=slug, code=code)
        for order in range(2):
            module = ModuleFactory(course=course, order=order)
            LessonFactory.create_batch(2, module=module, course=course)
            exam = ExamFactory(
                course=course, module=module, kind=Exam.Kind.MODULE, draw_size=3
            )
            QuestionFactory.create_batch(4, exam=exam)
        final = ExamFactory(course=course, draw_size=5, pass_mark=84)
        QuestionFactory.create_batch(6, exam=final)


def test_seed_writes_consistent_learner_data():
    _curriculum()
    counts = seed_rows(scale=0.02)  # 20 learners

    assert User.objects.count() == counts["user"] == 20
    assert counts["attempt"] > 0
    assert AttemptQuestion.objects.count() == counts["item"]
    # Every completed enrollment has its one certificate, and passed its final.
    completed = Enrollment.objects.filter(status="completed")
    assert completed.count() == Certificate.objects.count() == counts["certificate"]
    assert not completed.filter(certificate__isnull=True).exists()
    for enrollment in completed:
        assert enrollment.attempts.filter(exam__module=None, passed=True).exists()
        lessons = enrollment.course.lessons.count()
        assert enrollment.progress.count() == lessons
    # The sweeper finds nothing owed (no certificate, no e-mail missing).
    owed = certificate_work_owed(grace=timedelta(0), now=timezone.now())
    assert not owed.enrollment_ids
    # Scores follow from the answers.
    for attempt in Attempt.objects.annotate(
        n=Count("items"), right=Count("items", filter=Q(items__is_correct=True))
    ):
        assert attempt.question_count == attempt.n
        assert attempt.correct_count == attempt.right
        assert attempt.passed == (attempt.right * 100 >= attempt.pass_mark * attempt.n)
        assert attempt.score == (Decimal(100 * attempt.right) / attempt.n).quantize(
            Decimal("0.01")
        )
    for item in AttemptQuestion.objects.select_related("selected_choice")[:200]:
        chosen = item.choice_for(item.selected_key)
        assert chosen["choice"] == item.selected_choice_id
        assert item.selected_choice.question_id == item.question_id
        assert item.is_correct == item.selected_choice.is_correct == chosen["correct"]
        assert item.question.exam_id == item.attempt.exam_id
    # Foreign keys hold (the copy ran with their triggers off).
    assert not LessonProgress.objects.exclude(
        lesson__course=F("enrollment__course")
    ).exists()
    assert not RenewalReminder.objects.filter(certificate__status="revoked").exists()
    assert (
        AuditEvent.objects.filter(action="certificate.issued").count()
        == (counts["certificate"])
    )
    # New rows still get fresh ids after the copy.
    assert User.objects.create(email="after@example.org").pk > max(
        User.objects.exclude(email="after@example.org").values_list("pk", flat=True)
    )
