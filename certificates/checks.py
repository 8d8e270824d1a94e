"""System checks of certificates: what every certificate prints about its issuer."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from PIL import Image, UnidentifiedImageError

from core.issuer import issuer

from .signing import SigningKeyMissing, signing_key, signing_key_is_development


@checks.register(deploy=True)
def issuer_is_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production certificates name a real issuer, signer and public address."""
    if settings.DEBUG:
        return []
    errors = []
    who = issuer()
    if who.is_development:
        errors.append(
            checks.Error(
                "Certificates would print the development issuer details (address, "
                "signer or signature image).",
                hint="Set CERTIFICATE_ISSUER_ADDRESS, CERTIFICATE_ISSUER_CONTACT, "
                "CERTIFICATE_SIGNER_NAME, CERTIFICATE_SIGNER_TITLE and "
                "CERTIFICATE_SIGNATURE_IMAGE (docs/OPERATIONS.md).",
                id="certificates.E001",
            )
        )
    url = urlsplit(settings.SITE_URL)
    if url.scheme != "https" or url.hostname in (None, "127.0.0.1", "localhost"):
        errors.append(
            checks.Error(
                f"SITE_URL is {settings.SITE_URL!r}: every certificate, QR code and "
                "e-mail link would point there.",
                hint="Set SITE_URL to the public https address, e.g. "
                "https://lifeline.example.",
                id="certificates.E002",
            )
        )
    return errors


@checks.register(deploy=True)
def credential_key_is_configured(
    app_configs=None, **kwargs
) -> list[checks.CheckMessage]:
    """Production signs Open Badges credentials with its own key, never the
    development key `make run` generates under var/."""
    if settings.DEBUG:
        return []
    hint = (
        "Generate one (python manage.py generate_signing_key PATH) and set "
        "CREDENTIAL_SIGNING_KEY_FILE to its path, or CREDENTIAL_SIGNING_KEY to the "
        "PEM (README, Configuration)."
    )
    if signing_key_is_development():
        return [
            checks.Error(
                "Open Badges credentials would be signed with the development key "
                f"{settings.DEVELOPMENT_CREDENTIAL_KEY_FILE}.",
                hint=hint,
                id="certificates.E004",
            )
        ]
    try:
        signing_key()
    except SigningKeyMissing as exc:
        return [checks.Error(str(exc), hint=hint, id="certificates.E005")]
    return []


@checks.register()
def signature_image_is_a_png(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The signature printed on every certificate opens as a PNG image."""
    path = issuer().signature_image
    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                raise UnidentifiedImageError(f"{image.format} is not PNG")
            image.verify()
    except (OSError, UnidentifiedImageError) as exc:
        return [
            checks.Error(
                f"CERTIFICATE_SIGNATURE_IMAGE {str(path)!r} is not a readable PNG "
                f"image ({exc}).",
                hint="Point it at the signer's signature as a PNG file, ideally "
                "with a transparent background, about 600x180 pixels.",
                id="certificates.E003",
            )
        ]
    return []
