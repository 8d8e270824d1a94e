"""Profile changes: a staff member's change to a learner's profile is a staff
override, recorded in the audit trail; a first legal name releases waiting
certificates whoever typed it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profession, User
from accounts.services import user_profile_update
from audit.models import AuditEvent
from certificates.models import Certificate
from courses.models import Enrollment
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _admin_form(staff_client, learner: User) -> tuple[str, dict]:
    url = reverse("admin:accounts_user_change", args=[learner.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None
        and name not in ("password", "groups", "user_permissions", "last_login")
        and name != "date_joined"
    }
    return url, data


def test_staff_changing_a_legal_name_in_the_admin_is_a_recorded_override(
    staff_client,
):
    learner = UserFactory(legal_name="Ana Lopez")
    url, data = _admin_form(staff_client, learner)

    response = staff_client.post(url, {**data, "legal_name": "Ana María López"})

    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).legal_name == "Ana María López"
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_OVERRIDE)
    assert event.actor == staff_client.user
    assert event.subject == learner
    assert event.interface == AuditEvent.Interface.ADMIN
    assert event.data == {
        "profile": {"legal_name": {"from": "Ana Lopez", "to": "Ana María López"}}
    }


def test_saving_the_admin_form_unchanged_records_nothing(staff_client):
    learner = UserFactory(legal_name="Ana Lopez")
    url, data = _admin_form(staff_client, learner)

    assert staff_client.post(url, data).status_code == 302
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_OVERRIDE)


def test_a_legal_name_added_by_staff_issues_the_certificate_that_waited(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    learner = UserFactory(legal_name="")
    enrollment = EnrollmentFactory(
        user=learner,
        course=CourseFactory(slug="bls", code="BLS"),
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    url, data = _admin_form(staff_client, learner)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {**data, "legal_name": "Grace Hopper"})

    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.holder_name == "Grace Hopper"
    assert any(certificate.code in mail.body for mail in mailoutbox)


def test_a_learner_editing_their_own_profile_is_no_override(learner_client):
    learner_client.post(
        reverse("accounts:profile"),
        {"legal_name": "Grace Hopper", "profession": Profession.NURSE},
    )
    assert User.objects.get(pk=learner_client.user.pk).legal_name == "Grace Hopper"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_OVERRIDE)


def test_the_service_records_an_override_only_for_someone_else(user):
    staff = UserFactory(is_staff=True)
    user_profile_update(user=user, data={"organisation": "Same"}, by=user)
    user_profile_update(user=user, data={"organisation": "Red Cross"}, by=staff)

    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_OVERRIDE)
    assert event.actor == staff
    assert event.data["profile"]["organisation"]["to"] == "Red Cross"
