"""The user row every signed-in request reads (ModelBackend's `get(pk=...)`) is a
query compiled once per process (core.prepared, issue 19): it answers what the ORM
answers, and the checks made on it still sign out a deactivated account or a
changed password's other sessions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIELDS = [field.attname for field in User._meta.concrete_fields]


def _values(user: User) -> list:
    return [getattr(user, name) for name in FIELDS]


def test_get_by_id_answers_what_the_orm_answers():
    ana = UserFactory(legal_name="Ana Lima", profession="nurse", time_zone="UTC")
    UserFactory(legal_name="Ben Okafor")
    with CaptureQueriesContext(connection) as queries:
        found = User.objects.get(pk=ana.pk)
    assert len(queries) == 1
    assert _values(found) == _values(User.objects.filter(pk=ana.pk).get())
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=ana.pk + 1000)
    # Other lookups are the ORM's own, with the same answers.
    assert User.objects.get(pk=str(ana.pk)) == ana
    assert User.objects.get(email=ana.email) == ana


def test_an_id_no_column_can_hold_is_not_found_rather_than_an_error():
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(User.DoesNotExist):
            User.objects.get(pk=36**13 - 1)  # a reset link's id, read by allauth
    assert queries.captured_queries == []  # the ORM knew no row can match


def test_a_related_manager_keeps_its_filter():
    group = Group.objects.create(name="Instructors")
    member, other = UserFactory(), UserFactory()
    member.groups.add(group)
    assert group.user_set.get(pk=member.pk) == member
    with pytest.raises(User.DoesNotExist):
        group.user_set.get(pk=other.pk)


def test_a_password_reset_link_with_an_impossible_id_says_it_is_invalid(client):
    response = client.get(
        reverse("account_reset_password_from_key", args=["zzzzzzzzzzzzz", "abc-def"])
    )
    assert response.status_code == 200
    assert b"invalid" in response.content.lower()


def test_a_deactivated_account_is_signed_out_on_its_next_request(client: Client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("courses:dashboard")).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(reverse("courses:dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_password_change_signs_out_the_other_sessions(client: Client):
    user = UserFactory()
    client.force_login(user)
    user.set_password("a new passphrase for ana")
    user.save()
    response = client.get(reverse("courses:dashboard"))
    assert response.status_code == 302
