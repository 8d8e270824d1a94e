"""Who issues Lifeline's credentials: the organisation, its address and contact, and
the medical director who signs. Read from settings (config/settings.py,
CERTIFICATE_*) in one place for the certificate PDF, the verify page and the about
and contact pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True, slots=True)
class Issuer:
    name: str
    address: str
    contact: str
    signer_name: str
    signer_title: str
    signature_image: Path
    site_url: str

    @property
    def is_development(self) -> bool:
        """True while any detail is still the development default."""
        return (
            self.address == settings.DEVELOPMENT_ISSUER_ADDRESS
            or self.signer_name == settings.DEVELOPMENT_SIGNER_NAME
            or self.signature_image == settings.DEVELOPMENT_SIGNATURE_IMAGE
        )


def issuer() -> Issuer:
    return Issuer(
        name=settings.CERTIFICATE_ISSUER_NAME,
        address=settings.CERTIFICATE_ISSUER_ADDRESS,
        contact=settings.CERTIFICATE_ISSUER_CONTACT,
        signer_name=settings.CERTIFICATE_SIGNER_NAME,
        signer_title=settings.CERTIFICATE_SIGNER_TITLE,
        signature_image=Path(settings.CERTIFICATE_SIGNATURE_IMAGE),
        site_url=settings.SITE_URL,
    )
