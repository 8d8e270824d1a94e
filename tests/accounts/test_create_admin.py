"""`make superuser` (the create_admin command): an administrator who can log in at
once, and is told about two-factor."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.services import admin_create
from audit.models import AuditEvent
from core.errors import InvalidInput
from tests import factories

pytestmark = pytest.mark.django_db
STRONG = "correct-horse-battery-9"


def _create(email: str, monkeypatch, password: str = STRONG) -> str:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    out = io.StringIO()
    call_command("create_admin", email=email, stdout=out)
    return out.getvalue()


def test_create_admin_makes_a_superuser_whose_email_is_verified(monkeypatch, client):
    printed = _create("Head.Nurse@Example.org", monkeypatch)
    user = User.objects.get(email__iexact="head.nurse@example.org")
    assert user.is_staff and user.is_superuser
    address = EmailAddress.objects.get(user=user)
    assert address.verified and address.primary
    # The log-in goes straight through: no "confirm your e-mail" stop.
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": STRONG}
    )
    assert response.status_code == 302
    assert "confirm-email" not in response["Location"]
    assert "authenticator app" in printed
    assert "/admin/" in printed
    assert AuditEvent.objects.filter(
        subject=user, action=AuditEvent.Action.STAFF_OVERRIDE
    ).exists()


def test_create_admin_twice_changes_nothing_the_second_time(monkeypatch):
    _create("admin@example.org", monkeypatch)
    printed = _create("admin@example.org", monkeypatch, password="other-pass-123X")
    assert "Already an administrator" in printed
    assert User.objects.filter(email="admin@example.org").count() == 1
    assert User.objects.get(email="admin@example.org").check_password(STRONG)


def test_create_admin_refuses_to_promote_a_learner_account(monkeypatch):
    factories.UserFactory(email="learner@example.org")
    with pytest.raises(CommandError, match="not an administrator"):
        _create("learner@example.org", monkeypatch)
    assert not User.objects.get(email="learner@example.org").is_staff


def test_create_admin_refuses_a_weak_password(monkeypatch):
    with pytest.raises(CommandError, match=r"too common|too short"):
        _create("admin@example.org", monkeypatch, password="password")
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["", "   ", "password"])
def test_admin_create_itself_refuses_a_blank_or_weak_password(password):
    with pytest.raises(InvalidInput):
        admin_create(email="admin@example.org", password=password)
    assert not User.objects.exists()
