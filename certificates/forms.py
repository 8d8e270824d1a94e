from __future__ import annotations

import warnings

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image

from .codes import normalize_code
from .selectors import courses_accepting_outside_cards

PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sniff_content_type(upload: UploadedFile) -> str | None:
    """The file's real type from its content: PDF, JPEG or PNG; None otherwise.

    The name and the browser's Content-Type are ignored. Images must also open and
    verify with Pillow as the format their first bytes claim (a renamed text file, a
    truncated or corrupt image, or a decompression bomb fail).
    """
    upload.seek(0)
    head = upload.read(len(PNG_MAGIC))
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        return "application/pdf"
    expected = {JPEG_MAGIC: "JPEG", PNG_MAGIC: "PNG"}
    image_format = next((f for m, f in expected.items() if head.startswith(m)), None)
    if image_format is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                actual = image.format
                image.verify()
    except Exception:  # Pillow raises many types for damaged or hostile files
        return None
    finally:
        upload.seek(0)
    if actual != image_format:
        return None
    return f"image/{image_format.lower()}"


class ExternalCertificateForm(forms.Form):
    """An outside card (e.g. another provider's BLS) uploaded for staff review."""

    course = forms.ModelChoiceField(
        queryset=None,
        label="Course this card stands in for",
        empty_label=None,
    )
    issuer = forms.CharField(
        label="Issuing organisation",
        max_length=150,
        help_text="As printed on the card, e.g. American Heart Association.",
    )
    card_number = forms.CharField(
        label="Card or eCard number",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    issued_on = forms.DateField(
        label="Issue date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    expires_on = forms.DateField(
        label="Expiry date",
        help_text='Often printed as "Renew by" or "Recommended renewal date".',
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    file = forms.FileField(
        label="Scan or photo of the card",
        help_text="A PDF, JPEG or PNG file of at most "
        f"{filesizeformat(settings.EXTERNAL_CARD_MAX_BYTES)}, showing both sides "
        "if the card has two.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_accepting_outside_cards()
        self.content_type: str | None = None

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.EXTERNAL_CARD_MAX_BYTES:
            limit = filesizeformat(settings.EXTERNAL_CARD_MAX_BYTES)
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {limit}."
            )
        self.content_type = sniff_content_type(upload)
        if self.content_type is None:
            raise forms.ValidationError(
                "This file is not a readable PDF, JPEG or PNG. Upload a scan or photo "
                "of the card in one of those formats."
            )
        return upload


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Certificate code",
        max_length=40,
        help_text="Printed on the certificate and the wallet card, e.g. "
        "BLS-7KQ4-M2XD-9TRA.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(
                "That is not a certificate code. Codes look like BLS-7KQ4-M2XD-9TRA: "
                "the course, then three groups of four letters and digits."
            )
        return code


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason for revoking",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Recorded with your name and the time. The public verification "
        "page says only that the certificate was revoked.",
    )


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Note to the learner",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.required = not approve
        field.help_text = (
            "Optional; included in the e-mail to the learner."
            if approve
            else "Required: the e-mail to the learner gives this as the reason, so "
            "say what to upload instead (e.g. the card has expired, the scan is "
            "unreadable)."
        )
