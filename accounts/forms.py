from __future__ import annotations

import re

from django import forms

from .models import Profession, User


class ProfileForm(forms.ModelForm):
    """The learner's profile. The legal name is what certificates print."""

    legal_name = forms.CharField(
        label="Legal full name",
        max_length=100,
        help_text="Printed on your certificates exactly as written, e.g. as on your "
        "licence or ID. At most 100 characters.",
    )
    profession = forms.ChoiceField(
        choices=[("", "Choose your profession"), *Profession.choices],
        help_text="We use it to recommend the certification your role needs.",
    )

    class Meta:
        model = User
        fields = [
            "legal_name",
            "profession",
            "organisation",
            "licence_number",
            "renewal_reminders",
        ]
        help_texts = {
            "organisation": "Optional: your employer, school or club.",
            "licence_number": "Optional: your professional licence or registration "
            "number.",
        }

    def clean_legal_name(self) -> str:
        # Collapse runs of whitespace: "Ana   María" prints as "Ana María".
        name = re.sub(r"\s+", " ", self.cleaned_data["legal_name"]).strip()
        if not any(ch.isalpha() for ch in name):
            raise forms.ValidationError(
                "Enter your name as it should appear in letters."
            )
        return name
