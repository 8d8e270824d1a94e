from __future__ import annotations

import re

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from .models import Profession, User
from .services import totp_code_accept
from .text import normalize_text, validate_printable_text
from .timezones import time_zone_choices


class ProfileForm(forms.ModelForm):
    """The learner's profile. The legal name is what certificates print."""

    legal_name = forms.CharField(
        label="Legal full name",
        max_length=100,
        help_text="Printed on your certificates exactly as written, e.g. as on your "
        "license or ID. At most 100 characters.",
    )
    profession = forms.ChoiceField(
        choices=[("", "Choose your profession"), *Profession.choices],
        help_text="We use it to recommend the certification your role needs.",
    )

    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[("", "Detect from my browser"), *time_zone_choices()],
        required=False,
        help_text="Exam deadlines and other times are shown in this time zone.",
    )

    class Meta:
        model = User
        fields = [
            "legal_name",
            "profession",
            "organisation",
            "licence_number",
            "time_zone",
            "renewal_reminders",
        ]
        # US spelling on the page; the field names stay as they are stored.
        labels = {"organisation": "Organization", "licence_number": "License number"}
        help_texts = {
            "organisation": "Optional: your employer, school or club.",
            "licence_number": "Optional: your professional license or registration "
            "number.",
        }

    def _printable(self, field: str) -> str:
        # Checked before anything is collapsed: a line separator or a tab is refused,
        # not silently turned into a space.
        value = normalize_text(self.cleaned_data[field])
        validate_printable_text(value)
        return value

    def clean_legal_name(self) -> str:
        # Collapse runs of whitespace: "Ana   María" prints as "Ana María".
        name = re.sub(r"\s+", " ", self._printable("legal_name")).strip()
        if not any(ch.isalpha() for ch in name):
            raise forms.ValidationError(
                "Enter your name as it should appear in letters."
            )
        return name

    def clean_organisation(self) -> str:
        return self._printable("organisation")

    def clean_licence_number(self) -> str:
        return self._printable("licence_number")


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, with the same cost whether the address is new or taken.

    Enumeration protection answers both alike; without this, the taken address skipped
    the password hashing that creating an account does, and answered in a fraction of
    the time. (Both e-mails are sent from a task: see AccountAdapter.send_mail.)
    """

    def try_save(self, request: HttpRequest):
        if self.account_already_exists and not self.by_passkey:
            # The hash a new account would store, computed and thrown away.
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class _OneUseTotpMixin:
    """allauth's code check, with TOTP codes good once in the database.

    Same as allauth's BaseAuthenticateForm.clean_code (65.21), except that a TOTP
    authenticator checks the code through `totp_code_accept` (last accepted time step
    kept in the database) instead of allauth's per-cache "used codes" memory.
    """

    def clean_code(self) -> str:
        clear_rl = check_rate_limit(self.user)
        code = self.cleaned_data["code"]
        main_auth: Authenticator | None = None
        for auth in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN  # cannot check typed codes
        ):
            if not main_auth or auth.type == Authenticator.Type.TOTP:
                main_auth = auth
            if auth.type == Authenticator.Type.TOTP:
                accepted = totp_code_accept(authenticator=auth, code=code)
            else:
                accepted = auth.wrap().validate_code(code)
            if accepted:
                auth.user = self.user
                self.authenticator = auth
                clear_rl()
                return code
        if main_auth:
            self._emit_authentication_failed(main_auth)
        raise get_mfa_adapter().validation_error("incorrect_code")


class MFAAuthenticateForm(_OneUseTotpMixin, AuthenticateForm):
    pass


class MFAReauthenticateForm(_OneUseTotpMixin, ReauthenticateForm):
    pass
