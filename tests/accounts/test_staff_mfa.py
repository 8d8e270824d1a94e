"""Staff need an authenticator app (TOTP) before any admin page opens; learners and
staff who have one are unaffected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("mfa_activate_totp")


@pytest.fixture
def staff_without_totp(client):
    staff = StaffFactory(email="new.staff@example.org", totp=False)
    client.force_login(staff)
    return staff


def _admin_urls(user: User) -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:login"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:certificates_certificate_changelist"),
        reverse("admin:password_change"),
    ]


def test_staff_without_totp_is_sent_to_set_it_up_from_every_admin_page(
    client, staff_without_totp
):
    for url in _admin_urls(staff_without_totp):
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, ACTIVATE)
    assert any(
        "two-factor authentication" in str(message)
        for message in get_messages(response.wsgi_request)
    )


def test_staff_without_totp_cannot_run_an_admin_action(client, staff_without_totp):
    learner = UserFactory(email="keep.me@example.org")
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [learner.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    assert User.objects.filter(pk=learner.pk).exists()


def test_staff_without_totp_cannot_edit_through_the_admin(client, staff_without_totp):
    learner = UserFactory(email="keep.name@example.org", legal_name="Ana López")
    response = client.post(
        reverse("admin:accounts_user_change", args=[learner.pk]),
        {"email": learner.email, "legal_name": "Changed", "is_active": "on"},
    )
    assert response["Location"] == ACTIVATE
    assert User.objects.get(pk=learner.pk).legal_name == "Ana López"


def test_staff_with_totp_opens_the_admin(staff_client):
    for url in _admin_urls(staff_client.user):
        response = staff_client.get(url)
        expected = 302 if url == reverse("admin:login") else 200  # login -> index
        assert (url, response.status_code) == (url, expected)
    assert staff_client.get(reverse("admin:login"))["Location"] == reverse(
        "admin:index"
    )


def test_learner_pages_stay_open_to_staff_without_totp(client, staff_without_totp):
    assert client.get(reverse("courses:dashboard")).status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_non_staff_are_refused_the_admin_as_before(learner_client):
    response = learner_client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))
    assert learner_client.get(reverse("admin:login")).status_code == 403
    assert learner_client.get(reverse("courses:dashboard")).status_code == 200


def test_anonymous_admin_visit_goes_to_the_allauth_login(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


@pytest.mark.django_db(
    transaction=True
)  # allauth's activation signal on commit, as live
def test_staff_signing_in_the_first_time_enrols_totp_then_opens_the_admin(client):
    staff = StaffFactory(email="first.day@example.org", totp=False)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False):
        response = client.post(
            f"{reverse('account_login')}?next={reverse('admin:index')}",
            {"login": staff.email, "password": PASSWORD},
            follow=True,
        )
        # The admin sends them to set up an authenticator app, which (allauth) asks
        # for their password once more first.
        assert response.redirect_chain == [
            (reverse("admin:index"), 302),
            (ACTIVATE, 302),
            (
                f"{reverse('account_reauthenticate')}?next=%2Faccounts%2F2fa%2Ftotp"
                "%2Factivate%2F",
                302,
            ),
        ]
        assert b"two-factor authentication" in response.content
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        page = client.get(ACTIVATE)
        assert page.status_code == 200
        secret = client.session["mfa.totp.secret"]
        enrolled = client.post(ACTIVATE, {"code": totp_code(secret)})
        assert enrolled.status_code == 302

        assert client.get(reverse("admin:index")).status_code == 200
