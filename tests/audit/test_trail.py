"""The audit trail is append-only, says which interface a decision came through, and
staff read a learner's history from the admin."""

from __future__ import annotations

import pytest

from audit.context import interface
from audit.models import AppendOnly, AuditEvent
from audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_event_cannot_be_changed_or_deleted(user, staff):
    event = audit_record(
        action=AuditEvent.Action.STAFF_OVERRIDE, actor=staff, subject=user, target=user
    )
    event.data = {"forged": True}
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="certificate.issued")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().data == {}


def test_an_event_records_who_whom_what_and_through_which_interface(user, staff):
    with interface("admin"):
        event = audit_record(
            action=AuditEvent.Action.STAFF_OVERRIDE,
            actor=staff,
            subject=user,
            target=user,
            data={"reason": "test"},
        )
    event.refresh_from_db()
    assert (event.actor, event.actor_label) == (staff, staff.email)
    assert (event.subject, event.subject_label) == (user, user.email)
    assert event.target_type == "accounts.user"
    assert event.target_id == str(user.pk)
    assert event.interface == "admin"
    assert event.data == {"reason": "test"}


def test_a_decision_without_a_person_is_the_systems(user):
    event = audit_record(action=AuditEvent.Action.REMINDER_SENT, subject=user)
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.interface == "shell"


def test_staff_read_one_learners_history_from_their_user_page(staff_client, user):
    other = factories.UserFactory()
    audit_record(action=AuditEvent.Action.ENROLLMENT_CREATED, subject=user, target=user)
    audit_record(action=AuditEvent.Action.REMINDER_SENT, subject=other, target=other)

    page = staff_client.get(f"/admin/accounts/user/{user.pk}/change/")
    link = f"/admin/audit/auditevent/?subject__id__exact={user.pk}"
    assert link in page.content.decode()

    history = staff_client.get(link)
    assert history.status_code == 200
    rows = list(history.context["cl"].result_list)
    assert [(e.action, e.subject) for e in rows] == [("enrollment.created", user)]
    assert user.email in history.content.decode()


def test_the_admin_offers_no_way_to_add_change_or_delete(staff_client, user):
    event = audit_record(action=AuditEvent.Action.REMINDER_SENT, subject=user)
    assert staff_client.get("/admin/audit/auditevent/add/").status_code == 403
    page = staff_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = staff_client.post(
        f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
