"""A TOTP code is good once: once it opened a session it opens no other, even when the
second try reaches another web process (another cache), until the next period's code."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, StaffFactory, totp_code

pytestmark = pytest.mark.django_db

# Mid-period, so a test never straddles two 30-second steps.
NOON = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)


def _log_in_with_code(client: Client, user, code: str):
    """Password first, then the authenticator code, as the log-in pages ask."""
    first = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert first["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": code})


def _signed_in(client: Client) -> bool:
    return client.get(reverse("courses:dashboard")).status_code == 200


@pytest.fixture
def staff_member(db):
    return StaffFactory(email="ops@example.org")


def test_totp_code_opens_one_session_even_on_another_worker(staff_member):
    with time_machine.travel(NOON, tick=False):
        code = totp_code()
        first, second = Client(), Client()

        response = _log_in_with_code(first, staff_member, code)
        assert response.status_code == 302
        assert _signed_in(first)

        cache.clear()  # the second try reaches a worker that has not seen the code
        response = _log_in_with_code(second, staff_member, code)

        assert response.status_code == 200
        assert b"Incorrect code" in response.content
        assert not _signed_in(second)


def test_next_periods_code_opens_a_session_after_one_was_used(staff_member):
    with time_machine.travel(NOON, tick=False):
        assert _log_in_with_code(Client(), staff_member, totp_code()).status_code == 302
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        client = Client()
        response = _log_in_with_code(client, staff_member, totp_code())
        assert response.status_code == 302
        assert _signed_in(client)


def test_earlier_code_is_refused_once_a_later_one_was_used(staff_member, settings):
    # With a tolerance of one step, the previous period's code is still "valid", but
    # a code older than the last one used must not open a session.
    settings.MFA_TOTP_TOLERANCE = 1
    with time_machine.travel(NOON, tick=False):
        now = NOON.timestamp()
        assert (
            _log_in_with_code(Client(), staff_member, totp_code(at=now)).status_code
            == 302
        )
        cache.clear()
        client = Client()
        response = _log_in_with_code(client, staff_member, totp_code(at=now - 30))
        assert b"Incorrect code" in response.content
        assert not _signed_in(client)


def test_code_used_to_sign_in_cannot_reauthenticate(staff_member):
    with time_machine.travel(NOON, tick=False):
        client = Client()
        code = totp_code()
        _log_in_with_code(client, staff_member, code)
        cache.clear()
        response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 200
    assert b"Incorrect code" in response.content


def test_wrong_code_is_refused_and_records_nothing(staff_member):
    from accounts.models import TotpStep

    with time_machine.travel(NOON, tick=False):
        wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
        client = Client()
        response = _log_in_with_code(client, staff_member, wrong)
    assert b"Incorrect code" in response.content
    assert not TotpStep.objects.exists()


def test_code_typed_to_activate_totp_cannot_then_sign_in(
    client, django_capture_on_commit_callbacks
):
    staff_member = StaffFactory(totp=False)
    with time_machine.travel(NOON, tick=False):
        client.post(
            reverse("account_login"),
            {"login": staff_member.email, "password": PASSWORD},
        )
        # allauth asks for the password again before MFA settings change.
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        client.get(reverse("mfa_activate_totp"))
        code = totp_code(client.session["mfa.totp.secret"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("mfa_activate_totp"), {"code": code})
        assert response.status_code == 302
        assert Authenticator.objects.filter(user=staff_member, type="totp").exists()
        client.post(reverse("account_logout"))
        cache.clear()
        again = Client()
        response = _log_in_with_code(again, staff_member, code)
        assert b"Incorrect code" in response.content
        assert not _signed_in(again)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_code_from_two_processes_at_once_is_accepted_once():
    """Two connections (as two gunicorn workers would hold) race on one code."""
    from accounts.services import totp_code_accept

    staff_member = StaffFactory()
    authenticator = Authenticator.objects.get(user=staff_member, type="totp")
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def use_code(code: str) -> None:
        try:
            barrier.wait()
            results.append(totp_code_accept(authenticator=authenticator, code=code))
        finally:
            connection.close()

    with time_machine.travel(NOON, tick=False):
        code = totp_code()
        threads = [threading.Thread(target=use_code, args=(code,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results) == [False, True]
