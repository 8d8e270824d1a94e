"""Template filters that show a certificates decision; the selector makes it."""

from __future__ import annotations

from django import template

from accounts.selectors import staff_verified
from certificates.selectors import certificate_download_allowed

register = template.Library()


@register.filter
def downloadable_by(certificate, request) -> bool:
    """`{% if cert|downloadable_by:request %}`: selectors.certificate_download_allowed,
    the rule the download view enforces (staff only with a two-factor session)."""
    return certificate_download_allowed(
        certificate=certificate, user=request.user, as_staff=staff_verified(request)
    )
