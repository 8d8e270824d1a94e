"""One voice across the site: US English, sentence case, "Log in" and "Log out",
django-allauth's pages included (its wording is replaced by locale/, written by
scripts/make_locale.py)."""

from __future__ import annotations

import gettext
import importlib.util
import re
from html import unescape
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale" / "en" / "LC_MESSAGES"
# British spellings the interface must not use (identifiers such as licence_number or
# course-enrol, which name stored fields and styles, are left out by the pattern).
BRITISH = re.compile(
    r"(?<![\w.\-\"'])(enrol|enrols|enrolment|enrolments|practise|organisation|licence|"
    r"centred|centre|colour|behaviour|recognise|recognised|catalogue|cancelled|"
    r"programme)(?![\w\-\"'])",
    re.IGNORECASE,
)
ACCOUNT_PAGES_ANONYMOUS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",
]
ACCOUNT_PAGES_SIGNED_IN = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/profile/",
    "/certificates/outside/",
    "/dashboard/",
]


def _make_locale():
    spec = importlib.util.spec_from_file_location(
        "make_locale", ROOT / "scripts" / "make_locale.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_locale_files_are_what_the_script_writes():
    make_locale = _make_locale()
    assert (LOCALE / "django.po").read_text() == make_locale.render(), (
        "run scripts/make_locale.py, then msgfmt (see its docstring)"
    )
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    for msgid, msgstr in make_locale.WORDING.items():
        context = make_locale.allauth_msgids()[msgid]
        got = catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)
        assert got == msgstr, f"django.mo is out of date for {msgid!r}: run msgfmt"


def _assert_one_voice(url: str, html: str, wording: dict) -> None:
    text = _visible_text(html)
    for allauth_text in wording:
        if allauth_text != wording[allauth_text] and len(allauth_text.split()) > 1:
            assert allauth_text not in text, f"{url} says {allauth_text!r}"
    assert not re.search(r"\bsign(ed)?[ -](in|out)\b", text, re.I), (
        f"{url} says 'sign in' or 'sign out' (the site says log in / log out): "
        + re.search(r".{40}\bsign(ed)?[ -](in|out)\b.{40}", text, re.I).group(0)
    )
    british = BRITISH.search(text)
    assert british is None, f"{url} uses British spelling: {british.group(0)!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ACCOUNT_PAGES_ANONYMOUS)
def test_account_pages_speak_with_the_site_s_voice(client, url):
    response = client.get(url)
    assert response.status_code == 200
    _assert_one_voice(url, response.content.decode(), _make_locale().WORDING)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ACCOUNT_PAGES_SIGNED_IN)
def test_signed_in_pages_speak_with_the_site_s_voice(learner_client, url):
    response = learner_client.get(url)
    assert response.status_code == 200
    _assert_one_voice(url, response.content.decode(), _make_locale().WORDING)


def test_the_log_in_page_says_log_in_in_its_title_heading_and_button(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert re.search(r"<title>\s*Log in\s*· Lifeline\s*</title>", html), html[:300]
    assert re.search(r"<h1[^>]*>\s*Log in\s*</h1>", html)
    assert re.search(r"<button[^>]*>\s*Log in\s*</button>", html)


def test_templates_use_us_spelling():
    found = []
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in {".html", ".txt"}:
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if match := BRITISH.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, "\n".join(found)
