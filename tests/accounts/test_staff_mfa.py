"""Staff need an authenticator app (TOTP) before any admin page opens; learners and
staff who have one are unaffected."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from tests.factories import (
    PASSWORD,
    STAFF_TOTP_SECRET,
    StaffFactory,
    UserFactory,
    totp_code,
)

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("mfa_activate_totp")
REAUTHENTICATE = reverse("mfa_reauthenticate")
NOW = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)


@pytest.fixture
def frozen():
    """The clock stands still (TOTP codes of one time step; sessions do not age)."""
    with time_machine.travel(NOW, tick=False):
        yield


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
    staff = staff_client.user
    learner = UserFactory(email="shown.learner@example.org", legal_name="Ana López")
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert "Lifeline administration" in index
    assert reverse("admin:accounts_user_changelist") in index
    users = staff_client.get(reverse("admin:accounts_user_changelist"))
    assert "shown.learner@example.org" in users.content.decode()
    own = staff_client.get(reverse("admin:accounts_user_change", args=[staff.pk]))
    assert own.context["original"] == staff
    change = staff_client.get(reverse("admin:accounts_user_change", args=[learner.pk]))
    assert change.context["original"] == learner
    assert 'value="Ana López"' in change.content.decode()
    assert staff_client.get(
        reverse("admin:certificates_certificate_changelist")
    ).context["cl"].model._meta.label == ("certificates.Certificate")
    assert (
        "new_password1"
        in staff_client.get(reverse("admin:password_change")).content.decode()
    )
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


# --- The session, not the account, must have passed the code ------------------------


def _enrol_totp_directly(user: User) -> None:
    """The owner's authenticator app, activated elsewhere (another browser)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.TOTP,
        data={"secret": encrypt(STAFF_TOTP_SECRET)},
    )


def test_a_password_only_session_does_not_open_the_admin_once_totp_exists(client):
    staff = StaffFactory(email="ops@example.org", totp=False)
    learner = UserFactory(email="keep.staff.off@example.org")
    signed_in = client.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302  # the password alone: no code was asked
    _enrol_totp_directly(staff)

    for url in _admin_urls(staff):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{REAUTHENTICATE}?next={quote(url, safe='')}"
    # Nor can it act through the admin.
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [learner.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=learner.pk).exists()
    page = client.get(reverse("admin:index"), follow=True)
    assert "authenticator app" in page.content.decode()
    assert page.redirect_chain[-1][0].startswith(REAUTHENTICATE)


def test_a_password_only_staff_session_opens_the_admin_after_typing_a_code(
    client, frozen
):
    staff = StaffFactory(email="ops@example.org")  # has an authenticator app
    client.force_login(staff)  # signed in earlier with the password only
    asked = client.get(reverse("admin:accounts_user_changelist"))
    assert asked["Location"].startswith(REAUTHENTICATE)
    wrong = client.post(asked["Location"], {"code": "000000"})
    assert wrong.status_code == 200  # the form again, with its error
    assert client.get(reverse("admin:index")).status_code == 302
    entered = client.post(asked["Location"], {"code": totp_code()})
    assert entered["Location"] == reverse("admin:accounts_user_changelist")
    page = client.get(entered["Location"])
    assert page.status_code == 200
    assert "ops@example.org" in page.content.decode()


@pytest.mark.django_db(
    transaction=True
)  # allauth's activation signal on commit, as live
def test_activating_totp_ends_the_accounts_other_sessions(client, frozen):
    from django.test import Client

    staff = StaffFactory(email="owner@example.org", totp=False)
    elsewhere = Client()  # e.g. whoever phished the password, signed in before
    elsewhere.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}
    )
    assert elsewhere.get(reverse("accounts:profile")).status_code == 200

    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(ACTIVATE)
    secret = client.session["mfa.totp.secret"]
    assert client.post(ACTIVATE, {"code": totp_code(secret)}).status_code == 302

    # The other session is signed out; the one that typed the code stays in, and
    # counts as having passed it.
    profile = elsewhere.get(reverse("accounts:profile"))
    assert profile["Location"].startswith(reverse("account_login"))
    assert elsewhere.get(reverse("admin:index"))["Location"].startswith(
        reverse("admin:login")
    )
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_signing_in_with_password_and_code_opens_the_admin_directly(client, frozen):
    staff = StaffFactory(email="daily@example.org")
    step = client.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}
    )
    assert step["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert client.get(reverse("admin:index")).status_code == 200
