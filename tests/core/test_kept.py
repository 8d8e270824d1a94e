"""Markup kept per process (core.kept): the site's header and footer on every page,
the course home's cards and steps. A kept template sees only its arguments, so
what one person's page shows can never reach another's; each request's form carries
its own CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from core import kept
from core.kept import CSRF_STAND_IN, render_kept
from organizations.menu import SESSION_KEY
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _nothing_kept_before():
    kept.forget()
    yield
    kept.forget()


def _header(response) -> str:
    html = response.content.decode()
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_kept_template_sees_only_its_arguments():
    """The page's own variables do not reach it: `authenticated` is the page's here,
    not an argument, so the footer is drawn as a visitor's."""
    page = Template(
        '{% load kept %}{% include_kept "includes/site_footer.html" %}'
    ).render(Context({"authenticated": True, "user": object()}))
    assert "Log in" in page
    assert "My dashboard" not in page
    passed = Template(
        '{% load kept %}{% include_kept "includes/site_footer.html" authenticated=1 %}'
    ).render(Context({}))
    assert "My dashboard" in passed


def test_each_persons_header_shows_their_own_links():
    """One process, several people in turn: each header is drawn from that
    person's values, whatever was kept for the one before."""
    learner, staff = UserFactory(), StaffFactory()
    administrator = UserFactory()
    organization = OrganizationFactory(name="Mercy General")
    MembershipFactory(
        organization=organization, user=administrator, role="administrator"
    )
    dashboard = reverse("courses:dashboard")

    learner_header = _header(_signed_in(learner).get(dashboard))
    staff_header = _header(_signed_in(staff).get(dashboard))
    admin_client = Client()
    admin_client.force_login(administrator)
    session = admin_client.session
    session[SESSION_KEY] = [[organization.slug, organization.name, "administrator"]]
    session.save()
    admin_header = _header(admin_client.get(dashboard))
    again = _header(_signed_in(learner).get(dashboard))

    assert ">Admin<" not in learner_header and "Mercy General" not in learner_header
    assert ">Admin<" in staff_header and "Mercy General" not in staff_header
    assert "Mercy General" in admin_header and ">Admin<" not in admin_header
    assert _without_tokens(again) == _without_tokens(learner_header)
    assert 'aria-current="page">Dashboard<' in learner_header


def test_a_visitors_header_returns_to_the_course_page_they_were_on(bls):
    for path in (reverse("courses:detail", args=["bls"]), reverse("courses:catalog")):
        header = _header(Client().get(path))
        assert f'href="{reverse("account_login")}?next={path}"' in header
    elsewhere = _header(Client().get(reverse("certificates:verify")))
    assert f'href="{reverse("account_login")}"' in elsewhere
    assert "?next=" not in elsewhere


def test_each_request_gets_its_own_token_and_it_works():
    """The log-out form in the kept header carries each request's own token (never
    the stand-in), and that token is accepted."""
    first, second = _signed_in(UserFactory()), _signed_in(UserFactory())
    for client in (first, second):
        client.handler.enforce_csrf_checks = True
    pages = [c.get(reverse("courses:dashboard")) for c in (first, second)]
    tokens = [TOKEN.findall(_header(page)) for page in pages]
    assert all(len(found) == 1 for found in tokens)
    assert CSRF_STAND_IN not in b"".join(page.content for page in pages).decode()

    refused = second.post(reverse("account_logout"), {"csrfmiddlewaretoken": "x" * 64})
    assert refused.status_code == 403
    for client, (token,) in zip((first, second), tokens, strict=True):
        response = client.post(
            reverse("account_logout"), {"csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session


def test_markup_holding_a_form_is_drawn_afresh_without_a_token():
    html = render_kept("includes/site_header.html", {"authenticated": True})
    assert CSRF_STAND_IN not in html
    assert 'name="csrfmiddlewaretoken"' not in html


def test_unhashable_values_are_drawn_each_time_not_kept():
    values = {"authenticated": True, "organizations": [("a", "A", "/a/")]}
    first = render_kept("includes/site_header.html", values, csrf_token="t1")
    values["organizations"].append(("b", "B", "/b/"))
    second = render_kept("includes/site_header.html", values, csrf_token="t2")
    assert 'value="t1"' in first and 'value="t2"' in second
    assert ">Organizations<" not in first and ">Organizations<" in second


def test_with_debug_nothing_is_kept(settings):
    settings.DEBUG = True
    render_kept("includes/site_footer.html", {"authenticated": True})
    assert kept._kept.cache_info().currsize == 0
    settings.DEBUG = False
    render_kept("includes/site_footer.html", {"authenticated": True})
    assert kept._kept.cache_info().currsize == 1


def _without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def test_a_visitors_paths_are_not_kept(bls):
    """The path is the visitor's to choose (any 404 under a course): their header is
    drawn each time, and the shared cache does not grow with it."""
    for number in range(5):
        Client().get(f"/courses/bls/images/nothing-{number}.png")
    assert kept._kept.cache_info().currsize <= 1  # the footer


@pytest.mark.parametrize(
    "source",
    [
        "{{ at|date:'H:i' }}",
        "{{ at | timesince }}",
        "{% now 'Y' %}",
        "{% load i18n %}{% translate 'Hello' %}",
        '{% include "dated.html" %}',
    ],
)
def test_a_kept_template_may_not_read_the_time_zone_language_or_clock(settings, source):
    """Its markup is shared by every request, so what a request sets around it (the
    learner's time zone, the language, the moment) must not shape it."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"kept.html": source, "dated.html": "{{ at|date }}"},
                    )
                ]
            },
        }
    ]
    at = {"at": datetime(2026, 12, 1, 12, 0, tzinfo=UTC)}
    with pytest.raises(ImproperlyConfigured, match=r"(kept|dated)\.html"):
        render_kept("kept.html", at)
    # Drawn afresh (not kept), it is an ordinary template.
    assert kept.render_fresh("kept.html", at)
