from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import Profession, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Nurse.Jane@Example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def _link(mail) -> str:
    return re.search(r"https?://\S+", mail.body).group(0)


def test_signup_sends_verification_email_and_creates_unverified_user(
    client, mailoutbox
):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nurse.jane@example.org"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["nurse.jane@example.org"]
    assert "/accounts/confirm-email/" in _link(mailoutbox[0])


def test_unverified_user_cannot_log_in_to_learner_pages(client, mailoutbox):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    dashboard = client.get(reverse("courses:dashboard"))
    assert dashboard.status_code == 302
    assert reverse("account_login") in dashboard["Location"]


def test_following_the_verification_link_logs_in_and_opens_the_profile(
    client, mailoutbox
):
    client.post(reverse("account_signup"), SIGNUP)
    link = _link(mailoutbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)
    assert response.status_code == 302
    assert EmailAddress.objects.get().verified
    assert client.get(reverse("courses:dashboard")).status_code == 200


@pytest.mark.parametrize(
    "typed", ["learner@example.org", "LEARNER@EXAMPLE.ORG", "Learner@Example.Org"]
)
def test_login_by_email_in_any_letter_case(client, typed):
    UserFactory(email="learner@example.org")
    response = client.post(
        reverse("account_login"), {"login": typed, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("courses:dashboard")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="learner@example.org")
    response = client.post(
        reverse("account_login"),
        {"login": "learner@example.org", "password": "nope nope"},
    )
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert client.get(reverse("courses:dashboard")).status_code == 302


def test_duplicate_email_in_another_case_creates_nothing(client, mailoutbox):
    UserFactory(email="taken@example.org")
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "email": "TAKEN@example.org"}
    )
    assert response.status_code == 302
    assert User.objects.count() == 1
    # Enumeration-safe: the address owner is told someone tried, nobody else learns it.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["taken@example.org"]
    assert "already" in mailoutbox[0].body.lower()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"email": "", "password1": PASSWORD, "password2": PASSWORD},
            b"This field is required",
        ),
        (
            {"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD},
            b"valid email",
        ),
        (
            {
                "email": "a@example.org",
                "password1": PASSWORD,
                "password2": "other words",
            },
            b"same password",
        ),
        (
            {"email": "a@example.org", "password1": "short", "password2": "short"},
            b"too short",
        ),
    ],
)
def test_bad_signup_form_rerenders_with_message_and_creates_nothing(
    client, data, message
):
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert message in response.content
    assert not User.objects.exists()


def test_password_reset_sends_link_that_sets_a_new_password(client, mailoutbox):
    UserFactory(email="learner@example.org")
    client.post(reverse("account_reset_password"), {"email": "Learner@example.org"})
    assert len(mailoutbox) == 1
    link = _link(mailoutbox[0])
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(path, follow=True)
    new = "a brand new long passphrase"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new, "password2": new},
    )
    assert response.status_code == 302
    client.logout()
    assert client.login(email="learner@example.org", password=new)


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302


def test_profile_update_trims_and_saves(learner_client):
    response = learner_client.post(
        reverse("accounts:profile"),
        {
            "legal_name": "  Ana   María López  ",
            "profession": Profession.PARAMEDIC,
            "organisation": "County EMS",
            "licence_number": "P-123",
            "renewal_reminders": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(pk=learner_client.user.pk)
    assert user.legal_name == "Ana María López"
    assert user.profession == Profession.PARAMEDIC
    assert user.organisation == "County EMS"


@pytest.mark.parametrize(
    ("legal_name", "profession", "message"),
    [
        ("", "nurse", b"This field is required"),
        ("   ", "nurse", b"This field is required"),
        ("x" * 101, "nurse", b"at most 100 characters"),
        ("1234", "nurse", b"in letters"),
        ("Jane Doe", "astronaut", b"Select a valid choice"),
        ("Jane Doe", "", b"This field is required"),
    ],
)
def test_invalid_profile_rerenders_with_message_and_changes_nothing(
    learner_client, legal_name, profession, message
):
    before = User.objects.get(pk=learner_client.user.pk)
    response = learner_client.post(
        reverse("accounts:profile"),
        {"legal_name": legal_name, "profession": profession},
    )
    assert response.status_code == 200
    assert message in response.content
    after = User.objects.get(pk=learner_client.user.pk)
    assert (after.legal_name, after.profession) == (
        before.legal_name,
        before.profession,
    )


def test_email_is_unique_regardless_of_case_in_the_database():
    from django.db import IntegrityError, transaction

    UserFactory(email="one@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ONE@example.org")])


def test_passwords_are_hashed_with_argon2_first():
    # The test suite swaps in a fast hasher; the project's own setting is checked here.
    from config import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_adding_a_legal_name_issues_the_certificate_that_waited_for_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from certificates.models import Certificate
    from tests.factories import CourseFactory, EnrollmentFactory

    user = UserFactory(legal_name="")
    enrollment = EnrollmentFactory(
        user=user,
        course=CourseFactory(slug="bls", code="BLS"),
        status="completed",
        completed_at=timezone.now(),
    )
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:profile"),
            {"legal_name": "Grace Hopper", "profession": Profession.NURSE},
        )
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.holder_name == "Grace Hopper"
    assert any(certificate.code in mail.body for mail in mailoutbox)
