"""An "Enrol" click reads the open enrollment without a lock; the worker that issues
the prerequisite may activate and complete that enrollment before the click writes.
The click must not reopen it, nor record the activation twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from courses import services as course_services
from courses.models import Enrollment
from courses.services import enrollment_create
from tests.factories import CertificateFactory, CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _race(monkeypatch, *, completes: bool):
    """Enrol in ACLS while its waiting enrollment is activated (and, if `completes`,
    completed) by a worker whose commit lands between the click's two reads."""
    bls = CourseFactory(slug="bls-race", code="BLSX")
    acls = CourseFactory(slug="acls-race", code="ACLSX", prerequisites=[bls])
    learner = UserFactory()
    waiting = Enrollment.objects.create(
        user=learner, course=acls, status=Enrollment.Status.WAITING
    )
    real = course_services.prerequisites_missing

    def concurrent_commit(*, user, course, held=None):
        CertificateFactory(enrollment__user=learner, enrollment__course=bls)
        if completes:
            Enrollment.objects.filter(pk=waiting.pk).update(
                status=Enrollment.Status.COMPLETED, completed_at=timezone.now()
            )
        else:
            Enrollment.objects.filter(pk=waiting.pk).update(
                status=Enrollment.Status.ACTIVE, activated_at=timezone.now()
            )
        return real(user=user, course=course, held=held)

    monkeypatch.setattr(course_services, "prerequisites_missing", concurrent_commit)
    returned = enrollment_create(user=learner, course=acls)
    waiting.refresh_from_db()
    return waiting, returned


def test_enrol_click_racing_an_activation_does_not_reopen_a_completed_enrollment(
    monkeypatch,
):
    waiting, returned = _race(monkeypatch, completes=True)
    assert waiting.status == Enrollment.Status.COMPLETED
    assert returned.status == Enrollment.Status.COMPLETED
    activated = AuditEvent.objects.filter(
        action=AuditEvent.Action.ENROLLMENT_ACTIVATED, target_id=str(waiting.pk)
    )
    assert not activated.exists()


def test_enrol_click_racing_an_activation_does_not_record_it_twice(monkeypatch):
    waiting, returned = _race(monkeypatch, completes=False)
    assert returned.status == waiting.status == Enrollment.Status.ACTIVE
    # The worker (here: the direct update) recorded its own activation; the click
    # that found it active already records nothing.
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.ENROLLMENT_ACTIVATED, target_id=str(waiting.pk)
    ).exists()
