"""Enrolment decisions and publication are recorded in the audit trail by the
services that make them: who, whose, what, and through which interface."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from courses.models import Course, Enrollment, Lesson
from courses.services import (
    EnrollmentRefused,
    bundle_enroll,
    enrollment_create,
    enrollments_activate_waiting,
)
from tests.factories import BundleFactory, CertificateFactory, LessonFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def trail(**filters) -> list[tuple]:
    """(action, interface, actor, subject, target id) of the matching events, oldest
    first."""
    return [
        (e.action, e.interface, e.actor, e.subject, e.target_id)
        for e in AuditEvent.objects.filter(**filters).order_by("created_at", "pk")
    ]


def test_enrolling_on_the_course_page_records_the_learners_decision(
    learner_client, user, bls
):
    learner_client.post(reverse("courses:enroll", args=["bls"]))
    enrollment = Enrollment.objects.get(user=user, course=bls)
    assert trail() == [
        (Action.ENROLLMENT_CREATED, "web", user, user, str(enrollment.pk))
    ]
    event = AuditEvent.objects.get()
    assert event.target_type == "courses.enrollment"
    assert event.data == {"course": "BLS", "status": "active", "bundle": ""}
    # Enrolling again returns the open enrollment and decides nothing new.
    learner_client.post(reverse("courses:enroll", args=["bls"]))
    assert AuditEvent.objects.count() == 1


def test_a_refused_enrolment_records_nothing(user, acls):
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=user, course=acls)
    assert not AuditEvent.objects.exists()


def test_a_bundle_records_each_enrolment_and_why_one_waits(user, bls, acls):
    bundle = BundleFactory(courses=[bls, acls])
    bls_enrollment, acls_enrollment = bundle_enroll(user=user, bundle=bundle)
    assert trail() == [
        (Action.ENROLLMENT_CREATED, "shell", user, user, str(bls_enrollment.pk)),
        (Action.ENROLLMENT_CREATED, "shell", user, user, str(acls_enrollment.pk)),
        (Action.ENROLLMENT_WAITING, "shell", None, user, str(acls_enrollment.pk)),
    ]
    waiting = AuditEvent.objects.get(action=Action.ENROLLMENT_WAITING)
    assert waiting.data == {"course": "ACLS", "waiting_for": ["BLS"]}
    assert AuditEvent.objects.get(
        action=Action.ENROLLMENT_CREATED, target_id=acls_enrollment.pk
    ).data == {"course": "ACLS", "status": "waiting", "bundle": bundle.slug}


def test_a_waiting_enrollment_opened_by_a_new_certificate_is_recorded_as_the_systems(
    user, bls, acls
):
    bundle = BundleFactory(courses=[bls, acls])
    _, acls_enrollment = bundle_enroll(user=user, bundle=bundle)
    CertificateFactory(enrollment__user=user, enrollment__course=bls)
    enrollments_activate_waiting(user=user)
    assert trail(action=Action.ENROLLMENT_ACTIVATED) == [
        (Action.ENROLLMENT_ACTIVATED, "shell", None, user, str(acls_enrollment.pk))
    ]


def test_the_record_rolls_back_with_the_decision(user, bls):
    def enrol_then_fail() -> None:
        with transaction.atomic():
            enrollment_create(user=user, course=bls)
            raise RuntimeError("the request failed after enrolling")

    with pytest.raises(RuntimeError):
        enrol_then_fail()
    assert not Enrollment.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("model", "name"),
    [(Course, "course"), (Lesson, "lesson")],
    ids=["course", "lesson"],
)
def test_publishing_from_the_admin_records_each_change_with_the_staff_member(
    staff_client, staff, bls, model, name
):
    row = bls if model is Course else LessonFactory(module=bls.modules.get(), slug="x")
    url = reverse(f"admin:courses_{name}_changelist")
    staff_client.post(url, {"action": "unpublish", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert not row.is_published
    staff_client.post(url, {"action": "publish", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.is_published
    # Publishing what is already published changes and records nothing.
    staff_client.post(url, {"action": "publish", "_selected_action": [row.pk]})
    assert trail(target_type=f"courses.{name}") == [
        (Action.CONTENT_UNPUBLISHED, "admin", staff, None, str(row.pk)),
        (Action.CONTENT_PUBLISHED, "admin", staff, None, str(row.pk)),
    ]


def test_unpublishing_in_the_lessons_change_form_is_recorded(staff_client, staff, bls):
    lesson = bls.lessons.first()
    data = {
        "module": lesson.module_id,
        "title": lesson.title,
        "slug": lesson.slug,
        "minutes": lesson.minutes,
        "order": lesson.order,
        "body_md": lesson.body_md,
    }  # "is_published" unticked
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    assert staff_client.post(url, data).status_code == 302
    assert trail() == [
        (Action.CONTENT_UNPUBLISHED, "admin", staff, None, str(lesson.pk))
    ]
    # Saving again with nothing about publication changed records nothing more.
    assert staff_client.post(url, data | {"title": "Renamed"}).status_code == 302
    assert AuditEvent.objects.count() == 1
