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
    client, mailoutbox, django_capture_on_commit_callbacks
):
    # Account e-mails leave from a task after commit (accounts.adapters).
    with django_capture_on_commit_callbacks(execute=True):
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
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
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


def test_duplicate_email_in_another_case_creates_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.org")
    with django_capture_on_commit_callbacks(execute=True):
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


def test_password_reset_sends_link_that_sets_a_new_password(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="learner@example.org")
    with django_capture_on_commit_callbacks(execute=True):
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


def test_profile_requires_login_and_shows_an_anonymous_visitor_the_login_form(
    client,
):
    profile = reverse("accounts:profile")
    response = client.get(profile, follow=True)
    assert response.redirect_chain == [
        (f"{reverse('account_login')}?next={profile}", 302)
    ]
    assert b'name="password"' in response.content
    assert b"Legal full name" not in response.content


def test_anonymous_profile_post_saves_nothing(client, user):
    before = User.objects.get(pk=user.pk)
    response = client.post(
        reverse("accounts:profile"),
        {"legal_name": "Mallory", "profession": Profession.OTHER},
    )
    assert response["Location"].startswith(reverse("account_login"))
    after = User.objects.get(pk=user.pk)
    assert (after.legal_name, after.profession) == (
        before.legal_name,
        before.profession,
    )


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


@pytest.fixture
def project_hashers(settings):
    """The project's own hashers (the suite otherwise swaps in a fast one)."""
    from config import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


@pytest.mark.usefixtures("project_hashers")
def test_signup_stores_the_password_as_an_argon2_hash(client):
    client.post(reverse("account_signup"), SIGNUP)
    user = User.objects.get()
    assert user.password.startswith("argon2$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


@pytest.mark.usefixtures("project_hashers")
def test_older_password_hash_is_upgraded_to_argon2_at_login(client):
    from django.contrib.auth.hashers import make_password

    user = UserFactory(email="old@example.org")
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    response = client.post(
        reverse("account_login"), {"login": "old@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).password.startswith("argon2$")


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


# Legal names are printed on the public verify page and on PDFs: nothing invisible
# (bidi overrides and isolates, zero-width, controls, separators, private use).
@pytest.mark.parametrize(
    "bad",
    [
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE
        "\u202a",  # LEFT-TO-RIGHT EMBEDDING
        "\u2066",  # LEFT-TO-RIGHT ISOLATE
        "\u2069",  # POP DIRECTIONAL ISOLATE
        "\u200b",  # ZERO WIDTH SPACE
        "\u200d",  # ZERO WIDTH JOINER
        "\x07",  # BEL (Cc)
        "\t",  # TAB (Cc): not silently turned into a space
        "\u2028",  # LINE SEPARATOR (Zl)
        "\u2029",  # PARAGRAPH SEPARATOR (Zp)
        "\ue000",  # private use (Co)
    ],
    ids=lambda ch: f"U+{ord(ch):04X}",
)
@pytest.mark.parametrize("field", ["legal_name", "organisation", "licence_number"])
def test_profile_text_with_invisible_characters_is_refused_and_nothing_saved(
    learner_client, field, bad
):
    before = User.objects.get(pk=learner_client.user.pk)
    data = {
        "legal_name": "Grace Hopper",
        "profession": Profession.NURSE,
        "organisation": "County EMS",
        "licence_number": "RN-1",
    }
    data[field] = f"Ana{bad}María"
    response = learner_client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert (
        "invisible or control characters" in response.context["form"].errors[field][0]
    )
    assert f"U+{ord(bad):04X}".encode() in response.content
    after = User.objects.get(pk=learner_client.user.pk)
    assert (after.legal_name, after.organisation, after.licence_number) == (
        before.legal_name,
        before.organisation,
        before.licence_number,
    )


def test_profile_text_is_stored_in_composed_unicode(learner_client):
    # e + combining acute, n + combining tilde: what some keyboards and PDFs produce.
    learner_client.post(
        reverse("accounts:profile"),
        {
            "legal_name": "Jose\u0301 Nun\u0303ez",
            "profession": Profession.NURSE,
            "organisation": "Cafe\u0301 Clinic",
        },
    )
    user = User.objects.get(pk=learner_client.user.pk)
    assert user.legal_name == "Jos\u00e9 Nu\u00f1ez"
    assert user.organisation == "Caf\u00e9 Clinic"


def test_admin_refuses_an_invisible_character_in_a_legal_name(staff_client):
    learner = UserFactory(legal_name="Ana López")
    url = reverse("admin:accounts_user_change", args=[learner.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.pop("last_login", None)
    data.pop("date_joined", None)
    # The same form data with a clean name saves: only the character is refused.
    assert (
        staff_client.post(url, {**data, "legal_name": "Ana María"}).status_code == 302
    )
    assert User.objects.get(pk=learner.pk).legal_name == "Ana María"

    response = staff_client.post(url, {**data, "legal_name": "Ana\u202eLópez"})
    assert response.status_code == 200
    assert "invisible or control characters" in str(
        response.context["adminform"].form.errors["legal_name"]
    )
    assert User.objects.get(pk=learner.pk).legal_name == "Ana María"


# Persian and Indic names are spelled with a zero-width (non-)joiner inside a word.
# "Mohammadreza Rostami": Mohammad, ZWNJ, Reza (one word, drawn unjoined), Rostami.
MOHAMMADREZA = (
    "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627 \u0631\u0633\u062a\u0645\u06cc"
)


def test_a_persian_name_with_a_zero_width_non_joiner_is_saved_as_typed(
    learner_client,
):
    response = learner_client.post(
        reverse("accounts:profile"),
        {"legal_name": MOHAMMADREZA, "profession": Profession.NURSE},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=learner_client.user.pk).legal_name == MOHAMMADREZA


@pytest.mark.parametrize(
    "name",
    [
        "\u200c\u0645\u062d\u0645\u062f",  # at the start
        "\u0645\u062d\u0645\u062f\u200c",  # at the end
        "\u0645\u062d\u0645\u062f\u200c\u200c\u0631\u0636\u0627",  # repeated
        "\u0645\u062d\u0645\u062f \u200c\u0631\u0636\u0627",  # next to a space
        "\u0645\u062d\u0645\u062f\u200c\u202e\u0631\u0636\u0627",  # with an override
        "Ana\u200cMar\u00eda",  # inside a Latin word, where it changes nothing seen
    ],
    ids=["start", "end", "repeated", "space", "override", "latin"],
)
def test_a_zero_width_joiner_outside_a_joining_word_is_refused(learner_client, name):
    before = User.objects.get(pk=learner_client.user.pk).legal_name
    response = learner_client.post(
        reverse("accounts:profile"),
        {"legal_name": name, "profession": Profession.NURSE},
    )
    assert response.status_code == 200
    assert (
        "invisible or control characters"
        in (response.context["form"].errors["legal_name"][0])
    )
    assert User.objects.get(pk=learner_client.user.pk).legal_name == before
