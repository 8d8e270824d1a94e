"""Writes locale/en/LC_MESSAGES/django.po: the project's wording over django-allauth's.

allauth's English is Title Case ("Sign In", "Email Addresses") and says "sign in"
where the site says "log in". Django reads LOCALE_PATHS before any app's catalog, so
these entries replace allauth's text on every page and e-mail, with no template
copied. Each msgid below must exist in allauth's own catalog (checked here, so an
allauth upgrade that renames one is noticed). Run it after changing WORDING, then
`msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po`;
tests/accounts/test_wording.py checks both files are current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import allauth

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"

# allauth's msgid -> ours. Sentence case; "log in" / "log out" for the session.
WORDING = {
    "Sign In": "Log in",
    "Sign Out": "Log out",
    "Sign Up": "Sign up",
    "Sign Up Closed": "Sign-up closed",
    "Are you sure you want to sign out?": "Are you sure you want to log out?",
    "Already have an account? Then please %(link)ssign in%(end_link)s.": (
        "Already have an account? Then please %(link)slog in%(end_link)s."
    ),
    "You have signed out.": "You have logged out.",
    "Successfully signed in as %(name)s.": "Logged in as %(name)s.",
    "Remember Me": "Remember me",
    "Stay Signed In": "Stay logged in",
    "Forgot Password?": "Forgot your password?",
    "Password Reset": "Password reset",
    "Reset My Password": "Reset my password",
    "Change Password": "Change password",
    "Set Password": "Set password",
    "Current Password": "Current password",
    "New Password": "New password",
    "New Password (again)": "New password (again)",
    "Password Changed": "Password changed",
    "Password Set": "Password set",
    "Password Reset Email": "Password reset email",
    "Email Address": "Email address",
    "Email Addresses": "Email addresses",
    "Add Email": "Add email",
    "Add Email Address": "Add email address",
    "Make Primary": "Make primary",
    "Re-send Verification": "Re-send verification",
    "Change Email": "Change email",
    "Cancel Change": "Cancel change",
    "Email Changed": "Email changed",
    "Email Confirmation": "Email confirmation",
    "Email Removed": "Email removed",
    "Email Verification": "Email verification",
    "Confirm Email Address": "Confirm email address",
    "Verify Your Email Address": "Verify your email address",
    "Please Confirm Your Email Address": "Please confirm your email address",
    "Unknown Account": "Unknown account",
    "Account Already Exists": "Account already exists",
    "Account Inactive": "Account inactive",
    "Bad Token": "Bad token",
    "Confirm Access": "Confirm access",
    "Two-Factor Authentication": "Two-factor authentication",
    "Authenticator App": "Authenticator app",
    "Activate Authenticator App": "Activate authenticator app",
    "Deactivate Authenticator App": "Deactivate authenticator app",
    "Authenticator App Activated": "Authenticator app activated",
    "Authenticator App Deactivated": "Authenticator app deactivated",
    "Recovery Codes": "Recovery codes",
    "New Recovery Codes Generated": "New recovery codes generated",
    "A new set of Two-Factor Authentication recovery codes has been generated.": (
        "A new set of two-factor authentication recovery codes has been generated."
    ),
    "Trust this Browser?": "Trust this browser?",
    "Don't Trust": "Don't trust",
    "If you choose to trust this browser, you will not be asked for a verification "
    "code the next time you sign in.": (
        "If you choose to trust this browser, you will not be asked for a "
        "verification code the next time you log in."
    ),
}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def allauth_msgids() -> dict[str, str | None]:
    """allauth's English msgids, each with its msgctxt (None without one)."""
    source = Path(allauth.__file__).parent / "locale/en/LC_MESSAGES/django.po"
    found: dict[str, str | None] = {}
    entry = re.compile(r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)', re.MULTILINE)
    for match in entry.finditer(source.read_text()):

        def text(block: str | None) -> str | None:
            if block is None:
                return None
            raw = "".join(re.findall(r'"(.*)"', block))
            return raw.encode().decode("unicode_escape").encode("latin-1").decode()

        msgid = text(match.group(2))
        if msgid:
            found.setdefault(msgid, text(match.group(1)))
    return found


def render() -> str:
    known = allauth_msgids()
    missing = [msgid for msgid in WORDING if msgid not in known]
    if missing:
        sys.exit(f"not in allauth's catalog any more: {missing}")
    lines = [
        "# The project's wording over django-allauth's: sentence case, log in.",
        "# Written by scripts/make_locale.py; do not edit by hand.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: lifeline\\n"',
        '"PO-Revision-Date: 2026-11-30 00:00+0000\\n"',
        '"Last-Translator: Lifeline\\n"',
        '"Language-Team: Lifeline\\n"',
        '"Language: en\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        "",
    ]
    for msgid, msgstr in WORDING.items():
        if known[msgid] is not None:
            lines.append(f"msgctxt {_quote(known[msgid])}")
        lines += [f"msgid {_quote(msgid)}", f"msgstr {_quote(msgstr)}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_text(render())
    print(f"wrote {PO.relative_to(ROOT)}")
