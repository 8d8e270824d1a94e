"""Signing up or logging in from a course page keeps where the learner was going
(`next`) through e-mail verification, back to the course, enrolment one click
away."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "nurse.jane@example.org"
SIGNUP = {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}


def _confirm_path(mail) -> str:
    link = re.search(r"https?://\S+", mail.body).group(0)
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_up_from_the_course_page(client, bls, mailoutbox, capture) -> str:
    page = client.get(bls.get_absolute_url()).content.decode()
    signup = re.search(r'href="([^"]*/accounts/signup/[^"]*)">Sign up to enroll', page)
    assert signup, "the course page's sign-up link"
    assert parse_qs(urlsplit(signup.group(1)).query)["next"] == ["/courses/bls/"]
    with capture(execute=True):
        client.post(signup.group(1).replace("&amp;", "&"), SIGNUP)
    (mail,) = mailoutbox
    return _confirm_path(mail)


def test_confirming_in_the_same_browser_goes_back_to_the_course(
    client, bls, mailoutbox, django_capture_on_commit_callbacks
):
    confirm = _sign_up_from_the_course_page(
        client, bls, mailoutbox, django_capture_on_commit_callbacks
    )
    response = client.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == "/courses/bls/"
    page = client.get(response["Location"]).content.decode()
    assert 'action="/courses/bls/enroll/"' in page  # one click to enroll


def test_confirming_elsewhere_asks_to_log_in_then_goes_to_the_course(
    client, bls, mailoutbox, django_capture_on_commit_callbacks
):
    confirm = _sign_up_from_the_course_page(
        client, bls, mailoutbox, django_capture_on_commit_callbacks
    )
    phone = Client()  # the mail app's browser: no sign-up in its session
    response = phone.post(confirm)
    login = response["Location"]
    assert urlsplit(login).path == reverse("account_login")
    assert parse_qs(urlsplit(login).query)["next"] == ["/courses/bls/"]
    response = phone.post(login, {"login": EMAIL, "password": PASSWORD})
    assert response["Location"] == "/courses/bls/"


def test_a_sign_up_without_a_course_still_starts_at_the_profile(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), SIGNUP)
    confirm = _confirm_path(mailoutbox[0])
    assert "next=" not in confirm
    assert client.post(confirm)["Location"] == reverse("accounts:profile")


def test_logging_in_from_the_course_page_comes_back_to_it(client, bls):
    UserFactory(email=EMAIL)
    page = client.get(bls.get_absolute_url()).content.decode()
    assert f'href="{reverse("account_login")}?next=/courses/bls/"' in page
    response = client.post(
        f"{reverse('account_login')}?next=/courses/bls/",
        {"login": EMAIL, "password": PASSWORD},
    )
    assert response["Location"] == "/courses/bls/"


def test_a_foreign_next_is_not_carried_into_the_e_mail(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{reverse('account_signup')}?next=https://evil.example.net/", SIGNUP
        )
    assert "evil" not in mailoutbox[0].body


def test_the_header_links_from_a_course_page_come_back_to_it(client, bls):
    """The site header's "Log in" and "Sign up", not only the enrollment panel's."""
    page = client.get(bls.get_absolute_url()).content.decode()
    header = page[: page.index("</header>")]
    for label, name in (("Log in", "account_login"), ("Sign up", "account_signup")):
        link = re.search(rf'href="([^"]*)"[^>]*>{label}</a>', header)
        assert link, label
        url = urlsplit(link.group(1))
        assert url.path == reverse(name)
        assert parse_qs(url.query)["next"] == ["/courses/bls/"]


def test_the_header_links_elsewhere_carry_no_intent(client):
    page = client.get(reverse("certificates:verify")).content.decode()
    header = page[: page.index("</header>")]
    assert "next=" not in header
