"""Each prepared query of the exam and certificate pages (core.prepared) reads what
the same queryset compiled as usual reads, for a learner with a submitted attempt,
an open one whose time is up, certificates and an approved outside card, and
nothing of another learner (issue 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from certificates import selectors as certificate_selectors
from certificates.models import ExternalCertificate
from core.dates import site_today
from exams.models import Attempt
from exams.selectors import attempts as attempt_selectors
from exams.selectors import pacing as pacing_selectors
from exams.services import answers as answer_services
from exams.services import exam_attempt_start, exam_attempt_submit
from tests.exams.conftest import answers_for, complete_lessons
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    ExternalCertificateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _comparable(rows: list) -> list:
    """Rows as plain values: a model instance as its class and field values (with
    annotations and the related objects select_related loaded)."""
    out = []
    for row in rows:
        if hasattr(row, "_state"):
            values = {k: v for k, v in vars(row).items() if not k.startswith("_")}
            related = {
                name: _comparable([value])[0]
                for name, value in row._state.fields_cache.items()
                if value is not None
            }
            out.append((type(row).__name__, values, related))
        else:
            out.append(row)
    return out


@pytest.fixture
def learner(module_exam, final_exam):
    """A passed module exam, an open final whose time is up, two certificates of
    ours and an approved outside card; another learner with the same."""
    users = []
    for _ in range(2):
        enrollment = EnrollmentFactory(course=module_exam.course)
        complete_lessons(enrollment)
        user = enrollment.user
        attempt, _ = exam_attempt_start(user=user, exam=module_exam)
        exam_attempt_submit(attempt=attempt, answers=answers_for(attempt))
        final, _ = exam_attempt_start(user=user, exam=final_exam)
        Attempt.objects.filter(pk=final.pk).update(
            deadline=timezone.now() - timedelta(hours=1)
        )
        CertificateFactory(enrollment__user=user)
        CertificateFactory(enrollment__user=user, enrollment__course=module_exam.course)
        ExternalCertificateFactory(
            user=user,
            course=module_exam.course,
            status=ExternalCertificate.Status.APPROVED,
            reviewed_at=timezone.now(),
        )
        users.append(user)
    return users[0]


def _cases(user, module_exam, final_exam):
    final = Attempt.objects.get(user=user, exam=final_exam)
    cut = timezone.now() - attempt_selectors.DEADLINE_GRACE
    untimed = cut - attempt_selectors.UNTIMED_ATTEMPT_LIFETIME
    course_id = module_exam.course_id
    return [
        (certificate_selectors._latest_current, {"today": site_today()}),
        (certificate_selectors._certificates_of, {}),
        (certificate_selectors._certificates_following, {}),
        (
            attempt_selectors._expired_in_course,
            {"course_id": course_id, "cut": cut, "untimed_cut": untimed},
        ),
        (
            attempt_selectors._expired_of_exam,
            {"exam_id": final_exam.pk, "cut": cut, "untimed_cut": untimed},
        ),
        (attempt_selectors._attempt_owned, {"attempt_id": final.pk}),
        (attempt_selectors._questions_shown, {"attempt_id": final.pk}),
        (pacing_selectors._history, {"course_id": course_id}),
        (answer_services._attempt_locked, {"attempt_id": final.pk}),
        (answer_services._item_at, {"attempt_id": final.pk, "position": 2}),
    ]


def test_each_prepared_query_reads_what_its_queryset_reads(
    learner, module_exam, final_exam
):
    for query, values in _cases(learner, module_exam, final_exam):
        if "user_id" in query.params:
            values = {**values, "user_id": learner.pk}
        with transaction.atomic():  # the autosave's lock needs one
            rows = query(**values)
            expected = list(query.queryset(**values))
        assert rows, f"{query.__name__}: the fixture gives it something to read"
        assert _comparable(rows) == _comparable(expected), query.__name__
        if "user_id" in query.params:
            stranger = {**values, "user_id": UserFactory().pk}
            with transaction.atomic():
                assert query(**stranger) == [], query.__name__


@pytest.mark.parametrize(
    "scope", [{}, {"exam_id": 1, "course_id": 1}], ids=["neither", "both"]
)
def test_the_expired_attempts_are_read_for_one_exam_or_one_course(scope):
    """Never for all of a learner's attempts by omission, nor with a filter
    silently dropped."""
    with pytest.raises(ValueError, match="one exam or one course"):
        attempt_selectors.learner_attempts_expired(user_id=1, **scope)
