"""A staff member's change to what a user may do (sign in, staff, superuser, groups,
permissions, e-mail, password) is a staff override in the audit trail: who, when,
old -> new (a password only as "password changed", never its hash)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from accounts.services import user_access_update
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _admin_form(staff_client, user: User) -> tuple[str, dict]:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None
        and name not in ("password", "last_login", "date_joined")
        and not isinstance(value, bool)
    }
    for name in ("groups", "user_permissions"):
        data[name] = [obj.pk for obj in form.initial.get(name, [])]
    for name in ("is_active", "is_staff", "is_superuser", "renewal_reminders"):
        if form.initial.get(name):
            data[name] = "on"
    return url, data


def _overrides() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_OVERRIDE))


def test_making_someone_staff_in_the_admin_is_recorded_with_old_and_new(
    staff_client,
):
    editors = Group.objects.create(name="Content editors")
    perm = Permission.objects.get(codename="view_certificate")
    colleague = UserFactory(email="new.colleague@example.org")
    url, data = _admin_form(staff_client, colleague)

    response = staff_client.post(
        url,
        {
            **data,
            "email": "colleague@example.org",
            "is_staff": "on",
            "groups": [editors.pk],
            "user_permissions": [perm.pk],
        },
    )

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_staff and colleague.email == "colleague@example.org"
    assert list(colleague.groups.all()) == [editors]
    [event] = _overrides()
    assert event.actor == staff_client.user
    assert event.subject == colleague
    assert event.interface == AuditEvent.Interface.ADMIN
    assert event.data == {
        "access": {
            "email": {
                "from": "new.colleague@example.org",
                "to": "colleague@example.org",
            },
            "is_staff": {"from": False, "to": True},
            "groups": {"from": [], "to": ["Content editors"]},
            "user_permissions": {"from": [], "to": ["certificates.view_certificate"]},
        }
    }


def test_deactivating_and_removing_superuser_in_the_admin_is_recorded(staff_client):
    other = UserFactory(is_staff=True, is_superuser=True)
    url, data = _admin_form(staff_client, other)
    data.pop("is_active")
    data.pop("is_superuser")

    assert staff_client.post(url, data).status_code == 302

    other.refresh_from_db()
    assert not other.is_active and not other.is_superuser and other.is_staff
    [event] = _overrides()
    assert event.data == {
        "access": {
            "is_active": {"from": True, "to": False},
            "is_superuser": {"from": True, "to": False},
        }
    }


def test_a_password_set_in_the_admin_is_recorded_without_its_hash(staff_client):
    learner = UserFactory(email="forgot@example.org")
    old_hash = learner.password
    url = reverse("admin:auth_user_password_change", args=[learner.pk])
    new = "a brand new passphrase 42"

    response = staff_client.post(
        url, {"password1": new, "password2": new, "usable_password": "true"}
    )

    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password(new)
    [event] = _overrides()
    assert event.actor == staff_client.user and event.subject == learner
    assert event.data == {"access": {"password": "password changed"}}
    stored = json.dumps(event.data)
    assert old_hash not in stored and learner.password not in stored


def test_saving_the_admin_form_unchanged_records_no_access_change(staff_client):
    other = UserFactory(is_staff=True)
    url, data = _admin_form(staff_client, other)
    assert staff_client.post(url, data).status_code == 302
    assert _overrides() == []


def test_an_unknown_access_field_is_refused_and_nothing_changes(staff):
    learner = UserFactory()
    with pytest.raises(ValueError, match="legal_name"):
        user_access_update(
            user=learner, by=staff, changes={"is_staff": True, "legal_name": "X"}
        )
    learner.refresh_from_db()
    assert not learner.is_staff
    assert _overrides() == []
