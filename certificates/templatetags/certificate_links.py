"""Template filters that show a certificates decision; the selector makes it."""

from __future__ import annotations

from django import template

from certificates.selectors import certificate_download_allowed

register = template.Library()


@register.filter
def downloadable_by(certificate, user) -> bool:
    """`{% if cert|downloadable_by:user %}`: selectors.certificate_download_allowed,
    the rule the download view enforces."""
    return certificate_download_allowed(certificate=certificate, user=user)
