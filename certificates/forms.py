from __future__ import annotations

import warnings

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from .codes import normalize_code
from .models import EXTERNAL_CARD_FILE_TYPES
from .selectors import courses_accepting_outside_cards

PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

UNREADABLE = (
    "This file is not a readable PDF, JPEG or PNG. Upload a scan or photo of the card "
    "in one of those formats."
)
CHOOSE_FILE_AGAIN = (
    "Choose the file again: for your security, browsers do not keep a chosen file "
    "when a form comes back with an error."
)
PDF_SCRIPTS = (
    "This PDF contains scripts or automatic actions, which a card never needs. Print "
    'it to a new PDF ("Save as PDF") or upload a photo of the card instead.'
)
PDF_ATTACHMENTS = (
    "This PDF has files attached inside it. Upload the card alone: print it to a new "
    'PDF ("Save as PDF") or upload a photo of the card.'
)
PDF_ENCRYPTED = (
    "This PDF is password-protected or encrypted, so staff could not open it. Upload "
    "an unprotected copy or a photo of the card."
)

# Dictionary keys that run something or trigger actions (/AA: additional actions on
# open, close, focus, ...), and action types (/S) that run code or reach outside.
_PDF_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/XFA", "/RichMedia"})
_PDF_SCRIPT_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/ImportData",
        "/SubmitForm",
        "/GoToE",
        "/Rendition",
        "/RichMediaExecute",
    }
)
_PDF_ATTACHMENT_KEYS = frozenset({"/EmbeddedFiles", "/EmbeddedFile", "/EF"})
# A card is a page or two; a file with more objects than this is not a card.
_PDF_MAX_OBJECTS = 20_000


def _pdf_problem(upload: UploadedFile) -> str | None:
    """Why this PDF is refused, or None. Parses it with pypdf and walks every object
    reachable from the trailer (catalog, pages, annotations, name trees, ...)."""
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            return PDF_ENCRYPTED
        pages = len(reader.pages)
        stack: list = [reader.trailer]
        seen: set[tuple[int, int]] = set()
        visited = 0
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                if (item.idnum, item.generation) in seen:
                    continue
                seen.add((item.idnum, item.generation))
                item = item.get_object()
            visited += 1
            if visited > _PDF_MAX_OBJECTS:
                return UNREADABLE
            if isinstance(item, DictionaryObject):  # streams too
                for key, value in item.items():
                    if key in _PDF_SCRIPT_KEYS:
                        return PDF_SCRIPTS
                    if key in _PDF_ATTACHMENT_KEYS:
                        return PDF_ATTACHMENTS
                    if key in ("/S", "/Subtype", "/Type"):
                        name = value.get_object()
                        if key == "/S" and name in _PDF_SCRIPT_ACTIONS:
                            return PDF_SCRIPTS
                        if name in ("/FileAttachment", "/EmbeddedFile"):
                            return PDF_ATTACHMENTS
                    stack.append(value)
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except Exception:  # pypdf raises many types for damaged or hostile files
        return UNREADABLE
    finally:
        upload.seek(0)
    if pages == 0:
        return UNREADABLE
    if pages > settings.EXTERNAL_CARD_MAX_PAGES:
        return (
            f"This PDF has {pages} pages; a card needs at most "
            f"{settings.EXTERNAL_CARD_MAX_PAGES}. Upload only the pages of the card."
        )
    return None


def _image_problem(upload: UploadedFile, image_format: str) -> str | None:
    """Why this image is refused, or None: it must be the format its first bytes
    claim, have at most EXTERNAL_CARD_MAX_PIXELS pixels (checked from the header,
    before decoding) and decode completely."""
    limit = settings.EXTERNAL_CARD_MAX_PIXELS
    too_large = (
        f"This image has more than {limit // 1_000_000} megapixels. Take the photo "
        "at a lower resolution, or scale it down, and upload it again."
    )
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns above ~89 megapixels: refuse, don't warn.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format != image_format:
                    return UNREADABLE
                width, height = image.size
                if width * height > limit:
                    return too_large
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()  # decodes every pixel: truncated data fails here
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return too_large
    except Exception:  # Pillow raises many types for damaged or hostile files
        return UNREADABLE
    finally:
        upload.seek(0)
    return None


def card_content_type(upload: UploadedFile) -> str:
    """The outside card's real type from its content: application/pdf, image/jpeg or
    image/png. The name and the browser's Content-Type are ignored.

    Raises ValidationError saying what to do instead for anything else: another or
    unreadable type, a PDF that is encrypted, has scripts or actions, attached files
    or too many pages, or an image that is too large, damaged or not what it claims.
    """
    upload.seek(0)
    head = upload.read(len(PNG_MAGIC))
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        problem, content_type = _pdf_problem(upload), "application/pdf"
    else:
        expected = {JPEG_MAGIC: "JPEG", PNG_MAGIC: "PNG"}
        image_format = next(
            (f for magic, f in expected.items() if head.startswith(magic)), None
        )
        if image_format is None:
            raise forms.ValidationError(UNREADABLE)
        problem = _image_problem(upload, image_format)
        content_type = f"image/{image_format.lower()}"
    if problem:
        raise forms.ValidationError(problem)
    return content_type


class ExternalCertificateForm(forms.Form):
    """An outside card (e.g. another provider's BLS) uploaded for staff review."""

    course = forms.ModelChoiceField(
        queryset=None,
        label="Course this card stands in for",
        empty_label=None,
    )
    issuer = forms.CharField(
        label="Issuing organization",
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
            attrs={"accept": ",".join(EXTERNAL_CARD_FILE_TYPES)}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_accepting_outside_cards()
        self.content_type: str | None = None

    def file_not_kept(self) -> None:
        """After any error, says on the file field that the chosen file must be
        chosen again: a browser never fills a file input in for the page that
        comes back, so without this the file would be dropped silently. Its own
        error (too large, unreadable) says so already."""
        if self.is_bound and self.files.get("file") and "file" not in self.errors:
            self.add_error("file", CHOOSE_FILE_AGAIN)

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.EXTERNAL_CARD_MAX_BYTES:
            limit = filesizeformat(settings.EXTERNAL_CARD_MAX_BYTES)
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is {limit}."
            )
        self.content_type = card_content_type(upload)
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
